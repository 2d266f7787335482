"""Published versions: `.versions/<run_id>/` folders and the `tables` link that makes one of them current.

A version becomes published only when the `tables` link is replaced, which is one atomic rename. The
current version and the one before it are kept, so that a reader who opened the previous one keeps
working through one more run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from ..catalog import CATALOG_NAME
from ..published import row_count

VERSIONS_DIR = ".versions"
TABLES_LINK = "tables"
PREVIOUS_MARKER = "previous_version"


class Versions:
    """The published versions of the output folder `out`; `state` holds the marker of the previous one."""

    def __init__(self, out: Path, state: Path) -> None:
        self.out = out
        self.folder = out / VERSIONS_DIR
        self.marker = state / PREVIOUS_MARKER

    def current(self) -> Path | None:
        link = self.out / TABLES_LINK
        return link.resolve() if link.is_symlink() else None

    def kept(self) -> set[str]:
        current = self.current()
        keep = {current.name} if current else set()
        if self.marker.exists():
            keep.update(name for name in self.marker.read_text().split() if name)
        return keep

    def sweep(self) -> None:
        """Remove versions nobody points to (a killed run's half-written one) and a stray link."""
        keep = self.kept()
        for entry in self.folder.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)
        stray = self.out / f".{TABLES_LINK}.tmp"
        if stray.is_symlink() or stray.exists():
            stray.unlink()

    def row_counts(self, tables: Iterable[str]) -> dict[str, int]:
        """Rows of each of `tables` in the current version, from the Parquet footers (no row is read)."""
        current = self.current()
        if current is None:
            return {}
        return {table: row_count(current, table) for table in tables}

    def new(self, run_id: str) -> Path:
        path = self.folder / run_id
        path.mkdir()
        return path

    def publish(self, version_dir: Path) -> list[str]:
        """Switch the `tables` link to `version_dir` in one atomic rename; keep one older version.

        Once the link is switched the version is published, whatever fails after: what could not be
        done then (tidying, on a full disk say) is returned as warnings, not raised.
        """
        previous = self.current()
        # The marker is written before the switch, naming both the version before the current one and
        # the current one, so that whichever moment this stops at, no version a reader may have open is
        # swept; after the switch it is narrowed to the one now before the new version.
        self._write_marker([n for n in {*self.kept(), previous.name if previous else ""} if n])
        tmp = self.out / f".{TABLES_LINK}.tmp"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(os.path.relpath(version_dir, self.out), tmp)
        os.replace(tmp, self.out / TABLES_LINK)
        problems = []
        try:
            _fsync_dir(self.out)
            catalog_link = self.out / CATALOG_NAME
            if (version_dir / CATALOG_NAME).exists() and not catalog_link.is_symlink():
                if catalog_link.exists():
                    catalog_link.unlink()
                os.symlink(f"{TABLES_LINK}/{CATALOG_NAME}", catalog_link)
        except OSError as exc:
            problems.append(f"the link {self.out / CATALOG_NAME} to the catalog could not be made "
                            f"({exc.strerror}); open {self.out / TABLES_LINK / CATALOG_NAME}, or run again")
        try:
            self._write_marker([previous.name] if previous else [])
        except OSError as exc:
            problems.append(f"the older version could not be marked for removal ({exc.strerror}); the next "
                            f"run removes it")
        keep = {version_dir.name, previous.name if previous else ""}
        for entry in self.folder.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)
        return problems

    def _write_marker(self, names: list[str]) -> None:
        """Replace the marker in one rename: a full disk leaves the old marker, never an empty one."""
        tmp = self.marker.with_name(self.marker.name + ".tmp")
        tmp.write_text("\n".join(sorted(names)))
        os.replace(tmp, self.marker)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
