"""The collection contract every entity service implements: storage, sync, reads, servicer."""
