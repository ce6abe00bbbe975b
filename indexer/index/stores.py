"""Where a build is written: the embedded store (SQLite + FAISS + bm25s in the index folder,
the default) or Qdrant (a server/cluster by URL, or the client's local mode in a folder).

The build pipeline calls only ``previous`` (the live version, for incremental reuse) and
``write`` (publish a complete new version atomically); both stores behave the same.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.errors import PolicySearchError
from indexer.records import DocumentMeta

STORES = ("embedded", "qdrant")


class Store(Protocol):
    kind: str

    def previous(self, model_id: str):
        """The live version (IndexVersion) to reuse, or None."""

    def holds(self, manifest) -> bool:
        """Whether a version with this manifest lives in this very store."""

    def write(self, manifest, documents: list[DocumentMeta], raw_documents: dict[str, dict],
              texts: dict[str, str], stored: list, vectors: np.ndarray) -> str:
        """Publish a complete new version atomically; returns its name."""


class EmbeddedStore:
    kind = "embedded"

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)

    def previous(self, model_id: str):
        from indexer.index.store import IndexProblem, current_version_path, load_index

        from indexer.index.qdrant_backend import previous_version
        from indexer.index.qdrant_store import live_pointer

        pointer = live_pointer(self.index_dir)
        if pointer is not None:  # moving from Qdrant: reuse its vectors
            try:
                return previous_version(pointer.qdrant_location, pointer.qdrant_alias, model_id)
            except PolicySearchError:
                return None  # gone or unreachable: everything is embedded anew
        try:
            current_version_path(self.index_dir)
            version = load_index(self.index_dir)
        except IndexProblem:
            return None  # none, unreadable or another format: rebuild everything
        return version if version.manifest.model_id == model_id else None

    def holds(self, manifest) -> bool:
        return manifest.store == "embedded"

    def write(self, manifest, documents, raw_documents, texts, stored, vectors) -> str:
        from indexer.index.store import write_version

        return write_version(self.index_dir, manifest, documents, raw_documents, texts, stored,
                             vectors).name


class QdrantStore:
    kind = "qdrant"

    def __init__(self, index_dir: Path, location: str | None = None, alias: str | None = None):
        from indexer.index.qdrant_store import DEFAULT_ALIAS, normalise_location

        self.index_dir = Path(index_dir)
        self.location = normalise_location(location or "", self.index_dir)
        self.alias = alias or DEFAULT_ALIAS

    def previous(self, model_id: str):
        from indexer.index.qdrant_backend import previous_version
        from indexer.index.qdrant_store import client_for, live_pointer, publish_pointer

        client_for(self.location)  # an unreachable server is reported now, before any work
        pointer = live_pointer(self.index_dir)
        if pointer is None and (self.index_dir / "CURRENT").exists():
            return EmbeddedStore(self.index_dir).previous(model_id)  # moving from embedded: reuse
        if pointer and not self.holds(pointer):  # moving from another Qdrant: reuse its vectors
            try:
                return previous_version(pointer.qdrant_location, pointer.qdrant_alias, model_id)
            except PolicySearchError:
                return None  # gone or unreachable: everything is embedded anew
        version = previous_version(self.location, self.alias, model_id)
        if version is not None and self._published() != version.name:  # killed after the switch
            publish_pointer(self.index_dir, asdict(version.manifest), version.name)
        return version

    def holds(self, manifest) -> bool:
        return (manifest.store, manifest.qdrant_location, manifest.qdrant_alias) == \
            ("qdrant", self.location, self.alias)

    def _published(self) -> str | None:
        current = self.index_dir / "CURRENT"
        return current.read_text(encoding="utf-8").strip() if current.exists() else None

    def write(self, manifest, documents, raw_documents, texts, stored, vectors) -> str:
        from indexer.index.qdrant_store import publish_pointer, write_collection

        manifest.store, manifest.qdrant_location, manifest.qdrant_alias = "qdrant", self.location, self.alias
        name = write_collection(self.location, self.alias, asdict(manifest), documents,
                                raw_documents, texts, stored, vectors)
        publish_pointer(self.index_dir, asdict(manifest), name)
        return name


def make_store(kind: str | None, index_dir: Path, location: str | None = None,
               alias: str | None = None) -> Store:
    """The store named by a setting: "embedded" (default) or "qdrant"."""
    from indexer.errors import SettingsError

    kind = (kind or "embedded").strip().lower()
    if kind == "embedded":
        return EmbeddedStore(index_dir)
    if kind == "qdrant":
        return QdrantStore(index_dir, location, alias)
    raise SettingsError(f"Unknown store '{kind}'", f"Choose one of: {', '.join(STORES)} (--store, POLICY_STORE)")
