"""The run configuration: `etl.toml`, `[tool.etl]` in `pyproject.toml`, or `--config FILE`.

Command-line options override the file. Keys, stages and plugin names are checked; an unknown one is an
error that lists what exists. Plugin settings are checked against what each plugin declares in
`etl_settings` once the plugin manager is built (see `Config.with_plugin_settings`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

STAGES = ("parse", "clean", "extract", "enrich", "load")
DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DEFAULT_DOCUMENT_TIMEOUT = 300.0
TOP_LEVEL_KEYS = ("out", "workers", "batch_size", "max_document_bytes", "document_timeout", "plugins_dir",
                  "executor", "ray_address", "follow_symlinks_outside", "enrich_memory_limit", "stages", "plugins")
#: Where parse, clean and extract run: worker processes on this machine, or Ray tasks.
EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class Setting:
    """A plugin setting with its default, type and help text (for `etl_settings`).

    `affects_output=False` marks a setting that changes only how fast or in how much memory a plugin
    works (a batch size, a cache), never its rows: it stays out of the pipeline fingerprint, so
    changing it does not process every document again.
    """

    default: Any = None
    type: type | tuple[type, ...] | None = None
    help: str = ""
    affects_output: bool = True

    @property
    def value_type(self) -> type | tuple[type, ...] | None:
        if self.type is not None:
            return self.type
        return None if self.default is None else type(self.default)


@dataclass(frozen=True)
class Config:
    """Everything that shapes a run. Picklable: worker processes receive it and rebuild the plugins."""

    out: Path = Path("etl-out")
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    batch_size: int = 64
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    plugins_dir: tuple[str, ...] = ()
    executor: str = "local"
    ray_address: str | None = None
    stages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    disable: tuple[str, ...] = ()
    plugins: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Seconds one document may take in parse, clean and extract together before it is charged.
    document_timeout: float = DEFAULT_DOCUMENT_TIMEOUT
    #: Follow symbolic links inside the input folders that lead out of them (off: such a link is an
    #: `errors` row, so that a link planted in a shared folder cannot make a run read `~/.ssh`).
    follow_symlinks_outside: bool = False
    #: DuckDB's `memory_limit` while enriching and publishing ("4GB"); past it DuckDB spills to
    #: `.etl/work/spill`. None: DuckDB's own default, 80% of the machine's memory.
    enrich_memory_limit: str | None = None
    source_file: str | None = None

    def settings(self, plugin: str) -> dict[str, Any]:
        """The effective settings of `plugin`: its declared defaults overridden by the config."""
        return dict(self.plugins.get(plugin, {}))

    def with_plugin_settings(self, declared: Mapping[str, Mapping[str, Any]]) -> Config:
        """Check `[plugins.*]` against what the plugins declare and fill in defaults."""
        for name in self.plugins:
            if name not in declared:
                raise ConfigError(
                    f"[plugins.{name}] in {self._where()}: no plugin named {name!r} is installed; "
                    f"installed: {', '.join(sorted(declared)) or 'none'} (see `etl plugins`)"
                )
        resolved: dict[str, dict[str, Any]] = {}
        for name, specs in declared.items():
            given = dict(self.plugins.get(name, {}))
            values: dict[str, Any] = {}
            for key, spec in specs.items():
                spec = spec if isinstance(spec, Setting) else Setting(default=spec)
                value = given.pop(key, spec.default)
                expected = spec.value_type
                if expected is not None and value is not None and not _fits(value, expected):
                    raise ConfigError(
                        f"[plugins.{name}] {key} = {value!r}: plugin {name!r} expects "
                        f"{_type_name(expected)} (default {spec.default!r})"
                    )
                values[key] = value
            if given:
                known = ", ".join(sorted(specs)) or "none"
                raise ConfigError(
                    f"[plugins.{name}] has unknown setting {', '.join(sorted(given))}; "
                    f"plugin {name!r} declares: {known}"
                )
            resolved[name] = values
        return replace(self, plugins=resolved)

    def _where(self) -> str:
        return self.source_file or "the configuration"


def _fits(value: Any, expected: type | tuple[type, ...]) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in types:
        return False  # bool is an int subclass; `workers = true` is a mistake, not 1
    if float in types and isinstance(value, int):
        return True
    return isinstance(value, types)


def _type_name(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)


def find_config_file(cwd: Path) -> tuple[Path, dict[str, Any]] | None:
    """`etl.toml` in `cwd`, else `[tool.etl]` of `cwd/pyproject.toml`, else nothing."""
    candidate = cwd / "etl.toml"
    if candidate.is_file():
        return candidate, _read_toml(candidate)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {}).get("etl")
        if table is not None:
            return pyproject, table
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc


def load_config(config_file: str | Path | None = None, cwd: Path | None = None, **overrides: Any) -> Config:
    """Read the config file (explicit, or found in `cwd`) and apply command-line `overrides`.

    Overrides whose value is None are ignored, so click options can be passed straight through.
    """
    cwd = cwd or Path.cwd()
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        raw = _read_toml(path)
        if path.name == "pyproject.toml":
            raw = raw.get("tool", {}).get("etl", {})
        found: tuple[Path, dict[str, Any]] | None = (path, raw)
    else:
        found = find_config_file(cwd)
    source, raw = (str(found[0]), found[1]) if found else (None, {})
    where = source or "the configuration"

    unknown = set(raw) - set(TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {', '.join(sorted(unknown))}; valid keys: {', '.join(TOP_LEVEL_KEYS)}"
        )
    values: dict[str, Any] = {"source_file": source}
    for key, kind in (("out", str), ("workers", int), ("batch_size", int), ("max_document_bytes", int),
                      ("document_timeout", float), ("executor", str), ("ray_address", str),
                      ("follow_symlinks_outside", bool), ("enrich_memory_limit", str)):
        if key in raw:
            if not _fits(raw[key], kind):
                raise ConfigError(f"{where}: {key} = {raw[key]!r} must be {kind.__name__}")
            values[key] = raw[key]
    if "plugins_dir" in raw:
        dirs = raw["plugins_dir"]
        values["plugins_dir"] = tuple([dirs] if isinstance(dirs, str) else dirs)

    stages_raw = dict(raw.get("stages", {}))
    disable = stages_raw.pop("disable", [])
    bad = set(stages_raw) - set(STAGES)
    if bad:
        raise ConfigError(
            f"{where}: [stages] has unknown stage {', '.join(sorted(bad))}; "
            f"stages: {', '.join(STAGES)}, plus `disable`"
        )
    for stage, names in stages_raw.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{where}: [stages] {stage} must be a list of plugin names")
    values["stages"] = {stage: tuple(names) for stage, names in stages_raw.items()}
    values["disable"] = tuple(disable)

    plugins_raw = raw.get("plugins", {})
    if not isinstance(plugins_raw, dict) or not all(isinstance(v, dict) for v in plugins_raw.values()):
        raise ConfigError(f"{where}: [plugins] must hold one table per plugin, as [plugins.spacy]")
    values["plugins"] = plugins_raw

    for key, value in overrides.items():
        if value is None or value == ():
            continue
        if key == "disable":
            values["disable"] = tuple(values.get("disable", ())) + tuple(value)
        elif key == "plugins_dir":
            values["plugins_dir"] = tuple(values.get("plugins_dir", ())) + tuple(value)
        else:
            values[key] = value

    if "out" in values:
        values["out"] = Path(values["out"])
    config = Config(**values)
    if config.workers < 1:
        raise ConfigError(f"workers must be at least 1, got {config.workers}")
    if config.batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {config.batch_size}")
    if not config.document_timeout > 0:
        raise ConfigError(f"document_timeout must be a positive number of seconds, got {config.document_timeout}")
    if config.max_document_bytes < 1:
        raise ConfigError(f"max_document_bytes must be positive, got {config.max_document_bytes}")
    if config.executor not in EXECUTORS:
        raise ConfigError(f"executor = {config.executor!r}: executors are {', '.join(EXECUTORS)}")
    return config
