"""Executors run the per-document stages (parse, clean, extract) over tasks of sources.

An executor takes an iterable of tasks and yields, for each, the list of `SourceOutcome`s in any
order; the runner commits each as it arrives. The local executor uses worker processes on this
machine; the Ray executor (optional: `pip install 'newsetl[ray]'`) uses Ray tasks, on this machine or
a cluster. Both survive a worker that dies (see `recovery`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from ..config import EXECUTORS
from ..errors import ConfigError
from ..pipeline import Pipeline
from ..tasks import SourceOutcome, SourceTask
from .local import LocalExecutor, WorkerSpec


def check_executor(name: str, address: str | None) -> None:
    """Fail before a run starts when the executor is unknown, misconfigured or not installed."""
    if name not in EXECUTORS:
        raise ConfigError(f"unknown executor {name!r}; executors: {', '.join(EXECUTORS)}")
    if address and name != "ray":
        raise ConfigError(f"a Ray address ({address}) was given but the executor is {name}; use --executor ray")
    if name == "ray":
        from .ray_executor import import_ray

        import_ray()


class Executor(Protocol):
    def map(self, tasks: Iterable[list[SourceTask]]) -> Iterator[list[SourceOutcome]]: ...


def make_executor(name: str, pipeline: Pipeline, spec: WorkerSpec, workers: int,
                  address: str | None = None) -> Executor:
    """The executor called `name` ("local" or "ray"); `address` is a Ray cluster's."""
    check_executor(name, address)
    if name == "ray":
        from .ray_executor import RayExecutor

        return RayExecutor(pipeline, spec, workers, address)
    return LocalExecutor(pipeline, spec, workers)


__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "WorkerSpec", "check_executor", "make_executor"]
