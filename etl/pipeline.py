"""The pipeline: which plugins run, in which stage and order, with which settings, tables and views.

A `Pipeline` is a validated plugin set: stage plans (from the config's `[stages]`, else registration
order moved as little as needed for each plugin's declared needs), contracts, settings, tables, views,
services and the fingerprint. Running the plans is `etl.stages`' job.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

from .config import STAGES, Config
from .context import RunContext, services_lookup
from .contracts import Contract, Declared, check_plans, plan_stage
from .errors import ConfigError, ContractError, PluginError, SchemaError
from .manager import PluginManager
from .model import BASE_TABLES, plugin_table_schema

HOOK_OF_STAGE = {stage: f"etl_{stage}" for stage in STAGES}
TRACE_ENV = "ETL_TRACE_PLUGINS"
log = logging.getLogger("etl.trace")


class _StderrHandler(logging.Handler):
    """Writes to `sys.stderr` as it is when a line is logged (click's test runner replaces it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def _trace_to_stderr() -> None:
    """ETL_TRACE_PLUGINS asks for the trace on stderr, in every process, whatever logging is configured."""
    if not any(isinstance(handler, _StderrHandler) for handler in log.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("etl trace [%(processName)s] %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.WARNING)
        log.propagate = False


@dataclass(frozen=True)
class Step:
    """One plugin's implementation of one stage hook."""

    plugin: str
    function: Callable[..., Any]
    argnames: tuple[str, ...]

    def __call__(self, **kwargs: Any) -> Any:
        args = {name: kwargs[name] for name in self.argnames}
        if not os.environ.get(TRACE_ENV):
            return self.function(**args)
        _trace_to_stderr()
        started = time.perf_counter()
        try:
            return self.function(**args)
        finally:
            count = len(kwargs["documents"]) if "documents" in kwargs else None
            log.warning("%s %s %.1f ms%s", self.function.__name__, self.plugin,
                        (time.perf_counter() - started) * 1000,
                        "" if count is None else f" {count} documents")


class Pipeline:
    """A validated plugin set: stage plans, settings, tables, views and the fingerprint."""

    def __init__(self, pm: PluginManager, config: Config, strict: bool = True) -> None:
        """`strict=False` tolerates broken plugins, for listing them; a run is always strict."""
        pm.validate()
        if strict:
            pm.check()
        self.pm = pm
        self.strict = strict
        names = [name for name, _ in pm.list_name_plugin()]
        # A plugin that failed to load is not registered but may be disabled: that is how it is switched off.
        unknown = [n for n in config.disable if n not in names and n not in pm.origins]
        if unknown:
            raise ConfigError(
                f"cannot disable {', '.join(map(repr, unknown))}: no such plugin; "
                f"installed: {', '.join(names)} (see `etl plugins`)"
            )
        # The settings of a plugin that is not there (broken, or disabled and never loaded) are not checked.
        absent = set(pm.broken) | {n for n in config.disable if n not in names}
        config = replace(config, plugins={k: v for k, v in config.plugins.items() if k not in absent})
        self.declared = self._declared_settings()
        self.config = config.with_plugin_settings(self.declared)
        self.contracts = self._contracts()
        self.tables = self._tables()
        self.views = self._views()
        self.names = self.contracts.names({table: schema.names for table, schema in self.tables.items()})
        self.plans = {stage: self._plan(stage) for stage in STAGES}
        if strict:
            check_plans(self.order(), self.contracts, self.names)
        self.service = services_lookup(self._service_offers(), self._build_services)

    # --- planning -------------------------------------------------------------------------------

    def _steps(self, hook: str) -> list[Step]:
        caller = getattr(self.pm.hook, hook)
        steps = []
        # pluggy keeps implementations in reverse call order; the pipeline runs in registration order,
        # with tryfirst implementations first and trylast ones last.
        impls = caller.get_hookimpls()
        ordered = ([i for i in impls if i.tryfirst] + [i for i in impls if not (i.tryfirst or i.trylast)]
                   + [i for i in impls if i.trylast])
        for impl in ordered:
            if impl.hookwrapper or impl.wrapper:
                raise PluginError(f"plugin {impl.plugin_name!r}: hook wrappers are not supported on {hook}")
            steps.append(Step(impl.plugin_name, impl.function, tuple(impl.argnames)))
        return steps

    def _plan(self, stage: str) -> list[Step]:
        hook = HOOK_OF_STAGE[stage]
        steps = {step.plugin: step for step in self._steps(hook)}
        chosen = self.config.stages.get(stage)
        if chosen is None:
            default = [name for name in steps if name not in self.config.disable]
            return [steps[name] for name in plan_stage(default, self.contracts.by_stage.get(stage, {}), self.names)]
        plan = []
        for name in chosen:
            if name not in steps:
                raise ConfigError(
                    f"[stages] {stage} names {name!r}, which does not implement {hook}; "
                    f"plugins for {stage}: {', '.join(steps) or 'none'} (see `etl plugins`)"
                )
            if name in self.config.disable:
                raise ConfigError(f"plugin {name!r} is listed in [stages] {stage} and also disabled; choose one")
            plan.append(steps[name])
        return plan

    def unselected(self) -> dict[str, list[str]]:
        """Plugins that implement a stage but will not run in it (disabled or left out of [stages])."""
        out = {}
        for stage in STAGES:
            planned = {s.plugin for s in self.plans[stage]}
            idle = [s.plugin for s in self._steps(HOOK_OF_STAGE[stage]) if s.plugin not in planned]
            if idle:
                out[stage] = idle
        return out

    def _per_plugin(self, hook: str, only: set[str] | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        results = []
        for step in self._steps(hook):
            if only is not None and step.plugin not in only:
                continue
            try:
                value = step(**kwargs)
            except Exception as exc:
                if self.strict:
                    raise PluginError(f"plugin {step.plugin!r} failed in {hook}: {type(exc).__name__}: {exc}") from exc
                # Listing plugins must work whatever one of them does: set it aside as broken.
                self.pm.broken[step.plugin] = f"failed in {hook}: {type(exc).__name__}: {exc}"
                self.pm.unregister(name=step.plugin)
                continue
            if value is not None:
                results.append((step.plugin, value))
        return results

    def _contracts(self) -> Declared:
        by_stage: dict[str, dict[str, Contract]] = {stage: {} for stage in STAGES}
        for plugin, declared in self._per_plugin("etl_contract", config=self.config):
            if not isinstance(declared, Mapping):
                raise ContractError(f"plugin {plugin!r}: etl_contract must return {{stage: etl.Contract}}, "
                                    f"not {type(declared).__name__}")
            for stage, contract in declared.items():
                if stage not in STAGES:
                    raise ContractError(f"plugin {plugin!r} declares a contract for {stage!r}; stages: "
                                        f"{', '.join(STAGES)}")
                try:
                    by_stage[stage][plugin] = Contract.of(contract)
                except ContractError as exc:
                    raise ContractError(f"plugin {plugin!r}, {stage}: {exc}") from exc
        return Declared(by_stage)

    def order(self) -> dict[str, list[str]]:
        """The plugins of each stage, in the order they run."""
        return {stage: [step.plugin for step in plan] for stage, plan in self.plans.items()}

    def contract(self, stage: str, plugin: str) -> Contract:
        return self.contracts.get(stage, plugin)

    def _service_offers(self) -> dict[str, str]:
        """Service name -> the planned plugin that provides it and implements `etl_services`."""
        offering = {impl.plugin_name for impl in self.pm.hook.etl_services.get_hookimpls()}
        offers: dict[str, str] = {}
        for stage in STAGES:
            for step in self.plans[stage]:
                if step.plugin in offering:
                    for name in self.contract(stage, step.plugin).provides:
                        offers.setdefault(name, step.plugin)
        return offers

    def _build_services(self, plugin: str) -> Mapping[str, Any]:
        results = dict(self._per_plugin("etl_services", only={plugin}, config=self.config))
        return dict(results.get(plugin) or {})

    def run_context(self, run_id: str, out: Any, worker_process: bool = False) -> RunContext:
        """The `run` argument of this pipeline's stage hooks, in this process."""
        return RunContext(run_id=run_id, out=Path(out), tables=dict(self.tables), views=dict(self.views),
                          worker_process=worker_process, _services=self.service)

    def _declared_settings(self) -> dict[str, dict[str, Any]]:
        declared: dict[str, dict[str, Any]] = {name: {} for name, _ in self.pm.list_name_plugin()}
        for plugin, specs in self._per_plugin("etl_settings"):
            declared[plugin] = dict(specs)
        return declared

    @property
    def layer_tables(self) -> dict[str, pa.Schema]:
        """The tables the extraction layer holds: every declared table but `runs`, which the manifest keeps."""
        return {name: schema for name, schema in self.tables.items() if name != "runs"}

    def _tables(self) -> dict[str, pa.Schema]:
        tables = dict(BASE_TABLES)
        owners: dict[str, str] = {}
        for plugin, declared in self._per_plugin("etl_tables"):
            for name, schema in declared.items():
                if name in owners:
                    raise SchemaError(f"table {name!r} is declared by both {owners[name]!r} and {plugin!r}")
                try:
                    tables[name] = plugin_table_schema(name, schema)
                except SchemaError as exc:
                    raise SchemaError(f"plugin {plugin!r}: {exc}") from exc
                owners[name] = plugin
        return tables

    def _views(self) -> dict[str, str]:
        views = builtin_views()
        for plugin, declared in self._per_plugin("etl_views"):
            for name, sql in declared.items():
                if name in views or name in self.tables:
                    raise SchemaError(f"plugin {plugin!r} declares view {name!r}, which already exists")
                views[name] = sql
        return views

    # --- identity of the pipeline ------------------------------------------------------------------

    def plugin_versions(self) -> list[dict[str, str | None]]:
        seen = []
        for stage in STAGES:
            for step in self.plans[stage]:
                if step.plugin not in [p["name"] for p in seen]:
                    seen.append({"name": step.plugin, "version": self.pm.origin(step.plugin).version})
        return seen

    def fingerprint(self) -> str:
        """Digest of what decides a document's extraction: plugins, order, versions, settings, models."""
        # A disabled plugin is not asked: a disabled model plugin need not have its model installed.
        enabled = {name for name, _ in self.pm.list_name_plugin() if name not in self.config.disable}
        extra = dict(self._per_plugin("etl_fingerprint", only=enabled, config=self.config))
        state = {
            "stages": {stage: [s.plugin for s in self.plans[stage]] for stage in ("parse", "clean", "extract")},
            "plugins": {
                name: {"version": self.pm.origin(name).version, "settings": self._output_settings(name),
                       "extra": extra.get(name)}
                for stage in ("parse", "clean", "extract") for name in [s.plugin for s in self.plans[stage]]
            },
            "max_document_bytes": self.config.max_document_bytes,
            "tables": {name: str(schema) for name, schema in self.tables.items()},
        }
        return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()

    def enrich_fingerprint(self) -> str:
        """Digest of what decides the enriched tables besides the documents: the extraction fingerprint and
        the enrich plugins (order, versions, settings). An incremental run takes over only an enrich state
        kept under the same one; loaders, views and the output's place do not enter it, so that changing a
        view or moving the output folder does not enrich the corpus again."""
        from . import __version__

        plan = [s.plugin for s in self.plans["enrich"]]
        state = {
            "extraction": self.fingerprint(),
            "etl": __version__,
            "enrich": plan,
            "plugins": self._plugins_state(plan),
        }
        return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()

    def output_fingerprint(self, out: Path) -> str:
        """Digest of what decides a published version besides the documents: the enrich fingerprint, the
        load plugins (order, versions, settings), the views, and where the output is (the catalog names
        its files by path). Equal, with no document changed, the version would come out the same: the run
        publishes nothing new."""
        plan = [s.plugin for s in self.plans["load"]]
        state = {
            "enrich": self.enrich_fingerprint(),
            "load": plan,
            "plugins": self._plugins_state(plan),
            "views": self.views,
            "out": str(Path(out).absolute()),
        }
        return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()

    def _plugins_state(self, plan: list[str]) -> dict[str, Any]:
        """Each plugin of `plan`: its version and the settings that may change its rows."""
        return {name: {"version": self.pm.origin(name).version, "settings": self._output_settings(name)}
                for name in plan}

    def _output_settings(self, plugin: str) -> dict[str, Any]:
        """The plugin's settings that may change its rows (see `Setting.affects_output`)."""
        declared = self.declared.get(plugin, {})
        return {key: value for key, value in self.config.settings(plugin).items()
                if getattr(declared.get(key), "affects_output", True)}

    def config_sha256(self) -> str:
        settings = {name: self.config.settings(name) for name, _ in self.pm.list_name_plugin()}
        state = {"stages": {k: [s.plugin for s in v] for k, v in self.plans.items()}, "settings": settings}
        return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


def builtin_views() -> dict[str, str]:
    """The views shipped in `sql/`, one file per view named after it."""
    folder = resources.files("etl.sql")
    return {
        entry.name[:-4]: entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".sql")
    }
