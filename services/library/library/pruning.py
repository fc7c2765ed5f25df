"""Pruning a user's saves: the saves their retention rule (library.retention) does not keep,
or one they delete, go; then each kind's entity service forgets the versions no remaining
save holds, and collects the garbage. Runs when a save ends, when a save is deleted, and on
a timer for every user.

Versions are shared: saves that saw the same data hold the same version, so the versions to
keep are read from the saves that remain, never derived from the deleted ones. That read,
and telling the entity services, happen under the user's lock (the one starting a save
takes), and only while none of the user's saves is queued or running: a running save may
end with a version that no save holds yet, or build on one, and its own end prunes again.
A version an entity service recorded for a save the library never heard of (a library
killed mid-save) is forgotten the same way. The entity services then collect garbage, asked
from a thread of its own (neither a save's end nor a DELETE waits for it), safely while
syncs run (collection.store.gc)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from kit import errors
from library.entities import Entities
from library.kinds import KINDS
from library.retention import Rule, kept, rule_of
from library.saves import Save, is_save_id

log = logging.getLogger(__name__)

# Saves of one user read at once when pruning (every save of the user is read).
_ALL = 1_000_000


class UserHold(Protocol):
    """What is read while a user's lock is held (library.retention_store has it)."""

    def has_active_save(self) -> bool: ...

    def versions(self) -> dict[str, set[str]]:
        """Per kind, the versions the user's saves hold."""
        ...


class Rules(Protocol):
    """The rules, deleting saves, and the user's lock (library.retention_store has them)."""

    def rule(self, user_id: str) -> Rule | None: ...

    def put_rule(self, user_id: str, rule: Rule) -> None: ...

    def delete_saves(self, user_id: str, save_ids: Sequence[str]) -> int:
        """Deletes those of the user's saves that have ended; how many went."""
        ...

    def users(self) -> list[str]: ...

    def holding(self, user_id: str) -> AbstractContextManager[UserHold]:
        """The user's lock, held while the block runs: no save of theirs starts meanwhile."""
        ...


class SavesOf(Protocol):
    """What pruning needs of the saves (library.store.LibraryStore has it)."""

    def page(self, user_id: str, offset: int, limit: int) -> tuple[list[Save], int]: ...


class Pruning:
    def __init__(
        self,
        saves: SavesOf,
        rules: Rules,
        entities: Entities,
        default: Rule,
        get_save: Callable[[str, str], Save],
    ) -> None:
        """`default`: the rule of users who set none (TAPEDECK_RETENTION). `get_save(user,
        id)`: a save's freshest state (a running one's in memory), NotFound if not theirs."""
        self._saves = saves
        self._rules = rules
        self._entities = entities
        self._default = default
        self._get_save = get_save
        self._collector = Collector(entities)

    def close(self) -> None:
        """Stops the collector thread (a collection under way ends first)."""
        self._collector.close()

    def collect_now(self) -> None:
        """Waits until the collections asked for so far have run."""
        self._collector.wait()

    def rule(self, user_id: str) -> Rule:
        errors.required(user_id, "user_id")
        return self._rules.rule(user_id) or self._default

    def set_rule(self, user_id: str, values: dict[str, object]) -> Rule:
        """Parts not given are the server's default; InvalidArgument for a part out of 0-1000.
        Takes effect at the next pruning (the next save's end, or the daily one)."""
        errors.required(user_id, "user_id")
        rule = rule_of(values, self._default)
        self._rules.put_rule(user_id, rule)
        return rule

    def delete(self, user_id: str, save_id: str) -> None:
        """Deletes one save; NotFound if it is not the user's, Conflict while it runs."""
        errors.required(user_id, "user_id")
        if not is_save_id(save_id):
            raise errors.NotFound("no such save")
        save = self._get_save(user_id, save_id)
        if not save.ended:
            raise errors.Conflict("the save is still running")
        if self._rules.delete_saves(user_id, [save_id]) == 0:
            # It started running meanwhile, which is impossible for an ended save, or another
            # request deleted it first.
            raise errors.NotFound("no such save")
        log.info("save deleted", extra={"save_id": save_id})
        self._forget(user_id)

    def prune(self, user_id: str, *, collect: bool = True) -> list[str]:
        """Deletes the user's saves their rule does not keep, then forgets what no remaining
        save holds (and collects it, with `collect`). Returns the ids of the saves deleted."""
        saves, _ = self._saves.page(user_id, 0, _ALL)
        keep = kept(saves, self.rule(user_id))
        doomed = [s.id for s in saves if s.ended and s.id not in keep]
        deleted = self._rules.delete_saves(user_id, doomed)
        if deleted:
            log.info("saves pruned", extra={"saves_deleted": deleted})
        self._forget(user_id, collect=collect)
        return doomed

    def prune_everyone(self) -> int:
        """Prunes every user's saves (the daily pass); returns how many saves went."""
        deleted = 0
        for user_id in self._rules.users():
            try:
                deleted += len(self.prune(user_id, collect=False))
            except Exception:  # one user's failure must not stop the others
                log.exception("pruning failed")
        return deleted

    def _forget(self, user_id: str, *, collect: bool = True) -> None:
        dropped: list[str] = []
        with self._rules.holding(user_id) as hold:
            if hold.has_active_save():
                return  # that save's end prunes again
            held = hold.versions()
            for kind in KINDS:
                try:
                    if self._entities.keep_versions(kind, user_id, held.get(kind, set())):
                        dropped.append(kind)
                except errors.TapedeckError as exc:
                    # Down for now: the next pruning forgets them.
                    log.warning("versions not forgotten", extra={"kind": kind, "code": exc.code})
        if collect:
            self._collector.collect(dropped)

    def collect_everywhere(self) -> None:
        """A garbage collection in every kind's service: what killed syncs left behind goes
        even when no version was forgotten."""
        for kind in KINDS:
            try:
                self._entities.collect_garbage(kind)
            except errors.TapedeckError as exc:
                log.warning("garbage not collected", extra={"kind": kind, "code": exc.code})


class Collector:
    """Runs the garbage collections pruning asks for on a thread of its own, one kind at a
    time: a collection reads a whole database (and may compact it), which a save's end or a
    DELETE need not wait for. Requests for a kind already waiting count once."""

    def __init__(self, entities: Entities) -> None:
        self._entities = entities
        self._changed = threading.Condition()
        self._pending: list[str] = []
        self._running = False
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="collect", daemon=True)
        self._thread.start()

    def collect(self, kinds: list[str]) -> None:
        with self._changed:
            self._pending.extend(k for k in kinds if k not in self._pending)
            self._changed.notify_all()

    def wait(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._pending and not self._running)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._pending.clear()
            self._changed.notify_all()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._pending) or self._closed)
                if self._closed:
                    return
                kind = self._pending.pop(0)
                self._running = True
            try:
                self._entities.collect_garbage(kind)
            except errors.TapedeckError as exc:
                log.warning("garbage not collected", extra={"kind": kind, "code": exc.code})
            except Exception:  # a thread of its own: log, and go on with the next
                log.exception("garbage not collected", extra={"kind": kind})
            finally:
                with self._changed:
                    self._running = False
                    self._changed.notify_all()


class PruningTimer:
    """Prunes every user's saves, then collects garbage everywhere, every `interval_s`
    (daily by default), on a thread of its own; the first pass one interval after start."""

    def __init__(self, pruning: Pruning, interval_s: float) -> None:
        self._pruning = pruning
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pruning", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stops the timer, then the pruning's collections."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._pruning.close()

    def run_once(self) -> None:
        self._pruning.prune_everyone()
        self._pruning.collect_everywhere()

    def _loop(self) -> None:
        while not self._stopping.wait(self._interval_s):
            try:
                self.run_once()
            except Exception:  # the databases may be away for a while: next time
                log.exception("daily pruning failed")
