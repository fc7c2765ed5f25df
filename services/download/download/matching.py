"""Which search result is the saved track: scoring and picking, and the queries that find them.

Pure: no yt-dlp, no network, no clock. docs/design.md ("Downloading") states the rules. In
short, after spotDL's matcher (slugified text, fuzzy title and artist scores, a duration score,
ISRC hits first) but stricter where its users most often get the wrong audio:

- a candidate whose duration differs by more than max(7 s, 5 %) is never taken, nor one whose
  duration is unknown (an hour-long loop or a live cut cannot slip through on a good title);
- a version word the Spotify title lacks (live, remix, cover, sped up, karaoke, clean, ...)
  rejects the candidate instead of costing it 15 points, in either direction (a live
  Spotify track is not its studio upload), and words are matched whole (spotDL's substring
  test finds "live" in "Oliver Tree" and "cover" in "Discover");
- the title is compared word by word, Spotify's " - Remastered 2011" and bracketed parts
  optional, the album and upload noise ignored, and numbers must agree ("Pt. 1", "Pt. 2");
- the artist must show up in the channel or the title (any of the track's artists, in any
  order, so featuring-artist order does not matter); "- Topic" and official channels are
  preferred, lyric videos and music videos come after the official audio;
- view counts only break near-ties;
- when nothing passes, the answer says so and lists the best rejected candidates with why.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from rapidfuzz import fuzz
from slugify import slugify

from kit.errors import InvalidArgument

SOURCES = ("youtube", "soundcloud", "url")
# Results asked of one search: enough to hold the official audio, the video and a few
# re-uploads, few enough that yt-dlp's flat search answers in one page.
SEARCH_RESULTS = 10

# The tolerance on duration: a candidate further off is another recording or edit.
MIN_TOLERANCE_S = 7.0
TOLERANCE_SHARE = 0.05

# Below these a candidate is not the track, however the rest scores.
MIN_TITLE = 70.0
MIN_ARTIST = 70.0
# Candidates within this many points of the best are a tie, which views break.
TIE = 2.0
# How many rejected candidates a NoMatch keeps, best first.
KEEP_REJECTED = 5

# Words (and phrases, as word tuples) that make a different version of a track: a candidate
# whose title or channel has one that the Spotify title lacks is rejected.
VERSION_WORDS: tuple[tuple[str, ...], ...] = tuple(
    tuple(w.split())
    for w in (
        "live",
        "en vivo",
        "ao vivo",
        "en directo",
        "concert",
        "session",
        "sessions",
        "unplugged",
        "rehearsal",
        "remix",
        "remixed",
        "rmx",
        "bootleg",
        "mashup",
        "rework",
        "vip",
        "cover",
        "covers",
        "tribute",
        "parody",
        "karaoke",
        "instrumental",
        "acapella",
        "a cappella",
        "acappella",
        "acoustic",
        "piano version",
        "orchestral",
        "demo",
        "slowed",
        "reverb",
        "sped up",
        "speed up",
        "spedup",
        "nightcore",
        "daycore",
        "8d",
        "bass boosted",
        "bassboosted",
        "bass boost",
        "extended",
        "loop",
        "1 hour",
        "10 hours",
        "hour version",
        "clean",
        "censored",
        "lofi",
        "lo fi",
        "chipmunk",
        "reaction",
        "tutorial",
        "preview",
        "snippet",
        "taylors version",
    )
)
# The version words that, in a channel's name, say what all its uploads are ("Nightcore
# Reality", "Sing King Karaoke", "8D Tunes"). Others name labels and shows whose uploads are
# often the original ("Lofi Girl", "Live Nation", "Remix Records"): only a title counts there.
CHANNEL_VERSION_WORDS = frozenset(
    (
        *("cover", "covers", "tribute", "karaoke", "instrumental", "acapella", "acappella"),
        *("slowed", "reverb", "sped up", "speed up", "spedup", "nightcore", "daycore", "8d"),
        *("bass boosted", "bassboosted", "bass boost", "loop", "1 hour", "10 hours"),
        *("chipmunk", "reaction", "tutorial", "parody"),
    )
)
# Words that mark a different master or cut of the same recording: a small penalty only,
# since Spotify often carries the remaster under the plain title.
SOFT_WORDS: dict[str, float] = {
    "remaster": 4.0,
    "remastered": 4.0,
    "edit": 4.0,
    "mono": 4.0,
    "version": 2.0,
}
# Words a title carries about the upload rather than the song.
NOISE_WORDS = frozenset(
    [
        *("official", "audio", "video", "music", "lyric", "lyrics", "visualizer", "visualiser"),
        *("hd", "hq", "4k", "1080p", "720p", "mv", "pv", "m", "v", "full", "song", "track"),
        *("explicit", "oficial", "officiel", "clip", "clipe", "videoclip", "letra", "paroles"),
        "songtext",
    ]
)
CONNECTORS = frozenset(["feat", "ft", "featuring", "with", "x", "vs", "and", "prod", "by"])
CHANNEL_SUFFIXES = ("topic", "vevo", "official", "music", "tv", "channel", "records")


@dataclass(frozen=True)
class Track:
    name: str
    artists: list[str]
    album: str
    duration_ms: int
    isrc: str | None = None
    # The Spotify track id: only the `url` source's `{track_id}` placeholder needs it.
    track_id: str | None = None


@dataclass(frozen=True)
class Candidate:
    title: str
    uploader: str
    duration_s: float | None
    view_count: int | None
    url: str
    source: str
    # Found by the ISRC query (queries()[0] when the track has an ISRC): the search engine
    # matched the recording's code, so it counts in the candidate's favour.
    from_isrc: bool = False


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    score: float


@dataclass(frozen=True)
class Rejected:
    candidate: Candidate
    # What the candidate would have scored: the best rejected ones are listed first.
    score: float
    reasons: list[str]


@dataclass(frozen=True)
class NoMatch:
    # The best rejected candidates, best first, each with why it was not taken.
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """One line for a job's error, naming what was found and why none was taken."""
        if not self.rejected:
            return "no match: the search found no candidates"
        listed = "; ".join(
            f"{r.candidate.title!r} by {r.candidate.uploader!r} ({', '.join(r.reasons)})"
            for r in self.rejected
        )
        return f"no match: none of the candidates is the track: {listed}"


def tolerance_s(duration_s: float) -> float:
    """How far a candidate's duration may be from the track's: max(7 s, 5 %)."""
    return max(MIN_TOLERANCE_S, TOLERANCE_SHARE * duration_s)


def pick(track: Track, candidates: Iterable[Candidate]) -> Match | NoMatch:
    """The candidate that is the track, or NoMatch with the best rejected ones and why."""
    accepted: list[Match] = []
    rejected: list[Rejected] = []
    prepared = _Prepared.of(track)
    for candidate in candidates:
        score, reasons = _score(prepared, candidate)
        if reasons:
            rejected.append(Rejected(candidate, round(score, 1), reasons))
        else:
            accepted.append(Match(candidate, round(score, 1)))
    if not accepted:
        rejected.sort(key=lambda r: r.score, reverse=True)
        return NoMatch(rejected[:KEEP_REJECTED])
    best = max(m.score for m in accepted)
    near = [m for m in accepted if best - m.score <= TIE]
    # Views only decide between candidates the rules cannot tell apart.
    return max(near, key=lambda m: (m.candidate.view_count or 0, m.score))


def score(track: Track, candidate: Candidate) -> tuple[float, list[str]]:
    """A candidate's score (0-100 and a few bonus points) and the reasons it is rejected."""
    return _score(_Prepared.of(track), candidate)


def queries(
    track: Track,
    source: str,
    *,
    url_template: str | None = None,
    results: int = SEARCH_RESULTS,
) -> list[str]:
    """What yt-dlp is given for `track` on `source`, in the order to try.

    youtube: the ISRC first when the track has one (search engines index the recording's
    code; spotDL's audio providers do the same), then artists and title. soundcloud: artists
    and title (its search ignores ISRCs). url: the template filled from the track.
    """
    if source not in SOURCES:
        raise InvalidArgument(f"unknown download source {source!r}: one of {', '.join(SOURCES)}")
    if source == "url":
        if not url_template:
            raise InvalidArgument("the url source needs TAPEDECK_DOWNLOAD_URL_TEMPLATE")
        return [fill_url(url_template, track)]
    text = search_text(track)
    if source == "soundcloud":
        return [f"scsearch{results}:{text}"]
    found = [f"ytsearch{results}:{text}"]
    if track.isrc:
        found.insert(0, f'ytsearch{results}:"{track.isrc}"')
    return found


def search_text(track: Track) -> str:
    """`Artist, Other - Title`, the shape most uploads are titled in."""
    artists = ", ".join(a for a in track.artists[:3] if a)
    return f"{artists} - {track.name}" if artists else track.name


URL_FIELDS = ("isrc", "track_id", "artist", "title")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def fill_url(template: str, track: Track) -> str:
    """The `url` source's address for `track`: each placeholder URL-encoded.

    A placeholder other than {isrc}, {track_id}, {artist} or {title}, or one the track has no
    value for (a track without an ISRC), is an InvalidArgument: guessing would fetch the
    wrong file.
    """
    values = {
        "isrc": track.isrc or "",
        "track_id": track.track_id or "",
        "artist": track.artists[0] if track.artists else "",
        "title": track.name,
    }

    def filled(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            raise InvalidArgument(
                f"TAPEDECK_DOWNLOAD_URL_TEMPLATE: unknown placeholder {{{name}}}"
                f" (known: {', '.join('{' + f + '}' for f in URL_FIELDS)})"
            )
        if not values[name]:
            raise InvalidArgument(f"the track has no {name} for the url source's template")
        return quote(values[name], safe="")

    return _PLACEHOLDER.sub(filled, template)


def words(text: str) -> list[str]:
    """Lower-case ASCII words of `text` (other scripts transliterated), apostrophes dropped.

    Both sides of every comparison go through this, so a Japanese or Cyrillic title is
    compared with its own transliteration, and "Don't" is one word as in most uploads.
    """
    text = unicodedata.normalize("NFKC", text)
    return slugify(
        text, separator=" ", replacements=[["'", ""], ["\u2019", ""], ["&", " and "]]
    ).split()


@dataclass(frozen=True)
class _Prepared:
    """The track's side of the comparison, computed once per pick."""

    track: Track
    # The title's words before Spotify's " - " suffix ("Song - Remastered 2011"), and after.
    main: list[str]
    suffix: list[str]
    title: frozenset[str]
    artists: list[list[str]]
    artist_words: frozenset[str]
    album_words: frozenset[str]
    duration_s: float

    @classmethod
    def of(cls, track: Track) -> _Prepared:
        name = _without_featuring(track.name)
        main, _, suffix = name.partition(" - ")
        # Bracketed parts are edition or translation ("(Remastered)", "(강남스타일)"), which
        # uploads often leave out: they weigh like the " - " suffix.
        bracketed = " ".join(_BRACKETED.findall(main))
        main = _BRACKETED.sub(" ", main)
        artists = [w for w in (words(a) for a in track.artists) if w]
        main_words = words(main) or words(name)
        suffix_words = words(bracketed) + words(suffix)
        return cls(
            track=track,
            main=main_words,
            suffix=suffix_words,
            title=frozenset(main_words + suffix_words),
            artists=artists,
            artist_words=frozenset(w for a in artists for w in a),
            album_words=frozenset(words(track.album)),
            duration_s=track.duration_ms / 1000,
        )

    @property
    def title_words(self) -> list[str]:
        return self.main + self.suffix


_BRACKETED = re.compile(r"[(\[]([^)\]]*)[)\]]")
_FEATURING = re.compile(r"[(\[]\s*(feat\.?|ft\.?|featuring|with)\s[^)\]]*[)\]]", re.IGNORECASE)
_DASH_FEATURING = re.compile(r"\s-\s*(feat\.?|ft\.?|featuring|with)\s.*$", re.IGNORECASE)


def _without_featuring(name: str) -> str:
    """A Spotify title without its "(feat. X)" / "(with X)": uploads place those anywhere."""
    return _DASH_FEATURING.sub("", _FEATURING.sub("", name)).strip()


def _score(track: _Prepared, candidate: Candidate) -> tuple[float, list[str]]:
    reasons: list[str] = []
    title = words(candidate.title)
    uploader = words(candidate.uploader)

    duration_score = 0.0
    if track.duration_s <= 0:
        reasons.append("the track's duration is unknown, so no candidate can be checked")
    elif candidate.duration_s is None:
        reasons.append("duration unknown")
    else:
        off = abs(candidate.duration_s - track.duration_s)
        allowed = tolerance_s(track.duration_s)
        if off > allowed:
            reasons.append(f"duration off by {off:.0f} s (at most {allowed:.0f} s)")
        duration_score = 100 * math.exp(-off / allowed)

    # The candidate's title without what uploads add around a song's name: its artists,
    # the album, "Official Video", "feat.". The song's own words are always kept.
    kept = [
        w
        for w in title
        if w in track.title
        or not (
            w in track.artist_words or w in track.album_words or w in NOISE_WORDS or w in CONNECTORS
        )
    ]
    title_score = _title_score(track, kept)
    if title_score < MIN_TITLE:
        reasons.append(f"title differs ({title_score:.0f}%)")

    # An artist's own words ("Clean Bandit", "Live") are not a version.
    own = track.title | frozenset(track.artist_words)
    song = track.title_words
    versions = _version_words([w for w in title if w in track.title or w not in own], song)
    channel = [w for w in uploader if w not in track.artist_words]
    versions += [v for v in _version_words(channel, song) if v in CHANNEL_VERSION_WORDS]
    if versions:
        reasons.append("another version: " + ", ".join(dict.fromkeys(versions)))
    # The other way round: a live or instrumental Spotify track is not its studio version.
    lacking = _version_words(song, title)
    lacking = [v for v in lacking if not set(v.split()) <= track.artist_words]
    if lacking:
        reasons.append("not the track's version: " + ", ".join(lacking))
    soft = sum(SOFT_WORDS.get(w, 0.0) for w in set(kept) - track.title)

    artist_score, official = _artist(track, title, uploader)
    if not track.artists:
        # Nothing to check against (a local file's track may name no artist).
        artist_score = MIN_ARTIST
    if artist_score < MIN_ARTIST:
        reasons.append("artist not found in the title or channel")

    bonus = official
    if candidate.from_isrc:
        bonus += 5.0
    if "audio" in title:
        bonus += 2.0
    if ("lyric" in title or "lyrics" in title) and not track.title & {"lyric", "lyrics"}:
        bonus -= 2.0
    if _has(title, ("music", "video")) or _has(title, ("official", "video")) or "mv" in title:
        bonus -= 1.0

    total = 0.45 * title_score + 0.25 * artist_score + 0.30 * duration_score + bonus - soft
    return total, reasons


# Points off the title score per word the upload adds, and per word of Spotify's " - "
# suffix it lacks ("Remastered 2011", "Radio Edit": often left out of uploads).
EXTRA_WORD = 4.0
MISSING_SUFFIX_WORD = 3.0


def _title_score(track: _Prepared, kept: Sequence[str]) -> float:
    """0-100: how much of the song's title the candidate's has, less what it adds.

    Word by word (order and punctuation vary among uploads), each word of the main title
    found counts, a word close enough counts (a typo, "Brightside"/"Bright side" apart);
    every other word the candidate has, and each of the suffix's it lacks, costs a few
    points. Numbers must agree: "Pt. 2" is not "Pt. 1".
    """
    have = set(kept)
    compact = "".join(kept)

    def found(word: str) -> bool:
        return word in have or (
            len(word) >= 4 and (word in compact or any(fuzz.ratio(word, w) >= 85 for w in have))
        )

    if not track.main:
        return 0.0
    share = sum(1 for w in track.main if found(w)) / len(track.main)
    extra = len(have - track.title)
    missing = sum(1 for w in track.suffix if not found(w))
    score = 100 * share - EXTRA_WORD * extra - MISSING_SUFFIX_WORD * missing
    if not _numbers_agree(track, have):
        score = min(score, MIN_TITLE - 1)
    return max(score, 0.0)


def _numbers_agree(track: _Prepared, have: set[str]) -> bool:
    """The main title's numbers are all there, and the candidate adds none but years.

    A year ("Remastered 2011", "Live 1993") says which edition, which the other rules weigh;
    another number is another song ("Pt. 2", "No. 5").
    """
    if any(w.isdigit() and w not in have for w in track.main):
        return False
    return all(_is_year(w) for w in have - track.title if w.isdigit())


def _is_year(word: str) -> bool:
    return len(word) == 4 and word[:2] in ("19", "20")


def _version_words(seen: Sequence[str], song: Sequence[str]) -> list[str]:
    """The version words (and phrases) in `seen` that `song`'s words do not have."""
    return [
        " ".join(phrase)
        for phrase in VERSION_WORDS
        if _has(seen, phrase) and not _has(song, phrase)
    ]


def _has(seen: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(tuple(seen[i : i + n]) == tuple(phrase) for i in range(len(seen) - n + 1))


def _artist(track: _Prepared, title: list[str], uploader: list[str]) -> tuple[float, float]:
    """How surely the candidate is by the track's artists, and a bonus for official uploads.

    The channel counts most ("Artist - Topic" is YouTube Music's own copy of the release,
    "ArtistVEVO" the label's), then the artist named in the title. Any of the track's artists
    counts, the first most, so "B - Song (ft. A)" is found for Spotify's "A, B".
    """
    channel = list(uploader)
    topic = channel[-1:] == ["topic"]
    while channel and channel[-1] in CHANNEL_SUFFIXES:
        channel.pop()
    compact_channel = "".join(channel)
    for suffix in CHANNEL_SUFFIXES:
        if compact_channel.endswith(suffix) and len(compact_channel) > len(suffix):
            compact_channel = compact_channel[: -len(suffix)]
    compact_title = "".join(title)
    best = 0.0
    official = 0.0
    for i, artist in enumerate(track.artists):
        weight = 1.0 if i == 0 else 0.9
        compact = "".join(artist)
        in_channel = set(artist) <= set(uploader) or (
            bool(compact_channel) and fuzz.ratio(compact, compact_channel) >= 88
        )
        if in_channel:
            best = max(best, 100 * weight)
            official = max(official, 10.0 if topic else 5.0)
        elif _has(title, artist) or (len(compact) >= 4 and compact in compact_title):
            best = max(best, 85 * weight)
    return best, official
