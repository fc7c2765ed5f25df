"""The tables every entity service keeps in its own database, the same for each kind.

- objects: Spotify's JSON as returned, once per distinct content (keyed by its SHA-256).
- listings: an ordered list of entries, sealed under the digest of its content, so an
  unchanged list is stored once however many saves see it.
- entries: one listing position: the object there, its index columns (Spotify id, uri,
  name, a change tag such as a playlist's snapshot_id), and optionally a detail object and a
  child listing (a playlist's full object and its items).
- versions: a user's collection of this kind at some time: a sealed listing."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ObjectRow(Base):
    __tablename__ = "objects"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    body: Mapped[str] = mapped_column(sa.Text)


class ListingRow(Base):
    __tablename__ = "listings"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    # Set when the listing is complete (sealed); unique, so equal contents share one listing.
    digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True, nullable=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (
        sa.Index("ix_entries_listing_item", "listing_id", "item_id"),
        # What entries refer to: deleting an object or listing checks nothing still does.
        sa.Index("ix_entries_object", "object_digest"),
        sa.Index("ix_entries_detail", "detail_digest"),
        sa.Index("ix_entries_children", "children_id"),
        # Rows are small and found by their key: one B-tree instead of a table and an index.
        {"sqlite_with_rowid": False},
    )

    listing_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    item_id: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    uri: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    name: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    tag: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    object_digest: Mapped[str] = mapped_column(sa.String(64), sa.ForeignKey("objects.digest"))
    detail_digest: Mapped[str | None] = mapped_column(
        sa.String(64), sa.ForeignKey("objects.digest"), nullable=True
    )
    children_id: Mapped[str | None] = mapped_column(
        sa.String(32), sa.ForeignKey("listings.id"), nullable=True
    )
    withheld: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class VersionRow(Base):
    __tablename__ = "versions"

    user_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    listing_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("listings.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class PinRow(Base):
    """A sealed listing a running sync will still refer to (collection.store.gc): the
    garbage collection keeps it, and what it reaches, until the sync ends and unpins it.
    No foreign key: a pin outlives nothing, and a killed sync's pins expire by age."""

    __tablename__ = "pins"

    sync_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    listing_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
