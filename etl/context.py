"""The run as stage hooks see it: the `run` argument.

Every stage hook may take `run`: what the run is (its id, output folder, declared tables and views),
where loaders write (`staging_dir`, in load only) and the services other plugins offer by name. It is
built in each process that runs plugins; nothing in it is sent between processes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import PluginError


@dataclass(frozen=True)
class RunContext:
    """Facts about the current run, and `service(name)`."""

    run_id: str
    out: Path
    tables: Mapping[str, Any] = field(default_factory=dict)
    views: Mapping[str, str] = field(default_factory=dict)
    #: The folder loaders write the new version into; None outside the load stage.
    staging_dir: Path | None = None
    #: The version published before this run (in load only; None for the first): a loader may share its
    #: unchanged files with the new version (see `etl.published`).
    previous_version: Path | None = None
    #: True in a process that exists only to run parse, clean and extract for the run (a pool or Ray
    #: worker), so a plugin may keep per-process state there that a caller's own process would not want.
    worker_process: bool = False
    _services: Callable[[str], Any] | None = field(default=None, repr=False, compare=False)

    def service(self, name: str) -> Any:
        """The service `name` that an enabled plugin offers (`etl_services`), built once per process.

        Declare the name in your contract's `needs` (or `reads`): that is what makes the host run its
        provider, and run it before you.
        """
        if self._services is None:
            raise PluginError(f"no service {name!r}: this run context was built without a pipeline")
        return self._services(name)

    def has_service(self, name: str) -> bool:
        try:
            self.service(name)
        except PluginError:
            return False
        return True

    def loading_into(self, staging_dir: Path, previous_version: Path | None = None) -> RunContext:
        return replace(self, staging_dir=staging_dir, previous_version=previous_version)


def services_lookup(offers: Mapping[str, str], build: Callable[[str], Mapping[str, Any]]) -> Callable[[str], Any]:
    """`service(name)` over `offers` (service name -> plugin), building each plugin's services once."""
    built: dict[str, Mapping[str, Any]] = {}

    def service(name: str) -> Any:
        plugin = offers.get(name)
        if plugin is None:
            raise PluginError(f"no enabled plugin offers the service {name!r}; offered: "
                              f"{', '.join(sorted(offers)) or 'none'} (see `etl plugins`)")
        if plugin not in built:
            built[plugin] = build(plugin)
        if name not in built[plugin]:
            raise PluginError(f"plugin {plugin!r} declares that it provides {name!r} but its etl_services "
                              f"does not return it")
        return built[plugin][name]

    return service
