"""The output folder: the manifest, the extraction layer and the published versions, under one lock.

Layout of an output folder::

    etl.duckdb -> tables/etl.duckdb     the catalog users open (a link into the published version)
    tables -> .versions/<run_id>        the published version: one Parquet file per table
    .versions/<run_id>/                 published versions (the current one and the one before)
    .etl/state.sqlite                   the manifest: sources, documents -> part, parts, runs
    .etl/parts/<part>/<table>.parquet   the extraction layer: one folder of part files per batch
    .etl/enrich/enrich.duckdb           the enrich state the last run left, for an incremental enrich
    .etl/lock                           held by the running `etl run`

`Store.open` takes the lock and sweeps away what a killed run left half-done: the manifest
(`manifest`), the part folders (`parts`) and the versions (`publish`) each do their own part of it.
`Store.verify` checks the part folders against the manifest and takes the documents of damaged parts
out of the layer, for the run to extract again. `Store.open(out, rebuild=True)` starts the manifest
and the extraction layer afresh and leaves the published versions alone.

`failure` turns what the file system or sqlite raised while writing the folder (a full disk, a
read-only folder, a damaged manifest) into a `StoreError` that says what happened and what to do.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from .. import published
from ..catalog import CATALOG_NAME
from ..errors import StoreError
from .enrich_state import EnrichState
from .manifest import KnownSource, Manifest, ManifestDamaged
from .parts import COMPACT_TARGET_DOCS, DamagedParts, Parts
from .publish import TABLES_LINK, VERSIONS_DIR, Versions

STATE_DIR = ".etl"

__all__ = ["CATALOG_NAME", "COMPACT_TARGET_DOCS", "STATE_DIR", "TABLES_LINK", "VERSIONS_DIR", "DamagedParts",
           "KnownSource", "ManifestDamaged", "Store", "failure"]

MANIFEST = "state.sqlite"


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
    def open(cls, out: Path, rebuild: bool = False) -> Store:
        """Lock `out` and recover it; with `rebuild`, start the manifest and the extraction layer afresh."""
        store = cls(out)
        if store.out.exists() and not store.out.is_dir():
            raise StoreError(f"output path {store.out} exists and is not a folder")
        try:
            store.parts_dir.mkdir(parents=True, exist_ok=True)
            store.versions.folder.mkdir(exist_ok=True)
            store._lock()
            if rebuild:
                store._start_afresh()
            store._manifest = Manifest(store.state / MANIFEST)
            store._parts = Parts(store.parts_dir, store._manifest)
            if rebuild:
                store._keep_run_history()
            store.recover()
        except BaseException as exc:
            store.close()
            current = store.versions.current()
            mapped = failure(exc, store.out, current.name if current else None)
            if mapped is None or mapped is exc:
                raise
            raise mapped from exc
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

    def _start_afresh(self) -> None:
        """Drop the manifest and the part folders (`--rebuild`); the published versions stay readable.

        The `tables` link and the versions are not touched: they are replaced only when the run that
        rebuilds the layer publishes, as by any run.
        """
        for name in (MANIFEST, f"{MANIFEST}-wal", f"{MANIFEST}-shm", f"{MANIFEST}-journal"):
            (self.state / name).unlink(missing_ok=True)
        shutil.rmtree(self.parts_dir)
        shutil.rmtree(self.state / "work", ignore_errors=True)
        EnrichState(self.state).drop()
        self.parts_dir.mkdir()

    def _keep_run_history(self) -> None:
        """Seed the fresh manifest's runs with the published `runs` table, so the history survives."""
        current = self.versions.current()
        try:
            table = published.read_table(current, "runs") if current else None
        except Exception:  # noqa: BLE001 - a history that cannot be read is not worth failing the rebuild
            table = None
        if table is not None:
            self.manifest.import_runs(table.to_pylist())

    def verify(self) -> dict[str, str]:
        """Check the extraction layer; take the documents of damaged parts out of it, for extraction.

        Returns {part: what was wrong}. The damaged parts' folders are removed (their documents are now
        pending in the manifest: see `Manifest.requeue` and `Manifest.pending`).
        """
        damaged = self.parts.verify()
        if damaged:
            self.requeue(damaged)
        return damaged

    def requeue(self, damaged: dict[str, str]) -> int:
        moved = self.manifest.requeue(damaged)
        for part in damaged:
            shutil.rmtree(self.parts_dir / part, ignore_errors=True)
        return moved

    def recover(self) -> None:
        """Undo what a killed run left: mark it interrupted, drop parts and versions nobody points to."""
        current = self.versions.current()
        self.manifest.recover_runs(current.name if current else None)
        self.parts.sweep()
        self.versions.sweep()

    def current_version(self) -> Path | None:
        return self.versions.current()


_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


def failure(exc: BaseException, out: Path, published: str | None = None) -> StoreError | None:
    """The `StoreError` to report for `exc`, raised while working in the output folder `out`.

    None when `exc` is not about the folder (a bug, a plugin's own error). `published` is the run
    whose tables are published (what readers still see), for the message.
    """
    still = (f"the published tables (run {published}) are unchanged" if published
             else "nothing was published")
    text = str(exc)
    if isinstance(exc, ManifestDamaged):
        return exc
    if isinstance(exc, sqlite3.DatabaseError):
        name = getattr(exc, "sqlite_errorname", "") or ""
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "truncated" in text:
            return ManifestDamaged(
                f"the manifest {out / STATE_DIR / MANIFEST} is damaged ({text}); {still}. Run "
                f"`etl run PATHS --out {out} --rebuild` with all your inputs to extract them again into a fresh "
                f"manifest (the published tables stay readable until that run publishes)")
        if name == "SQLITE_FULL":
            return StoreError(f"the disk holding {out} is full (sqlite: {text}); {still}. Free some space and "
                              f"run again: documents extracted so far are kept")
        if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
            return StoreError(f"cannot write the manifest in {out / STATE_DIR} (sqlite: {text}); {still}. "
                              f"Make {out} writable or choose another --out")
        return StoreError(f"the manifest {out / STATE_DIR / MANIFEST} could not be read or written (sqlite "
                          f"{name or type(exc).__name__}: {text}); {still}. Check the disk and run again; if this "
                          f"repeats, run `etl run PATHS --out {out} --rebuild`")
    # pyarrow and the file system set errno; DuckDB says it only in its message.
    code = getattr(exc, "errno", None)
    filename = getattr(exc, "filename", None)
    where = f" ({filename})" if filename else ""
    if code in _DISK_FULL or "No space left on device" in text or "Disk quota exceeded" in text:
        return StoreError(f"the disk holding {out} is full{where}; {still}. Free some space and run again: "
                          f"documents extracted so far are kept")
    if code in _NOT_WRITABLE or "Read-only file system" in text:
        reason = os.strerror(code) if code else "read-only file system"
        return StoreError(f"cannot write to {out}{where}: {reason}; {still}. Make it writable or choose "
                          f"another --out")
    if isinstance(exc, OSError) and filename and _inside(Path(str(filename)), out):
        return StoreError(f"could not read or write the output folder {out}{where}: {exc.strerror or text}; "
                          f"{still}. Check the disk and run again")
    return None


def _inside(path: Path, folder: Path) -> bool:
    return path.absolute() == folder or folder in path.absolute().parents
