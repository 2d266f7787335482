"""Published versions: `.versions/<run_id>/` folders and the `tables` link that makes one of them current.

A version becomes published only when the `tables` link is replaced, which is one atomic rename. The
current version and the one before it are kept, so that a reader who opened the previous one keeps
working through one more run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..catalog import CATALOG_NAME

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
            keep.add(self.marker.read_text().strip())
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

    def new(self, run_id: str) -> Path:
        path = self.folder / run_id
        path.mkdir()
        return path

    def publish(self, version_dir: Path) -> None:
        """Switch the `tables` link to `version_dir` in one atomic rename; keep one older version."""
        previous = self.current()
        tmp = self.out / f".{TABLES_LINK}.tmp"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(os.path.relpath(version_dir, self.out), tmp)
        os.replace(tmp, self.out / TABLES_LINK)
        _fsync_dir(self.out)
        catalog_link = self.out / CATALOG_NAME
        if (version_dir / CATALOG_NAME).exists() and not catalog_link.is_symlink():
            if catalog_link.exists():
                catalog_link.unlink()
            os.symlink(f"{TABLES_LINK}/{CATALOG_NAME}", catalog_link)
        self.marker.write_text(previous.name if previous else "")
        keep = {version_dir.name, previous.name if previous else ""}
        for entry in self.folder.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
