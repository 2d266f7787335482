"""Run tasks in this process (one worker) or in a pool of spawned worker processes.

Workers rebuild the plugin manager from the `WorkerSpec` rather than receiving it: a pluggy manager
cannot be pickled, and rebuilding keeps each worker's plugins exactly those of the main process.

Workers die with the main process. Killed (SIGKILL, the out-of-memory killer), the main process
cannot stop them, and a worker of a `ProcessPoolExecutor` does not notice: it would go on with the
tasks already queued to it, writing part folders into an output folder that the next run may be
using, then wait forever. So each worker asks the kernel for SIGKILL when its parent dies
(`_die_with_parent`). Interrupted (Ctrl-C, SIGTERM), the main process kills its workers itself rather
than wait for their tasks. multiprocessing's resource tracker needs nothing: it exits once every
process holding its pipe (the main process and the workers) is gone.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..errors import PluginError
from ..manager import get_plugin_manager
from ..pipeline import Pipeline
from ..tasks import SourceOutcome, SourceTask, WorkContext
from ..worker import process_task
from .recovery import Recovery, WorkerDied, top_up


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker process needs to rebuild the pipeline of the main process."""

    config: Config
    ctx: WorkContext
    load_entrypoints: bool
    extra_plugins: tuple[tuple[str, Any], ...] = ()

    def build(self) -> Pipeline:
        """The pipeline of a worker process, built in that process."""
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
_worker_error: Exception | None = None


#: prctl(2) option: the signal the kernel sends this process when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Make this worker process die when the process that started it dies, however it dies.

    On Linux the kernel sends SIGKILL (`PR_SET_PDEATHSIG`): it comes even while the worker is busy in
    native code holding the GIL. The setting only covers a parent that dies after it is made, so the
    parent is checked once more right after. Elsewhere a thread waits on the pipe from the parent,
    which the operating system closes when the parent dies. (Linux sends the signal when the *thread*
    that started the worker ends, not the process: the pool is always started from the main thread,
    which ends only with the process.)
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != parent.pid:  # the parent died before the signal was asked for
                os._exit(1)
            return
    threading.Thread(target=_exit_when_gone, args=(parent.sentinel,), name="parent-watchdog", daemon=True).start()


def _exit_when_gone(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])  # readable (end of file) once the parent is gone
    os.kill(os.getpid(), signal.SIGKILL)


def _init_worker(spec: WorkerSpec) -> None:
    # First of all, before the slow part (building the pipeline loads the models).
    _die_with_parent()
    # Ctrl-C reaches every process of the terminal's process group: the main process handles it and
    # stops the workers (`LocalExecutor.map`); a worker would only print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # An initializer that raises kills its process, which would pass for a worker death: keep the
    # error and raise it with the first task instead, so that the run stops with it.
    global _worker_pipeline, _worker_ctx, _worker_error
    try:
        _worker_pipeline = spec.build()
    except Exception as exc:
        _worker_error = exc
    _worker_ctx = spec.ctx


def _run_in_worker(task: list[SourceTask]) -> list[SourceOutcome]:
    if _worker_error is not None:
        raise _worker_error
    assert _worker_pipeline is not None and _worker_ctx is not None
    return process_task(_worker_pipeline, _worker_ctx, task, worker_process=True)


class LocalExecutor:
    """`workers` processes on this machine; with one worker, everything runs in this process.

    A worker process that dies breaks the whole pool: every task in flight fails with it. The pool
    is replaced and those tasks are re-run by `Recovery`, one source at a time, so only what kills a
    worker when alone is charged (with one worker there is no other process to lose: a crash ends the
    run, and the next run picks up where it stopped).
    """

    def __init__(self, pipeline: Pipeline, spec: WorkerSpec, workers: int) -> None:
        self.pipeline = pipeline
        self.spec = spec
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._spec = spec

    def map(self, tasks: Iterable[list[SourceTask]]) -> Iterator[list[SourceOutcome]]:
        if self.workers == 1:
            for task in tasks:
                yield process_task(self.pipeline, self.spec.ctx, task)
            return
        spec = WorkerSpec(self.spec.config, self.spec.ctx, self.spec.load_entrypoints,
                          extra_plugins_of(self.pipeline))
        self._spec = spec
        recovery = Recovery(self.pipeline, spec.ctx, self._run_alone,
                            "killed, out of memory, or a crash in native code")
        limit = self.workers * 2
        try:
            pending: dict[Future[list[SourceOutcome]], list[SourceTask]] = {}
            iterator = iter(tasks)
            exhausted = False
            while pending or not exhausted:
                if not exhausted:
                    exhausted = top_up(pending, iterator, limit, self._submit)
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                suspects = []
                for future in done:
                    task = pending.pop(future)
                    if _broke(future):
                        suspects.append(task)
                    else:
                        yield future.result()
                if suspects:
                    # Every task still in flight went down with the pool (or will): collect them all.
                    wait(pending)
                    for future, task in pending.items():
                        if _broke(future):
                            suspects.append(task)
                        else:
                            yield future.result()
                    pending = {}
                    self._shutdown()
                    for task in suspects:
                        yield recovery.rerun(task)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM), or the caller stopped iterating: the results in flight are no
            # longer wanted. Stop the workers now rather than wait for their tasks, so that no worker writes
            # a part folder after the run has ended.
            self._kill_workers()
            raise
        finally:
            self._shutdown()

    def _submit(self, task: list[SourceTask]) -> Future[list[SourceOutcome]]:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker,
                                             initargs=(self._spec,))
        return self._pool.submit(_run_in_worker, task)

    def _run_alone(self, task: list[SourceTask]) -> list[SourceOutcome]:
        try:
            return self._submit(task).result()
        except BrokenProcessPool as exc:
            self._shutdown()
            raise WorkerDied(str(exc)) from exc

    def _kill_workers(self) -> None:
        if self._pool is None:
            return
        # `_processes` is private, but the pool has no public way to stop a task in progress.
        for process in list((getattr(self._pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _broke(future: Future[Any]) -> bool:
    """Whether a finished task failed because its worker pool broke (a worker died)."""
    return isinstance(future.exception(), BrokenProcessPool)
