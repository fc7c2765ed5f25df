"""Finding and downloading a track's audio with yt-dlp, through its Python API.

yt-dlp is blocking (sockets, files): it runs on the worker's threads, never on an event loop.
Its failures are sorted here into what the worker does next: try again later (Transient),
give up with a reason a person can act on (Permanent), or stop using the source for a while
(SourceBlocked: YouTube asking for a sign-in, or for a JavaScript runtime)."""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yt_dlp import YoutubeDL
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError

from download.jobs import MatchInfo, TrackInfo
from download.matching import Candidate, Match, Track, pick, queries
from kit.errors import InvalidArgument

log = logging.getLogger(__name__)

# HTTP answers that mean the file is not there and will not be (retrying cannot help).
_GONE = (401, 403, 404, 410)

# What yt-dlp says when YouTube wants a signed-in session or a JavaScript runtime: the whole
# source is stuck until a person adds cookies or a runtime, so every YouTube job waits.
_BLOCKED = {
    "confirm you're not a bot": "YouTube asks for a sign-in to confirm you're not a bot: "
    "set TAPEDECK_DOWNLOAD_COOKIES to a cookies.txt of a signed-in browser session",
    "confirm you’re not a bot": "YouTube asks for a sign-in to confirm you're not a bot: "
    "set TAPEDECK_DOWNLOAD_COOKIES to a cookies.txt of a signed-in browser session",
    "use --cookies": "YouTube asks for a signed-in session: set TAPEDECK_DOWNLOAD_COOKIES to a "
    "cookies.txt of a signed-in browser session",
    "javascript runtime": "yt-dlp needs a JavaScript runtime for YouTube's formats: install "
    "deno (or node) on the download workers' machine",
    "js runtime": "yt-dlp needs a JavaScript runtime for YouTube's formats: install deno (or "
    "node) on the download workers' machine",
    "n challenge": "yt-dlp could not solve YouTube's signature challenge: install deno (or "
    "node) on the download workers and update yt-dlp",
}
# What yt-dlp says when YouTube's formats could not be read (after a JS-runtime warning).
_FORMAT_MISSING = ("requested format is not available", "only images are available")
# Failures of one video that no retry fixes.
_UNAVAILABLE = {
    "confirm your age": "age-restricted: YouTube requires a signed-in adult account",
    "age-restricted": "age-restricted: YouTube requires a signed-in adult account",
    "inappropriate for some users": "age-restricted: YouTube requires a signed-in adult account",
    "private video": "unavailable: the video is private",
    "video unavailable": "unavailable: the video was removed or is blocked",
    "not available in your country": "unavailable in this country",
    "copyright": "unavailable: removed on a copyright claim",
    "members-only": "unavailable: members-only content",
    "unsupported url": "unavailable: yt-dlp cannot read that address",
}


class FetchError(Exception):
    def __init__(self, reason: str, *, match: MatchInfo | None = None, url: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.match = match
        self.url = url


class Transient(FetchError):
    """Try again later: the source was down, slow, or answered 5xx/429."""


class Permanent(FetchError):
    """Give up: no match, gone (404), unavailable, age-restricted."""


class SourceBlocked(FetchError):
    """The whole source needs a person (cookies, a JavaScript runtime): pause it."""


class Cancelled(Exception):
    """The job was cancelled (or its lease lost) while it ran."""


@dataclass(frozen=True)
class FetchSettings:
    url_template: str | None = None
    cookies_file: Path | None = None
    socket_timeout_s: float = 30.0
    search_results: int = 10
    # "native" keeps the source's container; "mp3"/"m4a" convert (ffmpeg only).
    audio_format: str = "native"
    # kbps for a conversion.
    audio_quality: int = 192
    # ffmpeg's path when it is present; conversions run only then.
    ffmpeg: str | None = None


@dataclass(frozen=True)
class Fetched:
    file: Path
    source_url: str
    match: MatchInfo


Progress = Callable[[float], None]
Stopped = Callable[[], bool]


def ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg")


def fetch(
    track: TrackInfo,
    source: str,
    folder: Path,
    settings: FetchSettings,
    on_progress: Progress,
    stopped: Stopped,
) -> Fetched:
    """Downloads `track`'s audio from `source` into `folder` (the job's own temporary
    folder). Raises Transient, Permanent, SourceBlocked or Cancelled."""
    wanted = Track(
        name=track.name,
        artists=list(track.artists),
        album=track.album,
        duration_ms=track.duration_ms,
        isrc=track.isrc,
        track_id=track.id,
    )
    try:
        asked = queries(
            wanted, source, url_template=settings.url_template, results=settings.search_results
        )
    except InvalidArgument as exc:
        raise Permanent(exc.message) from None
    if source == "url":
        url = asked[0]
        return _download(url, None, folder, settings, on_progress, stopped, track)
    chosen = _search(wanted, asked, source, settings)
    found = chosen.candidate
    match = MatchInfo(found.title, found.uploader, found.duration_s or 0.0, chosen.score)
    return _download(found.url, match, folder, settings, on_progress, stopped, track)


def _search(wanted: Track, asked: list[str], source: str, settings: FetchSettings) -> Match:
    candidates: list[Candidate] = []
    # YouTube's flat results carry title, channel, duration and views; SoundCloud's only
    # addresses, so each of its results is resolved (a request each).
    flat = "in_playlist" if source == "youtube" else False
    options = {**_base_options(settings), "extract_flat": flat, "skip_download": True}
    with YoutubeDL(options) as ydl:  # type: ignore[arg-type]
        for n, query in enumerate(asked):
            try:
                info = ydl.extract_info(query, download=False)
            except DownloadError as exc:
                raise classify(exc, warnings=ydl.params["logger"].warnings) from None
            from_isrc = n == 0 and bool(wanted.isrc) and len(asked) > 1
            for entry in (info or {}).get("entries") or ():
                candidate = _candidate(entry, source, from_isrc)
                if candidate is not None:
                    candidates.append(candidate)
            picked = pick(wanted, candidates)
            # A match among the ISRC's results ends the search; else the text query's join.
            if isinstance(picked, Match):
                return picked
    final = pick(wanted, candidates)
    if isinstance(final, Match):
        return final
    raise Permanent(final.reason)


def _candidate(entry: dict[str, Any], source: str, from_isrc: bool) -> Candidate | None:
    url = entry.get("webpage_url") or entry.get("url")
    if not url or not entry.get("title"):
        return None
    duration = entry.get("duration")
    return Candidate(
        title=str(entry["title"]),
        uploader=str(entry.get("channel") or entry.get("uploader") or ""),
        duration_s=float(duration) if duration else None,
        view_count=entry.get("view_count"),
        url=str(url),
        source=source,
        from_isrc=from_isrc,
    )


class _Downloader(threading.local):
    """A YoutubeDL per thread and settings, kept: building one loads and orders every
    extractor and makes an SSL context, which cost more CPU than downloading a 3 MB file
    over loopback (bench/README.md). Each download sets its own output template and
    progress hook on it."""

    def __init__(self) -> None:
        self.ydl: Any = None
        self.settings: FetchSettings | None = None
        self.hook: Callable[[dict[str, Any]], None] = lambda _status: None

    def get(self, settings: FetchSettings) -> Any:
        if self.ydl is None or self.settings != settings:
            options = {
                **_base_options(settings),
                "format": _format(settings),
                "outtmpl": {"default": "audio.%(ext)s"},
                "overwrites": True,
            }
            if settings.ffmpeg:
                # mp3/m4a: converted at the chosen bit rate. native: the audio stream copied
                # out of its container as it is ("best": WebM's Opus becomes an .opus file,
                # which mutagen can tag; WebM cannot be tagged).
                convert = settings.audio_format in ("mp3", "m4a")
                options["postprocessors"] = [
                    {
                        "key": "FFmpegExtractAudio",
                        "preferredcodec": settings.audio_format if convert else "best",
                        "preferredquality": str(settings.audio_quality) if convert else None,
                    }
                ]
            if self.ydl is not None:
                self.ydl.close()
            self.ydl = YoutubeDL(options)
            # One hook, handing each call to the current download's.
            self.ydl.add_progress_hook(lambda status: self.hook(status))
            self.settings = settings
        return self.ydl


_downloader = _Downloader()


def _download(
    url: str,
    match: MatchInfo | None,
    folder: Path,
    settings: FetchSettings,
    on_progress: Progress,
    stopped: Stopped,
    track: TrackInfo,
) -> Fetched:
    def hook(status: dict[str, Any]) -> None:
        # Called for every block yt-dlp writes: the one place a running download can stop.
        if stopped():
            raise Cancelled
        if status.get("status") == "downloading":
            total = status.get("total_bytes") or status.get("total_bytes_estimate")
            if total:
                on_progress(min(float(status.get("downloaded_bytes") or 0) / total, 1.0))

    ydl = _downloader.get(settings)
    ydl.params["outtmpl"] = {"default": str(folder / "audio.%(ext)s")}
    _downloader.hook = hook
    ydl.params["logger"].take()
    try:
        info = ydl.extract_info(url, download=True)
    except DownloadError as exc:
        raise classify(exc, match=match, url=url, warnings=ydl.params["logger"].take()) from None
    finally:
        _downloader.hook = lambda _status: None
    if stopped():
        raise Cancelled
    downloads = (info or {}).get("requested_downloads") or []
    file = Path(downloads[0]["filepath"]) if downloads else None
    if file is None or not file.is_file():
        raise Transient("yt-dlp finished without a file", match=match, url=url)
    page = str((info or {}).get("webpage_url") or url)
    if match is None:
        duration = (info or {}).get("duration") or track.duration_ms / 1000
        match = MatchInfo(
            str((info or {}).get("title") or track.name),
            str((info or {}).get("uploader") or (info or {}).get("webpage_url_domain") or ""),
            float(duration),
            100.0,
        )
    return Fetched(file, page, match)


def _format(settings: FetchSettings) -> str:
    if settings.ffmpeg:
        return "bestaudio/best"
    # Without ffmpeg nothing can be remuxed: prefer M4A, which mutagen can tag (WebM cannot).
    return "bestaudio[ext=m4a]/bestaudio/best"


def _base_options(settings: FetchSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": _Quiet(),
        # The job's own retries (with back-off, across workers) replace yt-dlp's.
        "retries": 0,
        "fragment_retries": 0,
        "extractor_retries": 0,
        "socket_timeout": settings.socket_timeout_s,
        "noplaylist": True,
        "cachedir": False,
    }
    if settings.cookies_file is not None:
        options["cookiefile"] = str(settings.cookies_file)
    if settings.ffmpeg:
        options["ffmpeg_location"] = settings.ffmpeg
    return options


class _Quiet:
    """yt-dlp's logger: its chatter at debug level; its errors are raised and sorted, so
    they are not also logged here. Its warnings are kept until the next call: YouTube's
    "no JavaScript runtime" is a warning, and the error after it only says a format is
    missing."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def take(self) -> list[str]:
        taken, self.warnings = self.warnings, []
        return taken

    def debug(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def info(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def warning(self, message: str) -> None:
        log.debug("yt-dlp warning: %s", message)
        self.warnings = [*self.warnings[-9:], message]

    def error(self, message: str) -> None:
        log.debug("yt-dlp error: %s", message)


def classify(
    exc: DownloadError,
    *,
    match: MatchInfo | None = None,
    url: str = "",
    warnings: Sequence[str] = (),
) -> FetchError:
    """What a yt-dlp failure means for the job. `warnings`: what yt-dlp warned of on the
    way (a missing format after a "no JavaScript runtime" warning is the runtime's fault)."""
    cause = (exc.exc_info or (None, None, None))[1]
    text = str(exc).lower()
    if any(m in text for m in _FORMAT_MISSING) and any(
        "javascript runtime" in w.lower() or "js runtime" in w.lower() for w in warnings
    ):
        return SourceBlocked(_BLOCKED["javascript runtime"], match=match, url=url)
    for needle, reason in _BLOCKED.items():
        if needle in text:
            return SourceBlocked(reason, match=match, url=url)
    for needle, reason in _UNAVAILABLE.items():
        if needle in text:
            return Permanent(reason, match=match, url=url)
    status = _http_status(cause)
    if status in _GONE:
        return Permanent(f"the source answered HTTP {status}", match=match, url=url)
    if status is not None:
        return Transient(f"the source answered HTTP {status}", match=match, url=url)
    if "timed out" in text or "timeout" in text:
        return Transient("the source timed out", match=match, url=url)
    if isinstance(cause, TransportError) or "connection" in text:
        return Transient("the source could not be reached", match=match, url=url)
    return Transient(_first_line(str(exc)), match=match, url=url)


def _http_status(cause: BaseException | None) -> int | None:
    if isinstance(cause, HTTPError):
        return int(cause.status)
    if isinstance(cause, ExtractorError) and cause.exc_info:
        return _http_status(cause.exc_info[1])
    return None


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "download failed"
    return line.removeprefix("ERROR: ")[:300]
