"""Real processes: the quick start as a user types it, worker pools, SIGKILL, and the built wheel."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import venv
import zipfile

import duckdb
import pytest

from conftest import REPO, SEEDS, etl, read_table, rows

pytestmark = pytest.mark.slow


def without_run_ids(table):
    return sorted(tuple(sorted((k, str(v)) for k, v in row.items() if k != "run_id")) for row in table.to_pylist())


def test_quick_start_with_two_workers_matches_one_worker(tmp_path, seeds_out):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    etl("run", "seeds/", "--workers", 2, "--batch-size", 2, cwd=tmp_path)
    out = tmp_path / "etl-out"
    result = etl("query", "SELECT label, count(*) AS n FROM entities GROUP BY 1 ORDER BY 1", "--format", "json",
                 cwd=tmp_path)
    assert {r["label"] for r in json.loads(result.stdout)} >= {"PERSON", "GPE", "ORG"}
    # Same documents at other paths: compare everything but identity and run ids.
    for table in ("entities", "segments"):
        ours = [{k: v for k, v in r.items() if k not in ("run_id", "doc_id", "mention_id")}
                for r in read_table(out, table).to_pylist()]
        theirs = [{k: v for k, v in r.items() if k not in ("run_id", "doc_id", "mention_id")}
                  for r in read_table(seeds_out, table).to_pylist()]
        assert sorted(map(str, ours)) == sorted(map(str, theirs)), table
    again = json.loads(etl("run", "seeds/", "--json", cwd=tmp_path).stdout)
    assert again["documents"]["unchanged"] == 5


KILLER = '''
import os, signal
from etl import hookimpl

seen = 0

@hookimpl
def etl_extract(documents, config):
    global seen
    seen += len(documents)
    limit = int(os.environ.get("KILL_AFTER_DOCS", "0"))
    if limit and seen > limit:
        os.kill(os.getpid(), signal.SIGKILL)
'''


def test_sigkill_mid_run_keeps_published_tables_and_the_next_run_completes(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "killer.py").write_text(KILLER)
    common = ("--out", tmp_path / "out", "--plugins-dir", plugins, "--workers", 1, "--batch-size", 1)
    etl("run", corpus, *common, cwd=tmp_path)
    out = tmp_path / "out"
    before = {t: read_table(out, t) for t in ("articles", "entities", "segments")}

    for i in range(6):
        (corpus / f"extra_{i}.txt").write_text(f"Report {i}: fighting continued near Siversk and Lyman, "
                                               f"said Ukrainian commander Oleksandr Syrskyi.\n")
    killed = etl("run", corpus, *common, cwd=tmp_path, env={"KILL_AFTER_DOCS": "3"}, check=False)
    assert killed.returncode == -signal.SIGKILL
    for table, published in before.items():
        assert read_table(out, table).equals(published), f"{table} changed after a killed run"
    con = duckdb.connect(str(out / "etl.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    con.close()

    summary = json.loads(etl("run", corpus, *common, "--json", cwd=tmp_path).stdout)
    assert summary["documents"]["seen"] == 11
    assert summary["documents"]["new"] == 6 - 3 and summary["documents"]["unchanged"] == 5 + 3
    articles = rows(out, "articles")
    assert len(articles) == 11 and len({a["doc_id"] for a in articles}) == 11
    mentions = [e["mention_id"] for e in rows(out, "entities")]
    assert len(mentions) == len(set(mentions))
    statuses = [r["status"] for r in rows(out, "runs")]
    assert statuses == ["completed", "interrupted", "completed"]


def test_the_wheel_ships_plugins_and_views_and_claims_no_generic_name(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", dist, REPO],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "etl_plugins/spacy_nlp.py" in names and "etl/sql/source_overview.sql" in names
    assert {f"etl/templates/plugin/{stage}.py.tmpl" for stage in ("parse", "clean", "extract", "enrich", "load")} <= set(names)
    assert not any(n.startswith("plugins/") or n.startswith("sql/") for n in names)
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"etl", "etl_plugins"}

    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--force-reinstall", wheel],
                   check=True, capture_output=True, timeout=600)
    work = tmp_path / "elsewhere"
    shutil.copytree(SEEDS, work / "seeds")
    where = subprocess.run([python, "-c", "import etl, etl_plugins; print(etl.__file__, etl_plugins.__file__)"],
                           cwd=work, capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where and str(REPO) not in where
    result = subprocess.run([env_dir / "bin" / "etl", "run", "seeds", "--workers", "1", "--json"], cwd=work,
                            capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, ETL_DISABLE_PLUGIN_AUTOLOAD="1"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"]["articles"] == 5


def test_the_duckdb_command_line_client_reads_the_catalog(seeds_out):
    client = shutil.which("duckdb")
    if client is None:
        pytest.skip("the duckdb command-line client (pip install duckdb-cli) is not installed")
    version = subprocess.run([client, "--version"], capture_output=True, text=True, check=True).stdout
    sql = "SELECT label, count(*) AS n FROM entities GROUP BY 1 ORDER BY 1"
    result = subprocess.run([client, "-readonly", "-csv", str(seeds_out / "etl.duckdb"), "-c", sql],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{version}: {result.stderr}"
    expected = duckdb.connect(str(seeds_out / "etl.duckdb"), read_only=True).execute(sql).fetchall()
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "label,n" and [tuple(line.split(",")) for line in lines[1:]] == [(l, str(n)) for l, n in expected]
