"""Installed plugins that break do not take the command line down; subcommands, fingerprints, tracing.

Installed plugins are simulated with a fake `importlib.metadata.distributions` (as in test_plugins.py).
"""

from __future__ import annotations

import json
import re

import click
import pytest
from click.testing import CliRunner

from conftest import run_pipeline
from etl import hookimpl
from etl.cli import cli
from etl.errors import PluginError
from etl.manager import get_plugin_manager
from etl.pipeline import log as trace_log

FAST = "[stages]\nextract = []\n"  # no spaCy: these tests are about the host, not the extraction


class FakeEntryPoint:
    group = "etl"

    def __init__(self, name, loader):
        self.name, self.value, self._loader = name, f"etl_{name}:plugin", loader

    def load(self):
        return self._loader()

    def matches(self, **params):  # importlib.metadata.entry_points(group=...) asks every entry point
        return all(getattr(self, key, None) == value for key, value in params.items())


class FakeDistribution:
    version = "1.2.3"
    name = _normalized_name = "etl-fake"  # what other lookups of installed packages read

    def __init__(self, *entry_points):
        self.entry_points = list(entry_points)
        self.metadata = {"Name": "etl-fake"}


def install(monkeypatch, *entry_points):
    """Installed distributions plus one holding `entry_points` (spaCy looks up its model's version too)."""
    import importlib.metadata

    real = importlib.metadata.distributions
    monkeypatch.setattr("importlib.metadata.distributions",
                        lambda **kwargs: [*real(**kwargs), FakeDistribution(*entry_points)]
                        if not kwargs else real(**kwargs))
    monkeypatch.delenv("ETL_DISABLE_PLUGIN_AUTOLOAD")


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("Harbour reopens\n\nThe harbour reopened on Monday after the storm.\n")
    (folder / "b.txt").write_text("School rebuilt\n\nVolunteers rebuilt the village school in six weeks.\n")
    (tmp_path / "etl.toml").write_text(FAST)
    return folder


def failing_import():
    raise ImportError("No module named 'etl_crashy_dependency'")


class Misspelled:
    @hookimpl
    def etl_extrakt(self, documents):
        pass


class Tables:
    @hookimpl
    def etl_tables(self):
        raise RuntimeError("schema file missing")


def test_plugins_lists_broken_installed_plugins_and_run_refuses_naming_them(monkeypatch, corpus, tmp_path):
    install(monkeypatch, FakeEntryPoint("crashy", failing_import), FakeEntryPoint("typo", lambda: Misspelled()),
            FakeEntryPoint("declares", lambda: Tables()))
    listing = invoke("plugins", "--json", "--config", tmp_path / "etl.toml")
    assert listing.exit_code == 0, listing.output
    broken = {p["name"]: p for p in json.loads(listing.output)["plugins"] if p["status"] == "broken"}
    assert set(broken) == {"crashy", "typo", "declares"}
    assert "ImportError: No module named 'etl_crashy_dependency'" in broken["crashy"]["error"]
    assert broken["crashy"]["where"] == "etl-fake (etl_crashy:plugin)" and broken["crashy"]["version"] == "1.2.3"
    assert "unknown hook etl_extrakt" in broken["typo"]["error"]
    assert "failed in etl_tables: RuntimeError: schema file missing" in broken["declares"]["error"]
    text = invoke("plugins", "--config", tmp_path / "etl.toml").output
    assert re.search(r"crashy 1\.2\.3 \[entry-point: .*\] broken\n    error: failed to load", text)

    refused = invoke("run", corpus, "--out", tmp_path / "out", "--config", tmp_path / "etl.toml")
    assert refused.exit_code == 1
    assert "crashy: failed to load" in refused.output and "typo: implements unknown hook" in refused.output
    assert 'disable = ["crashy", "typo"]' in refused.output and "ETL_DISABLE_PLUGIN_AUTOLOAD=1" in refused.output
    assert not (tmp_path / "out" / "tables").exists()


def test_a_broken_plugin_disabled_as_the_message_says_lets_the_run_go_on(monkeypatch, corpus, tmp_path):
    install(monkeypatch, FakeEntryPoint("crashy", failing_import))
    (tmp_path / "etl.toml").write_text(FAST + 'disable = ["crashy"]\n[plugins.crashy]\nthreshold = 3\n')
    result = invoke("run", corpus, "--out", tmp_path / "out", "--config", tmp_path / "etl.toml", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"]["articles"] == 2
    monkeypatch.setenv("ETL_DISABLE_PLUGIN_AUTOLOAD", "1")  # the other way out, without the config
    (tmp_path / "etl.toml").write_text(FAST)
    again = invoke("run", corpus, "--out", tmp_path / "out2", "--config", tmp_path / "etl.toml", "--json")
    assert again.exit_code == 0, again.output


class Greeter:
    @hookimpl
    def etl_register_commands(self, cli):
        @cli.command("greet")
        @click.argument("who")
        def greet(who):
            """Say hello (a plugin command)."""
            click.echo(f"hello {who}")


class BadCommands:
    @hookimpl
    def etl_register_commands(self, cli):
        raise RuntimeError("click version mismatch")


@pytest.fixture
def fresh_cli(monkeypatch):
    """The `etl` group as if the command line had just started: no plugin command loaded yet."""
    monkeypatch.setattr(cli, "commands", dict(cli.commands))
    monkeypatch.setattr(cli, "_plugins_loaded", False)


def test_plugin_subcommands_load_lazily_and_a_failing_plugin_costs_only_its_own(monkeypatch, fresh_cli):
    install(monkeypatch, FakeEntryPoint("greeter", lambda: Greeter()), FakeEntryPoint("bad", lambda: BadCommands()),
            FakeEntryPoint("crashy", failing_import))
    result = invoke("greet", "Ada")
    assert result.exit_code == 0 and result.stdout == "hello Ada\n"
    assert ("warning: plugin 'bad' failed to register its commands: RuntimeError: click version mismatch"
            in result.stderr)
    assert "greet" in invoke("--help").stdout  # loaded once, listed with the built-in commands
    assert invoke("plugins", "--json").exit_code == 0


def test_plugin_subcommands_are_not_loaded_with_autoload_disabled(monkeypatch, fresh_cli):
    install(monkeypatch, FakeEntryPoint("greeter", lambda: Greeter()))
    monkeypatch.setenv("ETL_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = invoke("greet", "Ada")
    assert result.exit_code == 2 and "No such command 'greet'" in result.output


class Versioned:
    """An extract plugin whose output depends on state outside its version and settings (a lexicon)."""

    lexicon = "v1"

    @hookimpl
    def etl_fingerprint(self, config):
        return f"lexicon={self.lexicon}"

    @hookimpl
    def etl_extract(self, documents):
        pass


def test_a_fingerprint_change_processes_every_document_again(corpus, tmp_path):
    plugin = Versioned()
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(plugin, "versioned")
    out = tmp_path / "out"
    stages = {"extract": ["versioned"]}
    assert run_pipeline(corpus, out, pm=pm, stages=stages).documents["new"] == 2
    assert run_pipeline(corpus, out, pm=pm, stages=stages).documents["unchanged"] == 2
    plugin.lexicon = "v2"
    assert run_pipeline(corpus, out, pm=pm, stages=stages).documents["changed"] == 2


def test_only_settings_that_affect_output_process_documents_again(corpus, tmp_path):
    from etl import Setting

    class Tuned:
        @hookimpl
        def etl_settings(self):
            return {"threshold": Setting(0.5, float, "rows above this"), "labels": ["PERSON"],
                    "chunk": Setting(100, int, "texts per call", affects_output=False)}

        @hookimpl
        def etl_extract(self, documents):
            pass

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Tuned(), "tuned")
    out = tmp_path / "out"
    stages = {"extract": ["tuned"]}

    def run(**settings):
        return run_pipeline(corpus, out, pm=pm, stages=stages, plugins={"tuned": settings}).documents

    assert run()["new"] == 2
    assert run(chunk=7)["unchanged"] == 2  # speed only: nothing to redo
    assert run(chunk=7, threshold=0.9)["changed"] == 2
    assert run(chunk=7, threshold=0.9, labels=["ORG"])["changed"] == 2  # a plain default counts too


def test_a_failing_fingerprint_stops_the_run_before_it_starts(corpus, tmp_path):
    class Unready:
        @hookimpl
        def etl_fingerprint(self, config):
            raise FileNotFoundError("lexicon.txt")

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Unready(), "unready")
    with pytest.raises(PluginError, match=r"plugin 'unready' failed in etl_fingerprint: FileNotFoundError"):
        run_pipeline(corpus, tmp_path / "out", pm=pm, stages={"extract": []})
    assert not (tmp_path / "out" / "tables").exists()


def test_trace_names_each_hook_call_with_plugin_duration_and_documents(monkeypatch, corpus, tmp_path):
    monkeypatch.setattr(trace_log, "handlers", [])
    monkeypatch.setattr(trace_log, "propagate", True)
    monkeypatch.setenv("ETL_TRACE_PLUGINS", "1")
    result = invoke("run", corpus, "--out", tmp_path / "out", "--workers", 1, "--config", tmp_path / "etl.toml")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert any(re.fullmatch(r"etl trace \[MainProcess\] etl_parse text \d+\.\d ms", line) for line in lines)
    assert any(re.fullmatch(r"etl trace \[MainProcess\] etl_clean furniture \d+\.\d ms 2 documents", line)
               for line in lines)
    assert any(re.fullmatch(r"etl trace \[MainProcess\] etl_load parquet \d+\.\d ms", line) for line in lines)
    assert "etl trace" not in result.stdout
    monkeypatch.delenv("ETL_TRACE_PLUGINS")
    quiet = invoke("run", corpus, "--out", tmp_path / "out", "--workers", 1, "--config", tmp_path / "etl.toml")
    assert "etl trace" not in quiet.stderr
