"""`etl new-plugin`: the generated package for each stage, its own test, and (slow) a real install."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest
from click.testing import CliRunner

from conftest import SEEDS, read_table
from etl.cli import cli
from etl.config import STAGES
from etl.scaffold import ScaffoldError, check_name, create_plugin

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_the_command_writes_an_installable_package_with_the_entry_point(tmp_path):
    result = invoke("new-plugin", "court_rulings", "--stage", "extract", "--dir", tmp_path)
    assert result.exit_code == 0, result.output
    target = tmp_path / "etl-court-rulings"
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == [
        "README.md", "etl_court_rulings.py", "pyproject.toml", "tests/test_court_rulings.py"]
    project = tomllib.loads((target / "pyproject.toml").read_text())
    assert project["project"]["name"] == "etl-court-rulings"
    assert project["project"]["entry-points"]["etl"] == {"court_rulings": "etl_court_rulings"}
    assert project["tool"]["setuptools"]["py-modules"] == ["etl_court_rulings"]
    module = (target / "etl_court_rulings.py").read_text()
    assert 'NAME = "court_rulings"' in module and "{{" not in module
    assert "pip install -e ." in (target / "README.md").read_text()
    assert str(target) in result.output and "python -m pytest" in result.output


def test_names_are_checked_and_an_existing_folder_is_never_overwritten(tmp_path):
    for bad in ("Keywords", "my-plugin", "2fast", "a" * 41, "class", ""):
        with pytest.raises(ScaffoldError, match="lowercase letters, digits and underscores"):
            check_name(bad)
    with pytest.raises(ScaffoldError, match="taken by a built-in plugin"):
        check_name("entities")
    refused = invoke("new-plugin", "My-Plugin", "--dir", tmp_path)
    assert refused.exit_code == 2 and "lowercase letters, digits and underscores" in refused.output
    (tmp_path / "etl-keywords").mkdir()
    (tmp_path / "etl-keywords" / "mine.txt").write_text("keep me")
    again = invoke("new-plugin", "keywords", "--dir", tmp_path)
    assert again.exit_code == 1 and "already exists" in again.output
    assert [p.name for p in (tmp_path / "etl-keywords").iterdir()] == ["mine.txt"]
    assert invoke("new-plugin", "keywords", "--stage", "transform", "--dir", tmp_path).exit_code == 2


@pytest.mark.parametrize("stage", STAGES)
def test_the_generated_test_of_each_stage_passes_through_the_host(stage, tmp_path, monkeypatch):
    """Imports the generated module and test file and calls every test function, as pytest would."""
    name = f"made_{stage}"
    target = create_plugin(name, stage, tmp_path / "pkg")
    monkeypatch.syspath_prepend(str(target))
    spec = importlib.util.spec_from_file_location(f"test_made_{stage}", target / "tests" / f"test_{name}.py")
    tests = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(tests)
        functions = [getattr(tests, n) for n in dir(tests) if n.startswith("test_")]
        assert len(functions) >= 2
        for number, function in enumerate(functions):
            work = tmp_path / f"run{number}"
            work.mkdir()
            function(work)
        hook = f"etl_{stage}"
        assert hook in vars(sys.modules[f"etl_{name}"])
    finally:
        sys.modules.pop(f"etl_{name}", None)


@pytest.mark.slow
def test_a_scaffolded_package_installs_runs_on_the_seeds_and_passes_its_own_test(tmp_path):
    name = "ci_" + uuid.uuid4().hex[:8]  # unique: nothing else installed can be named so
    target = create_plugin(name, "extract", tmp_path)
    distribution = "etl-" + name.replace("_", "-")
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    env = {k: v for k, v in os.environ.items() if k != "ETL_DISABLE_PLUGIN_AUTOLOAD"}

    def etl(*args):
        result = subprocess.run([sys.executable, "-m", "etl", *map(str, args)], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"etl {args}: {result.stdout}\n{result.stderr}"
        return result.stdout

    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "install", "--no-deps", "--no-build-isolation", "-e", str(target)],
                   check=True, capture_output=True, timeout=300)
    try:
        listing = json.loads(etl("plugins", "--json"))
        (ours,) = [p for p in listing["plugins"] if p["name"] == name]
        assert ours["kind"] == "entry-point" and ours["status"] == "active" and ours["stages"] == ["extract"]
        assert listing["order"]["extract"][-1] == name
        out = tmp_path / "out"
        summary = json.loads(etl("run", corpus, "--out", out, "--workers", 1, "--json"))
        assert summary["rows"][f"{name}_matches"] > 0
        matches = read_table(out, f"{name}_matches").to_pylist()
        texts = {a["doc_id"]: a["text"] for a in read_table(out, "articles").to_pylist()}
        assert all(texts[m["doc_id"]][m["start"]:m["end"]] == m["text"] for m in matches)
        view = json.loads(etl("query", f"SELECT label, sum(matches) AS n FROM {name}_by_article GROUP BY 1",
                              "--out", out, "--format", "json"))
        assert sum(row["n"] for row in view) == len(matches)
        own = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=target,
                             env=env, capture_output=True, text=True, timeout=300)
        assert own.returncode == 0, own.stdout + own.stderr
        assert "2 passed" in own.stdout
    finally:
        subprocess.run([*pip, "uninstall", "-y", distribution], capture_output=True, timeout=300)
    gone = subprocess.run([sys.executable, "-m", "etl", "plugins", "--json"], env=env, capture_output=True, text=True)
    assert name not in gone.stdout
