"""The output folder: the manifest, the extraction layer and the published versions, under one lock.

Layout of an output folder::

    etl.duckdb -> tables/etl.duckdb     the catalog users open (a link into the published version)
    tables -> .versions/<run_id>        the published version: one Parquet file per table
    .versions/<run_id>/                 published versions (the current one and the one before)
    .etl/state.sqlite                   the manifest: sources, documents -> part, parts, runs
    .etl/parts/<part>/<table>.parquet   the extraction layer: one folder of part files per batch
    .etl/lock                           held by the running `etl run`

`Store.open` takes the lock and sweeps away what a killed run left half-done: the manifest
(`manifest`), the part folders (`parts`) and the versions (`publish`) each do their own part of it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

from ..catalog import CATALOG_NAME
from ..errors import StoreError
from .manifest import KnownSource, Manifest
from .parts import COMPACT_TARGET_DOCS, Parts
from .publish import TABLES_LINK, VERSIONS_DIR, Versions

STATE_DIR = ".etl"

__all__ = ["CATALOG_NAME", "COMPACT_TARGET_DOCS", "KnownSource", "STATE_DIR", "Store", "TABLES_LINK",
           "VERSIONS_DIR"]


class Store:
    """One output folder. Open it with `Store.open`, which takes the lock and recovers."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out).absolute()
        self.state = self.out / STATE_DIR
        self.parts_dir = self.state / "parts"
        self.versions = Versions(self.out, self.state)
        self._lock_handle: Any = None
        self._manifest: Manifest | None = None
        self._parts: Parts | None = None

    @classmethod
    def open(cls, out: Path) -> Store:
        store = cls(out)
        if store.out.exists() and not store.out.is_dir():
            raise StoreError(f"output path {store.out} exists and is not a folder")
        store.parts_dir.mkdir(parents=True, exist_ok=True)
        store.versions.folder.mkdir(exist_ok=True)
        store._lock()
        store._manifest = Manifest(store.state / "state.sqlite")
        store._parts = Parts(store.parts_dir, store._manifest)
        store.recover()
        return store

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            raise StoreError(f"the store at {self.out} is not open (use Store.open)")
        return self._manifest

    @property
    def parts(self) -> Parts:
        if self._parts is None:
            raise StoreError(f"the store at {self.out} is not open (use Store.open)")
        return self._parts

    def close(self) -> None:
        if self._manifest is not None:
            self._manifest.close()
            self._manifest = self._parts = None
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def _lock(self) -> None:
        handle = (self.state / "lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreError(f"another `etl run` (pid {holder}) is writing to {self.out}; wait for it to finish")
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_handle = handle

    def recover(self) -> None:
        """Undo what a killed run left: mark it interrupted, drop parts and versions nobody points to."""
        current = self.versions.current()
        self.manifest.recover_runs(current.name if current else None)
        self.parts.sweep()
        self.versions.sweep()

    def current_version(self) -> Path | None:
        return self.versions.current()
