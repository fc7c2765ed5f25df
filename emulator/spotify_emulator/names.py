"""Word lists and name makers for the generated catalog and libraries."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "Blue",
    "Golden",
    "Quiet",
    "Electric",
    "Broken",
    "Neon",
    "Silver",
    "Midnight",
    "Wild",
    "Paper",
    "Velvet",
    "Hollow",
    "Crimson",
    "Gentle",
    "Restless",
    "Static",
    "Frozen",
    "Lucky",
    "Distant",
    "Burning",
    "Empty",
    "Sweet",
    "Heavy",
    "Little",
    "Secret",
    "Falling",
    "Northern",
    "Lonely",
    "Bright",
    "Endless",
)
_NOUNS = (
    "Heart",
    "River",
    "Summer",
    "Highway",
    "Garden",
    "Ocean",
    "Fire",
    "Machine",
    "Dream",
    "Window",
    "City",
    "Shadow",
    "Rain",
    "Mirror",
    "Signal",
    "Train",
    "Light",
    "Echo",
    "Stone",
    "Morning",
    "Radio",
    "Island",
    "Letter",
    "Thunder",
    "Satellite",
    "Orchard",
    "Harbor",
    "Avenue",
    "Skyline",
    "Lantern",
)
_TAILS = (
    "",
    "",
    "",
    "",
    " (Remastered)",
    " - Live",
    " (feat. Someone)",
    " - Radio Edit",
    " (Acoustic)",
    " Pt. II",
    " (Demo)",
    " - 2011 Remaster",
)
_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ra",
    "ne",
    "to",
    "sa",
    "vi",
    "da",
    "ru",
    "el",
    "an",
    "or",
    "is",
    "ul",
    "ba",
    "ze",
    "fi",
    "go",
    "ha",
    "jo",
    "ki",
    "ly",
    "mo",
)
_BAND_WORDS = (
    "Wolves",
    "Tapes",
    "Kids",
    "Lights",
    "Machines",
    "Parade",
    "Collective",
    "Sisters",
    "Brothers",
    "Orchestra",
    "Club",
    "Society",
    "Arcade",
    "Ghosts",
    "Satellites",
)
GENRES = (
    "indie rock",
    "dream pop",
    "shoegaze",
    "synthwave",
    "house",
    "techno",
    "jazz",
    "soul",
    "hip hop",
    "folk",
    "ambient",
    "post-punk",
    "k-pop",
    "bossa nova",
    "drum and bass",
    "classical",
    "metal",
    "country",
    "afrobeats",
    "reggaeton",
)
LABELS = (
    "Tapedeck Records",
    "Cassette Culture",
    "Loopback Music",
    "Port Zero",
    "Seeded Sounds",
    "Deterministic Discs",
    "Rolling Window Recordings",
    "Keep-Alive Ltd.",
)
_PLAYLIST_NAMES = (
    "Workout",
    "Focus",
    "Sunday Morning",
    "Late Night",
    "Dinner Party",
    "Throwbacks",
    "Rainy Day",
    "Commute",
    "Running 🏃",
    "Coding",
    "Summer '24",
    "Sad Bangers",
    "Discover",
    "Roadtrip",
    "Sleep",
    "Study",
    "Party",
    "Chill",
    "Jazz for Mornings",
    "Gym 💪",
)
_SHOWS = (
    "The Loopback Hour",
    "Seeds & Signals",
    "Deterministic Talk",
    "Rolling Window Radio",
    "The Keep-Alive Show",
    "Paging Through History",
)
_OWNER_NAMES = ("mira", "karl", "noor", "tomasz", "ines", "yuki", "olu", "sven", "ana", "raj")


def track_title(r: random.Random) -> str:
    return f"{r.choice(_ADJECTIVES)} {r.choice(_NOUNS)}{r.choice(_TAILS)}"


def album_title(r: random.Random) -> str:
    if r.random() < 0.3:
        return r.choice(_NOUNS) + "s"
    return f"{r.choice(_ADJECTIVES)} {r.choice(_NOUNS)}"


def artist_name(r: random.Random) -> str:
    word = "".join(r.choice(_SYLLABLES) for _ in range(r.randint(2, 3))).capitalize()
    roll = r.random()
    if roll < 0.35:
        return f"{word} {r.choice(_BAND_WORDS)}"
    if roll < 0.6:
        return f"The {r.choice(_ADJECTIVES)} {r.choice(_BAND_WORDS)}"
    last = "".join(r.choice(_SYLLABLES) for _ in range(2)).capitalize()
    return f"{word} {last}"


def playlist_name(r: random.Random) -> str:
    name = r.choice(_PLAYLIST_NAMES)
    return name if r.random() < 0.6 else f"{name} {r.randint(2, 99)}"


def show_name(index: int) -> str:
    return _SHOWS[index % len(_SHOWS)]


def owner(r: random.Random) -> tuple[str, str]:
    """An (id, display name) for another Spotify user; ids stay base-62 like modern ones."""
    name = r.choice(_OWNER_NAMES)
    if r.random() < 0.5:
        return f"{name}{r.randint(10, 9999)}", name.capitalize()
    return "31" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(26)), (
        f"{name.capitalize()} {r.choice(_NOUNS)}"
    )


def display_name(user_id: str) -> str:
    return " ".join(part.capitalize() for part in user_id.replace("_", "-").split("-") if part)
