"""The collection tables of one entity service's database, by job: writes (staging, sealing,
versions), reads (versions, pages, entries) and the sweep of what dead syncs left."""

from __future__ import annotations

from collection.store.gc import GarbageCollection
from collection.store.objects import ObjectReads
from collection.store.reads import ListingReads
from collection.store.writes import ListingWrites


class CollectionStore(ListingWrites, ListingReads, GarbageCollection, ObjectReads):
    """Every query on the collection tables (collection.store.tables), in one object."""
