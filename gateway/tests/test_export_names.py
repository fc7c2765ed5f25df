"""Export file names (gateway.exports.names): Exportify's naming, made safe on Windows, macOS
and Linux, numbered when repeated in a zip, and sent as RFC 6266 asks."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from gateway.exports import names

# What a safe name never holds (Windows' refused characters, control characters).
UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f-\x9f]')


def _is_safe(file_name: str) -> bool:
    stem = file_name.split(".", 1)[0].upper()
    return (
        not UNSAFE.search(file_name)
        and ".." not in file_name
        and stem not in {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10))}
        and stem not in {f"LPT{n}" for n in range(1, 10)}
        and len(file_name.encode()) <= 255
        and not file_name.startswith(".")
    )


@pytest.mark.parametrize(
    ("playlist", "file_name"),
    [
        ("Sunday Morning", "sunday_morning.csv"),
        ("Summer '24", "summer_'24.csv"),
        ("Running 🏃", "running_🏃.csv"),
        ('a/b\\c<d>e:f;g"h|i=j,k.l?m*n[o]p', "a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p.csv"),
        ("Tabs\tand\nlines", "tabs_and_lines.csv"),
    ],
)
def test_playlists_are_named_as_exportify_names_them(playlist: str, file_name: str) -> None:
    assert names.playlist_file(playlist) == file_name


@pytest.mark.parametrize(
    "playlist",
    [
        "../../etc/passwd",
        "..",
        "CON",
        "con",
        "Nul",
        "COM1",
        "lpt9",
        "",
        " ",
        "...",
        "\u202egpj.exe",
        "x" * 400,
        "🎵" * 200,
        "\x85\x9f",
    ],
)
def test_any_playlist_name_gives_a_safe_file_name(playlist: str) -> None:
    file_name = names.playlist_file(playlist)
    assert _is_safe(file_name), file_name
    assert file_name.endswith(".csv")
    assert "\u202e" not in file_name


def test_the_dangerous_examples_become_these_names() -> None:
    assert names.playlist_file("../../etc/passwd") == "_etc_passwd.csv"
    assert names.playlist_file("CON") == "_con.csv"
    assert names.playlist_file("") == "export.csv"
    assert names.safe_name("a..b", ".json") == "a_b.json"
    assert names.safe_name("AUX.tar", ".gz") == "_AUX.tar.gz"


def test_a_long_name_is_cut_on_a_character_boundary() -> None:
    file_name = names.playlist_file("é" * 300)
    assert len(file_name.encode()) <= names.STEM_BYTES + len(".csv")
    assert set(file_name.removesuffix(".csv")) == {"é"}


def test_repeated_names_in_a_zip_are_numbered_as_exportify_numbers_them() -> None:
    namer = names.Namer()
    given = [namer.name(n) for n in ("mix.csv", "mix.csv", "MIX.csv", "liked.csv", "mix.csv")]
    assert given == ["mix.csv", "mix (1).csv", "MIX (2).csv", "liked.csv", "mix (3).csv"]
    assert namer.name("manifest") == "manifest"
    assert namer.name("manifest") == "manifest (1)"


def test_the_content_disposition_carries_an_ascii_name_and_the_exact_one() -> None:
    header = names.content_disposition("running_🏃 café.csv")
    assert header.startswith('attachment; filename="running__ caf_.csv"; ')
    exact = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(exact) == "running_🏃 café.csv"
    assert re.fullmatch(r"[A-Za-z0-9!#$&+\-.^_`|~%]+", exact)
