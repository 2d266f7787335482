"""Executors run the per-document stages (parse, clean, extract) over tasks of sources.

An executor takes an iterable of tasks and yields, for each, the list of `SourceOutcome`s in any
order; the runner commits each as it arrives. The local executor uses worker processes on this
machine.
"""

from .local import LocalExecutor, WorkerSpec

__all__ = ["LocalExecutor", "WorkerSpec"]
