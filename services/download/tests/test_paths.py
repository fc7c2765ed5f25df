"""File names from the path template: safe on Linux, macOS and Windows whatever the track says."""

from __future__ import annotations

import random
from pathlib import Path, PurePosixPath

import pytest

from download.paths import DEFAULT, MAX_NAME_BYTES, check_template, file_path, safe_name
from kit.errors import InvalidArgument

WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10))} | {
    f"LPT{i}" for i in range(10)
}

HOSTILE = [
    "../../x",
    "..",
    ".",
    "CON",
    "con.mp3",
    "LPT1",
    "a/b\\c",
    "x" * 300,
    "夜" * 300,
    "tab\tnew\nline\x00nul\x1b[31m",
    "trailing dots...",
    "trailing spaces   ",
    " . leading",
    'what: "a" <b> |c| d? e*',
    "\u202eevil\u202c.exe",
    "lone \ud800 surrogate",
    "a\u202e\u0301 accent after an override",
    "",
]


def _assert_portable(name: str) -> None:
    assert name and name not in (".", "..")
    assert not set(name) & WINDOWS_FORBIDDEN
    assert not any(ord(c) < 32 for c in name)
    assert not name.endswith((".", " ")) and not name.startswith((".", " "))
    assert name.split(".")[0].upper() not in WINDOWS_RESERVED
    assert len(name.encode("utf-8")) <= 255


def test_the_default_template_files_a_track_under_its_album_artist_and_album() -> None:
    fields = {
        "title": "Mr. Brightside",
        "artists": ["The Killers"],
        "album": "Hot Fuss",
        "album artist": "The Killers",
        "track number": 2,
    }
    assert file_path(fields, "m4a") == PurePosixPath("The Killers/Hot Fuss/02 - Mr. Brightside.m4a")
    assert DEFAULT == "{album artist}/{album}/{track number} - {title}.{ext}"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_titles_become_one_portable_name(text: str) -> None:
    name = safe_name(text)
    _assert_portable(name)
    assert safe_name(name) == name


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_fields_stay_inside_the_downloads_folder_on_a_real_disk(
    text: str, tmp_path: Path
) -> None:
    fields = {"title": text, "album": text, "album artist": text, "track number": 1}
    path = file_path(fields, "opus")
    assert not path.is_absolute()
    assert len(path.parts) == 3, "a value never makes or removes a folder"
    for part in path.parts:
        _assert_portable(part)
    assert path.suffix == ".opus"
    target = tmp_path / path
    target.parent.mkdir(parents=True)
    target.write_bytes(b"audio")
    assert target.resolve().is_relative_to(tmp_path.resolve())
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [path.name]


def test_the_issues_examples_give_these_names() -> None:
    assert safe_name("../../x") == "_.._x"
    assert safe_name("CON") == "CON_"
    assert safe_name("a/b\\c") == "a_b_c"
    assert safe_name("x" * 300) == "x" * MAX_NAME_BYTES


def test_other_scripts_are_kept_and_cut_on_a_character_boundary() -> None:
    assert safe_name("夜に駆ける") == "夜に駆ける"
    assert safe_name("Группа крови") == "Группа крови"
    long = safe_name("夜" * 300)
    assert long == "夜" * (MAX_NAME_BYTES // 3)
    long.encode("utf-8").decode("utf-8")


def test_a_long_title_keeps_its_extension() -> None:
    path = file_path({"title": "é" * 400, "album": "A", "track number": 7}, "m4a")
    assert path.name.endswith(".m4a") and path.name.startswith("07 - é")
    assert len(path.name.encode("utf-8")) <= MAX_NAME_BYTES + len(".m4a")


def test_missing_fields_fall_back_to_the_artist_and_unknown_album() -> None:
    path = file_path({"title": "Song", "artists": ["Adele", "Other"]}, "m4a")
    assert path == PurePosixPath("Adele/Unknown Album/00 - Song.m4a")
    assert file_path({"title": "Song"}, "mp3") == PurePosixPath(
        "Unknown Artist/Unknown Album/00 - Song.mp3"
    )


def test_a_custom_template_with_every_field() -> None:
    template = "{artist}/{year} - {album}/{disc number}-{track number} {artists} - {title} [{isrc}] {track id}.{ext}"
    fields = {
        "title": "One Kiss",
        "artists": ["Calvin Harris", "Dua Lipa"],
        "album": "One Kiss",
        "date": "2018-04-06",
        "disc number": 1,
        "track number": 1,
        "isrc": "GBARL1800368",
        "track id": "7ef4DlsgrMEH11cDZd32M6",
    }
    assert file_path(fields, "opus", template) == PurePosixPath(
        "Calvin Harris/2018 - One Kiss/01-01 Calvin Harris, Dua Lipa - One Kiss [GBARL1800368]"
        " 7ef4DlsgrMEH11cDZd32M6.opus"
    )


def test_a_template_cannot_climb_out_or_be_absolute() -> None:
    path = file_path({"title": "t"}, "mp3", "../../{title}.{ext}")
    assert path == PurePosixPath("t.mp3")
    for template in ("/etc/{title}.{ext}", "\\\\server\\{title}", "C:{title}.{ext}"):
        with pytest.raises(InvalidArgument):
            check_template(template)


def test_a_template_without_the_extension_gets_it() -> None:
    assert file_path({"title": "t", "artist": "a"}, "flac", "{artist} - {title}") == PurePosixPath(
        "a - t.flac"
    )


@pytest.mark.parametrize("template", ["{album}/{tittle}.{ext}", "{title.__class__}.{ext}", ""])
def test_a_bad_template_is_refused(template: str) -> None:
    with pytest.raises(InvalidArgument):
        check_template(template)


@pytest.mark.parametrize("ext", ["", "m4a/../x", "../x", "a b", "toolongext"])
def test_a_bad_extension_is_refused(ext: str) -> None:
    with pytest.raises(InvalidArgument):
        file_path({"title": "t"}, ext)


# Characters that break names somewhere: separators, Windows' forbidden set, controls, bidi
# overrides, dots and spaces, combining marks, scripts of several widths, emoji.
TRICKY = '/\\:*?"<>|.. \t\n\x00\x1f\x7f\u202e\u200f\u0301\u00e9\u00df\u0436\u4e2d\U0001f3b5aZ09_-()'


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(TRICKY) for _ in range(rng.randint(0, 300))) for _ in range(count)]


@pytest.mark.parametrize("seed", range(4))
def test_random_text_becomes_one_portable_name_that_is_its_own_safe_name(seed: int) -> None:
    for text in _texts(250, seed):
        name = safe_name(text)
        _assert_portable(name)
        assert safe_name(name) == name, repr(text)


def test_random_titles_and_albums_stay_three_names_deep() -> None:
    texts = _texts(400, 99)
    for title, album in zip(texts[::2], texts[1::2], strict=True):
        path = file_path({"title": title, "album": album, "artists": [title]}, "m4a")
        assert len(path.parts) == 3 and path.suffix == ".m4a", (title, album)
        for part in path.parts:
            _assert_portable(part)
