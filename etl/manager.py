"""Building the plugin manager: hook specs, built-ins, installed plugins and local plugin files.

Nothing happens at import time; `get_plugin_manager()` does the work each time it is called. A
plugin that fails to import or to validate is recorded in `pm.broken` instead of taking the whole
command line down: `etl plugins` shows it, and `etl run` refuses to start (see `PluginManager.check`).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from . import __version__, hookspecs
from .errors import PluginError

ENTRY_POINT_GROUP = "etl"
DISABLE_AUTOLOAD_ENV = "ETL_DISABLE_PLUGIN_AUTOLOAD"
BUILTINS_PACKAGE = "etl_plugins"


@dataclass(frozen=True)
class PluginOrigin:
    """Where a registered plugin came from, for `etl plugins` and the pipeline fingerprint."""

    kind: str  # builtin, entry-point, plugins-dir, registered
    version: str | None
    where: str


class PluginManager(pluggy.PluginManager):
    """pluggy's manager plus what the host needs to know about each plugin: origin and breakage."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.origins: dict[str, PluginOrigin] = {}
        self.broken: dict[str, str] = {}
        #: Installed plugins not loaded because their name was taken, with what took it.
        self.shadowed: list[tuple[str, PluginOrigin, str]] = []

    def register(self, plugin: Any, name: str | None = None, origin: PluginOrigin | None = None) -> str | None:
        registered = super().register(plugin, name)
        if registered is not None:
            self.origins.setdefault(registered, origin or PluginOrigin("registered", None, repr(plugin)))
        return registered

    def origin(self, name: str) -> PluginOrigin:
        return self.origins.get(name, PluginOrigin("registered", None, name))

    def validate(self) -> None:
        """Unregister plugins that implement unknown `etl_*` hooks or give a hook argument a default, recording
        why, then `check_pending`."""
        known = {name for name in dir(hookspecs) if name.startswith("etl_")}
        for name, plugin in list(self.list_name_plugin()):
            callers = self.get_hookcallers(plugin) or []
            unknown = sorted(caller.name for caller in callers if not caller.has_spec() and caller.name not in known)
            # pluggy never passes an argument that has a default: the plugin would never be told it
            defaulted = sorted(f"{impl.function.__name__}({', '.join(impl.kwargnames)}=...)"
                               for caller in callers for impl in caller.get_hookimpls()
                               if impl.plugin is plugin and impl.kwargnames)
            if unknown:
                self.broken[name] = (
                    f"implements unknown hook {', '.join(unknown)}; the hooks are: {', '.join(sorted(known))}"
                )
                self.unregister(plugin)
            elif defaulted:
                self.broken[name] = (
                    f"gives a hook argument a default: {', '.join(defaulted)}; the host never passes such an "
                    "argument (pluggy leaves it to its default), so take it without one"
                )
                self.unregister(plugin)
        self.check_pending()

    def check(self) -> None:
        """Raise if any plugin is broken: running without it would silently skip a stage."""
        if self.broken:
            lines = [f"  {name}: {why}" for name, why in sorted(self.broken.items())]
            names = ", ".join(f'"{name}"' for name in sorted(self.broken))
            raise PluginError(
                "cannot run with broken plugins:\n" + "\n".join(lines) +
                f"\nfix or uninstall them, or disable them with `disable = [{names}]` under [stages] "
                f"in etl.toml (or {DISABLE_AUTOLOAD_ENV}=1 to skip all installed plugins)"
            )


def get_plugin_manager(*, load_entrypoints: bool = True, plugins_dirs: tuple[str | Path, ...] = (),
                       builtins: bool = True, disabled: tuple[str, ...] = ()) -> PluginManager:
    """A new plugin manager with the built-ins, installed plugins and `plugins_dirs` files registered.

    `load_entrypoints=False` or the environment variable ETL_DISABLE_PLUGIN_AUTOLOAD=1 skips installed
    (entry-point) plugins but keeps the built-ins. Plugins named in `disabled` that fail to load are not
    counted as broken, so a broken plugin can be switched off in the config.
    """
    pm = PluginManager()
    if builtins:
        _register_builtins(pm)
    if load_entrypoints and not os.environ.get(DISABLE_AUTOLOAD_ENV):
        _register_entry_points(pm)
    for folder in plugins_dirs:
        _register_plugins_dir(pm, Path(folder))
    pm.validate()
    for name in disabled:
        pm.broken.pop(name, None)
    return pm


def _register_builtins(pm: PluginManager) -> None:
    package = importlib.import_module(BUILTINS_PACKAGE)
    for name, module_name in package.DEFAULT_PLUGINS:
        module = importlib.import_module(module_name)
        pm.register(module, name, PluginOrigin("builtin", __version__, module_name))


def _register_entry_points(pm: PluginManager) -> None:
    # Sorted by distribution name: the order Python lists installed packages in varies between machines.
    for dist in sorted(importlib.metadata.distributions(), key=lambda d: (d.metadata["Name"] or "").lower()):
        for entry_point in dist.entry_points:
            if entry_point.group != ENTRY_POINT_GROUP:
                continue
            where = f"{dist.metadata['Name']} ({entry_point.value})"
            origin = PluginOrigin("entry-point", dist.version, where)
            if pm.has_plugin(entry_point.name) or entry_point.name in pm.broken:
                taken = pm.origin(entry_point.name)
                if taken.where == where:
                    continue  # the same distribution listed twice (an egg-info beside the install)
                pm.shadowed.append((entry_point.name, origin, (
                    f"installed plugin {entry_point.name!r} from {where} is not loaded: the name is taken by "
                    f"the {taken.kind} plugin from {taken.where}; rename its entry point in the [project."
                    f"entry-points.etl] table of {dist.metadata['Name']}'s pyproject.toml, or uninstall one")))
                continue
            try:
                plugin = entry_point.load()
                pm.register(plugin, entry_point.name, origin)
            except Exception as exc:  # any import-time failure of third-party code
                pm.broken[entry_point.name] = f"failed to load from {where}: {type(exc).__name__}: {exc}"
                pm.origins[entry_point.name] = origin


def _register_plugins_dir(pm: PluginManager, folder: Path) -> None:
    if not folder.is_dir():
        raise PluginError(f"plugins directory {folder} does not exist")
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = path.stem
        # The version is the file's digest: editing a local plugin re-processes the documents.
        version = "file-" + hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        origin = PluginOrigin("plugins-dir", version, str(path.resolve()))
        if pm.has_plugin(name):
            raise PluginError(f"plugin file {path} is named {name!r}, which is already registered; rename the file")
        module_name = f"etl_local_plugins.{name}_{version[5:]}"
        try:
            spec = importlib.util.spec_from_file_location(module_name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
            pm.register(module, name, origin)
        except Exception as exc:
            pm.broken[name] = f"failed to load {path}: {type(exc).__name__}: {exc}"
            pm.origins[name] = origin
