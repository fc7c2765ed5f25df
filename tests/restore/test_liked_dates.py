"""Liked Songs' original dates through a restore (library.restores.liked): kept, exactly and
in order, through the older PUT /me/tracks where the app has extended quota; through
PUT /me/library otherwise, where the dry run and the result say they are not kept."""

from __future__ import annotations

from pathlib import Path

from teststack.stack import Stack

from spotify_emulator import Emulator

from .conftest import Api, login_with_write_scopes, spotify

USER = "tapedeck-demo"


def liked(emulator: Emulator) -> list[tuple[str, str]]:
    """The user's Liked Songs as the emulator holds them: (URI, added_at), newest first."""
    return [(s["track"]["uri"], s["added_at"]) for s in emulator.user(USER).saved_tracks()]


def unlike(emulator: Emulator, uris: list[str]) -> None:
    hand = spotify(emulator, USER)
    for start in range(0, len(uris), 40):
        gone = hand.delete(
            f"{emulator.api_url}/me/library", params={"uris": ",".join(uris[start : start + 40])}
        )
        assert gone.ok, gone.text
    assert not set(uris) & {u for u, _ in liked(emulator)}


def test_extended_quota_keeps_each_liked_songs_date_and_falls_back_when_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.set_mode("legacy")  # an extended-quota app: the older endpoints are there
    stack = Stack.start(emulator, tmp_path, spotify_extended_quota=True)
    try:
        api = Api(stack.url, login_with_write_scopes(stack.url, USER))
        before = liked(emulator)
        assert api.save()["status"] == "succeeded"
        # All but five unliked: the restored ones must land between those that stayed.
        gone = [u for n, (u, _) in enumerate(before) if n % 12 != 5]
        assert len(gone) > 50  # more than one call's worth
        unlike(emulator, gone)
        emulator.reset_stats()

        dry = api.post("/api/v1/restores", {"liked": True, "dry_run": True})
        assert dry.status_code == 200, dry.text
        assert dry.json()["plan"]["liked"] == {
            "add": len(gone),
            "not_restorable": [],
            "dates_kept": True,
        }
        assert emulator.writes()["total"] == 0
        done = api.restore({"liked": True})

        assert done["status"] == "succeeded", done
        assert done["plan"]["liked"]["dates_kept"] is True
        assert liked(emulator) == before  # every date exactly, so the order too
        # 50 per call, and nothing through /me/library.
        assert emulator.writes() == {"PUT /v1/me/tracks": -(-len(gone) // 50), "total": 2}

        # The app loses extended quota: Spotify refuses the older save; the rest goes
        # through /me/library, every song liked again, and the result says dates were lost.
        emulator.set_mode("2026")
        unlike(emulator, gone)
        emulator.reset_stats()
        again = api.restore({"liked": True})

        assert again["status"] == "succeeded", again
        assert again["plan"]["liked"]["dates_kept"] is False
        assert again["progress"] == {"done": len(gone), "total": len(gone)}
        now = liked(emulator)
        assert sorted(u for u, _ in now) == sorted(u for u, _ in before)
        dated = dict(before)
        assert all(at != dated[u] for u, at in now if u in gone)
        assert emulator.writes() == {
            "PUT /v1/me/tracks": 1,
            "PUT /v1/me/library": -(-len(gone) // 40),
            "total": 1 + -(-len(gone) // 40),
        }
    finally:
        stack.stop()


def test_development_mode_restores_liked_songs_through_me_library_without_dates(
    emulator: Emulator, tmp_path: Path
) -> None:
    stack = Stack.start(emulator, tmp_path)  # no extended quota: the default
    try:
        api = Api(stack.url, login_with_write_scopes(stack.url, USER))
        before = liked(emulator)
        assert api.save()["status"] == "succeeded"
        gone = [u for u, _ in before[:45]]
        unlike(emulator, gone)
        emulator.reset_stats()

        dry = api.post("/api/v1/restores", {"liked": True, "dry_run": True})
        assert dry.status_code == 200, dry.text
        assert dry.json()["plan"]["liked"]["dates_kept"] is False
        done = api.restore({"liked": True})

        assert done["status"] == "succeeded", done
        assert done["plan"]["liked"]["dates_kept"] is False
        now = liked(emulator)
        # Each liked again at the time of the restore, oldest first: the order is kept,
        # the dates are not.
        assert [u for u, _ in now] == [u for u, _ in before]
        assert [at for _, at in now[45:]] == [at for _, at in before[45:]]
        assert all(at not in {a for _, a in before} for _, at in now[:45])
        assert emulator.writes() == {"PUT /v1/me/library": 2, "total": 2}
    finally:
        stack.stop()
