"""Run tasks in this process (one worker) or in a pool of spawned worker processes.

Workers rebuild the plugin manager from the `WorkerSpec` rather than receiving it: a pluggy manager
cannot be pickled, and rebuilding keeps each worker's plugins exactly those of the main process.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..errors import PluginError
from ..manager import get_plugin_manager
from ..pipeline import Pipeline
from ..worker import SourceOutcome, SourceTask, WorkContext, process_task


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker process needs to rebuild the pipeline of the main process."""

    config: Config
    ctx: WorkContext
    load_entrypoints: bool
    extra_plugins: tuple[tuple[str, Any], ...] = ()

    def build(self) -> Pipeline:
        pm = get_plugin_manager(load_entrypoints=self.load_entrypoints, plugins_dirs=self.config.plugins_dir,
                                disabled=self.config.disable)
        for name, plugin in self.extra_plugins:
            pm.register(plugin, name)
        return Pipeline(pm, self.config)


def extra_plugins_of(pipeline: Pipeline) -> tuple[tuple[str, Any], ...]:
    """Plugins registered by code (not built-in, installed or from a plugins folder), to ship to workers."""
    extras = []
    for name, plugin in pipeline.pm.list_name_plugin():
        if pipeline.pm.origin(name).kind != "registered":
            continue
        try:
            pickle.dumps(plugin)
        except Exception as exc:
            raise PluginError(
                f"plugin {name!r} was registered by code and cannot be sent to worker processes ({exc}); "
                f"run with --workers 1, or put it in a --plugins-dir file or an installed package"
            ) from exc
        extras.append((name, plugin))
    return tuple(extras)


_worker_pipeline: Pipeline | None = None
_worker_ctx: WorkContext | None = None


def _init_worker(spec: WorkerSpec) -> None:
    global _worker_pipeline, _worker_ctx
    _worker_pipeline = spec.build()
    _worker_ctx = spec.ctx


def _run_in_worker(task: list[SourceTask]) -> list[SourceOutcome]:
    assert _worker_pipeline is not None and _worker_ctx is not None
    return process_task(_worker_pipeline, _worker_ctx, task)


class LocalExecutor:
    """`workers` processes on this machine; with one worker, everything runs in this process."""

    def __init__(self, pipeline: Pipeline, spec: WorkerSpec, workers: int) -> None:
        self.pipeline = pipeline
        self.spec = spec
        self.workers = workers

    def map(self, tasks: Iterable[list[SourceTask]]) -> Iterator[list[SourceOutcome]]:
        if self.workers == 1:
            for task in tasks:
                yield process_task(self.pipeline, self.spec.ctx, task)
            return
        spec = WorkerSpec(self.spec.config, self.spec.ctx, self.spec.load_entrypoints,
                          extra_plugins_of(self.pipeline))
        context = multiprocessing.get_context("spawn")
        # A bounded number of tasks in flight keeps memory flat however many sources there are.
        limit = self.workers * 2
        with ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker,
                                 initargs=(spec,)) as pool:
            pending: set[Future[list[SourceOutcome]]] = set()
            iterator = iter(tasks)
            exhausted = False
            while pending or not exhausted:
                while not exhausted and len(pending) < limit:
                    task = next(iterator, None)
                    if task is None:
                        exhausted = True
                    else:
                        pending.add(pool.submit(_run_in_worker, task))
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
