"""`etl new-plugin`: write a complete, installable plugin package for one stage.

The package is the smallest thing that `pip install -e` turns into a working plugin: a
`pyproject.toml` declaring the `etl` entry point, one module with a small but useful implementation of
the stage's hook, a README and a pytest test that runs the plugin through the host. The files come
from `etl/templates/plugin/` (shipped in the wheel) with a few `{{placeholders}}` filled in.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import __version__
from .config import STAGES
from .errors import EtlError

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
MAX_NAME_LENGTH = 40
NAME_RULE = (f"lowercase letters, digits and underscores, starting with a letter, at most {MAX_NAME_LENGTH} "
             f"characters (for example: keywords, court_rulings)")

#: One line per stage: what the generated example does. It becomes the package's description.
SUMMARIES = {
    "parse": "reads .note files: a header of `key: value` lines, a `---` line, then the body",
    "clean": ("labels boilerplate lines your sources repeat (newsletter pitches, share prompts) "
              "so they leave the article text"),
    "extract": "finds every match of named regular expressions and publishes them as a table with a view",
    "enrich": "gives each person or organisation mention the longest name its document uses for it (canonical_name)",
    "load": "exports tables as CSV files beside the published Parquet",
}


class ScaffoldError(EtlError):
    """The plugin package cannot be written (bad name, existing folder)."""


@dataclass(frozen=True)
class PluginNames:
    """Every name derived from the plugin's: `keywords` -> `etl-keywords`, `etl_keywords`."""

    name: str

    @property
    def distribution(self) -> str:
        return "etl-" + self.name.replace("_", "-")

    @property
    def module(self) -> str:
        return "etl_" + self.name


def check_name(name: str) -> str:
    """Return `name` if it can name a plugin, else raise `ScaffoldError` saying what is allowed."""
    if len(name) > MAX_NAME_LENGTH or not NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"plugin name {name!r} is not allowed: use {NAME_RULE}")
    builtins = _builtin_names()
    if name in builtins:
        # The host registers built-ins first and skips an installed plugin whose name is taken.
        raise ScaffoldError(f"plugin name {name!r} is taken by a built-in plugin; built-ins: {', '.join(builtins)}")
    return name


def create_plugin(name: str, stage: str, directory: Path) -> Path:
    """Write the package for plugin `name` of `stage` into `directory/etl-<name>`; return that folder."""
    names = PluginNames(check_name(name))
    if stage not in STAGES:
        raise ScaffoldError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    target = Path(directory) / names.distribution
    if target.exists():
        raise ScaffoldError(f"{target} already exists; choose another --dir or remove it first")
    files = render(names, stage)
    target.mkdir(parents=True)
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


def render(names: PluginNames, stage: str) -> dict[str, str]:
    """The package's files (relative path -> text) for plugin `names` of `stage`."""
    values = {
        "name": names.name,
        "module": names.module,
        "distribution": names.distribution,
        "stage": stage,
        "hook": f"etl_{stage}",
        "summary": SUMMARIES[stage],
        "host_version": __version__,
    }
    values["details"] = _fill(_template(f"{stage}.md"), values)
    files = {
        "pyproject.toml": _template("pyproject.toml"),
        "README.md": _template("README.md"),
        f"{names.module}.py": _template(f"{stage}.py"),
        f"tests/test_{names.name}.py": _template(f"test_{stage}.py"),
    }
    return {path: _fill(text, values) for path, text in files.items()}


def _template(name: str) -> str:
    return (resources.files("etl") / "templates" / "plugin" / f"{name}.tmpl").read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    left = re.search(r"\{\{\w+\}\}", text)
    if left:
        raise AssertionError(f"template placeholder {left.group()} has no value")
    return text


def _builtin_names() -> list[str]:
    from etl_plugins import DEFAULT_PLUGINS  # the list only: importing it loads no plugin module

    return [plugin for plugin, _ in DEFAULT_PLUGINS]
