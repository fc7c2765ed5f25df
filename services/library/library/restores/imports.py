"""Imports: a library brought in from a file (an Exportify CSV, a Tapedeck JSON zip, a list
of URIs), parsed by the gateway, kept per user as a restore's source. Tables and queries on
them, and the source a restore reads from one."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kit import errors
from kit.database import Database, UtcDateTime
from library.restores.model import Selection
from library.restores.sources import Source, SourcePlaylist, Unrestorable
from library.restores.store import Base

FORMATS = ("exportify", "exportify_extended", "tapedeck_json", "uris")
UNRESOLVED = "no_uri"


@dataclass
class ImportedPlaylist:
    id: str
    name: str
    description: str
    uris: list[str]
    unresolved: int = 0


@dataclass
class Import:
    id: str
    user_id: str
    format: str
    created_at: datetime
    playlists: list[ImportedPlaylist] = field(default_factory=list)
    liked: list[str] = field(default_factory=list)
    albums: list[str] = field(default_factory=list)


class ImportRow(Base):
    __tablename__ = "imports"
    __table_args__ = (sa.Index("ix_imports_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(64))
    format: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # {"playlists": [{"id", "name", "description", "uris", "unresolved"}], "liked", "albums"}
    content_json: Mapped[str] = mapped_column(sa.Text)


def _from_row(row: ImportRow) -> Import:
    content = json.loads(row.content_json)
    return Import(
        id=row.id,
        user_id=row.user_id,
        format=row.format,
        created_at=row.created_at,
        playlists=[ImportedPlaylist(**p) for p in content["playlists"]],
        liked=content["liked"],
        albums=content["albums"],
    )


class Imports:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        user_id: str,
        format: str,
        playlists: list[ImportedPlaylist],
        liked: list[str],
        albums: list[str],
    ) -> Import:
        if format not in FORMATS:
            raise errors.InvalidArgument(f"format must be one of {', '.join(FORMATS)}")
        if not (playlists or liked or albums):
            raise errors.InvalidArgument("the import holds nothing to restore")
        made = Import(uuid.uuid4().hex, user_id, format, datetime.now(UTC), [], liked, albums)
        for n, p in enumerate(playlists):
            made.playlists.append(
                ImportedPlaylist(f"{made.id[:8]}-{n}", p.name, p.description, p.uris, p.unresolved)
            )
        content = {
            "playlists": [p.__dict__ for p in made.playlists],
            "liked": liked,
            "albums": albums,
        }
        with self._db.write() as session:
            session.add(
                ImportRow(
                    id=made.id,
                    user_id=user_id,
                    format=format,
                    created_at=made.created_at,
                    content_json=json.dumps(content),
                )
            )
        return made

    def get(self, user_id: str, import_id: str) -> Import:
        with self._db.read() as session:
            row = session.get(ImportRow, import_id)
            if row is None or row.user_id != user_id:
                raise errors.NotFound("no such import")
            return _from_row(row)

    def page(self, user_id: str, offset: int, limit: int) -> tuple[list[Import], int]:
        with self._db.read() as session:
            mine = ImportRow.user_id == user_id
            total = session.scalar(sa.select(sa.func.count()).select_from(ImportRow).where(mine))
            rows = session.scalars(
                sa.select(ImportRow)
                .where(mine)
                .order_by(ImportRow.created_at.desc(), ImportRow.id.desc())
                .offset(offset)
                .limit(limit)
            )
            return [_from_row(r) for r in rows], int(total or 0)

    def delete(self, user_id: str, import_id: str) -> None:
        with self._db.write() as session:
            row = session.get(ImportRow, import_id)
            if row is None or row.user_id != user_id:
                raise errors.NotFound("no such import")
            session.delete(row)

    def source(self, user_id: str, import_id: str, selection: Selection) -> Source:
        """The import as a restore's source (the selected parts). NotFound for a playlist
        id the import does not hold."""
        found = self.get(user_id, import_id)
        source = Source(import_id=found.id)
        wanted = set(selection.playlists)
        known = {p.id for p in found.playlists}
        missing = wanted - known
        if missing:
            raise errors.NotFound(f"no such playlist in that import: {sorted(missing)[0]}")
        for p in found.playlists:
            if selection.all_playlists or p.id in wanted:
                source.playlists.append(
                    SourcePlaylist(
                        id=p.id,
                        name=p.name,
                        description=p.description,
                        owner_id="",
                        collaborative=False,
                        uris=tuple(p.uris),
                        not_restorable=tuple(
                            Unrestorable(None, UNRESOLVED) for _ in range(p.unresolved)
                        ),
                    )
                )
        if selection.liked:
            source.liked = list(found.liked)
        if selection.albums:
            source.albums = list(found.albums)
        return source
