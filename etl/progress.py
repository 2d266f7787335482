"""Progress on a terminal: a rich progress bar over sources, with documents counted beside it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class RichProgress:
    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.task = bar.add_task("sources", total=None, docs=0)
        self.docs = 0

    def start(self, total_sources: int) -> None:
        self.bar.update(self.task, total=total_sources, description="extracting")

    def advance(self, sources: int, documents: int) -> None:
        self.docs += documents
        self.bar.update(self.task, advance=sources, docs=self.docs)

    def stage(self, name: str) -> None:
        self.bar.update(self.task, description=name)


class SilentProgress:
    def start(self, total_sources: int) -> None: ...
    def advance(self, sources: int, documents: int) -> None: ...
    def stage(self, name: str) -> None: ...


@contextmanager
def progress_display(enabled: bool) -> Iterator[RichProgress | SilentProgress]:
    if not enabled:
        yield SilentProgress()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("sources, {task.fields[docs]} documents"), TimeElapsedColumn())
    with Progress(*columns, transient=True) as bar:
        yield RichProgress(bar)
