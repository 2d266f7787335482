"""Run the per-document stages as Ray tasks: on a local Ray runtime, or on a cluster (`--address`).

Each task is a list of sources, as with the local executor; a Ray worker rebuilds the pipeline from
the `WorkerSpec` once per run and keeps it for the tasks it is given. Workers read the input files and
write part files into the output folder themselves, so on a cluster of several machines the inputs,
the output folder (`--out`) and any `--plugins-dir` must be on a filesystem every node mounts at the
same path, and this package (with the plugins) must be installed on every node. The main process only
commits outcomes to the manifest, as they arrive.

A Ray worker that dies fails only its own task (Ray's automatic retry is off, so that a document that
kills every worker it meets is not tried again and again): the task is re-run one source at a time
and only what kills a worker when alone becomes an `errors` row (see `recovery`).

The per-document time limit (`document_timeout`) is a SIGALRM timer that only the main thread of a
process receives (`etl.stages.deadline`). Ray runs a normal (non-actor) task on its worker process's
main thread (checked with Ray 2.60; `tests/test_ray.py` holds it to that), so the limit holds here as it
does in local worker processes, with no watchdog thread.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import EtlError
from ..manager import DISABLE_AUTOLOAD_ENV
from ..pipeline import Pipeline
from ..tasks import SourceOutcome, SourceTask
from ..worker import process_task
from .local import WorkerSpec, extra_plugins_of
from .recovery import Recovery, WorkerDied, top_up

INSTALL_HINT = "pip install 'newsetl[ray]'"


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise EtlError(f"--executor ray needs Ray, which is not installed: {INSTALL_HINT}") from exc
    return ray


_cached: tuple[str, Pipeline] | None = None


def _run_on_ray(spec: WorkerSpec, task: list[SourceTask]) -> list[SourceOutcome]:
    """The body of a Ray task: build this run's pipeline once per worker process, then work."""
    global _cached
    if _cached is None or _cached[0] != spec.ctx.run_id:
        _cached = (spec.ctx.run_id, spec.build())
    return process_task(_cached[1], spec.ctx, task, worker_process=True)


class RayExecutor:
    """Tasks on Ray: a local runtime of `workers` CPUs, or the cluster at `address`.

    A runtime this executor starts is shut down at the end of `map`; one that was already running in
    this process (`ray.init` called by the caller) is used as it is and left running.
    """

    def __init__(self, pipeline: Pipeline, spec: WorkerSpec, workers: int, address: str | None = None) -> None:
        self.pipeline = pipeline
        self.spec = spec
        self.workers = workers
        self.address = address

    def map(self, tasks: Iterable[list[SourceTask]]) -> Iterator[list[SourceOutcome]]:
        iterator = iter(tasks)
        first = next(iterator, None)
        if first is None:
            return  # nothing to do: no runtime to start
        ray = import_ray()
        # Workers on other machines do not see this process's environment: resolve it here.
        load_entrypoints = self.spec.load_entrypoints and not os.environ.get(DISABLE_AUTOLOAD_ENV)
        # ... nor its working folder.
        plugins_dir = tuple(str(Path(d).absolute()) for d in self.spec.config.plugins_dir)
        config = replace(self.spec.config, plugins_dir=plugins_dir)
        spec = replace(self.spec, config=config, load_entrypoints=load_entrypoints,
                       extra_plugins=extra_plugins_of(self.pipeline))
        started = not ray.is_initialized()
        if started:
            # `ray.init` takes over SIGTERM in this process (it exits with status 15, after a stack dump):
            # give it back, so that SIGTERM stops the run as Ctrl-C does (`etl.cli.interruptible`).
            on_sigterm = signal.getsignal(signal.SIGTERM)
            self._init(ray)
            if on_sigterm is not None and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, on_sigterm)
        pending: dict[Any, list[SourceTask]] = {}
        try:
            remote = ray.remote(num_cpus=1, max_retries=0)(_run_on_ray)
            spec_ref = ray.put(spec)
            crashes = _crash_errors(ray)

            def run_alone(task: list[SourceTask]) -> list[SourceOutcome]:
                try:
                    return ray.get(remote.remote(spec_ref, task))
                except crashes as exc:
                    raise WorkerDied(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc

            recovery = Recovery(self.pipeline, spec.ctx, run_alone,
                                "the Ray worker was killed, ran out of memory, or crashed in native code")
            limit = 2 * max(1, int(ray.cluster_resources().get("CPU", self.workers)))
            pending[remote.remote(spec_ref, first)] = first
            exhausted = False
            while pending or not exhausted:
                if not exhausted:
                    exhausted = top_up(pending, iterator, limit, lambda task: remote.remote(spec_ref, task))
                if not pending:
                    break
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    task = pending.pop(ref)
                    try:
                        outcomes = ray.get(ref)
                    except crashes:
                        outcomes = recovery.rerun(task)
                    yield outcomes
        finally:
            if started:
                # Shutting down the runtime this run started stops its workers. Cancelling each task first
                # races with a task finishing at that moment, which Ray's core can abort this process on
                # ("Tried to complete task that was not pending", ray-project/ray#54527).
                ray.shutdown()
            else:
                for ref in pending:
                    ray.cancel(ref, force=True)

    def _init(self, ray: Any) -> None:
        options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
        if self.address:
            _check_reachable(self.address)
            try:
                ray.init(address=self.address, **options)
            except ConnectionError as exc:
                raise EtlError(f"cannot connect to the Ray cluster at {self.address}: {exc}") from exc
        else:
            ray.init(num_cpus=self.workers, include_dashboard=False, **options)


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a cluster address nothing listens at: `ray.init` would retry it for minutes."""
    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # a form Ray resolves itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise EtlError(
            f"cannot reach the Ray cluster at {address}: {exc}; start its head there with "
            f"`ray start --head --port {port}`, or leave out --address to run on a local Ray runtime"
        ) from exc


def _crash_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """Ray's errors for a task whose worker or node went away (not for an exception in the task)."""
    names = ("WorkerCrashedError", "OutOfMemoryError", "NodeDiedError", "LocalRayletDiedError")
    return tuple(getattr(ray.exceptions, name) for name in names if hasattr(ray.exceptions, name))
