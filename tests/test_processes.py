"""Real processes: the quick start as a user types it, worker pools, SIGKILL, and the built wheel."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from conftest import NO_NLP_ARGS, REPO, SEEDS, etl, read_table, rows

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


def environment_seeing_ours(env_dir):
    """A new virtual environment at `env_dir` that also sees this interpreter's packages; its python.

    `system_site_packages` alone would show it the packages of the *base* interpreter only: run from a
    virtual environment (as a user following the README is), it would see none of the dependencies. So a
    `.pth` file adds this environment's site-packages after the new environment's own, where the wheel is
    installed and found first. Only paths are added: this environment's own `.pth` files (such as an
    editable install of this repository) are not processed.
    """
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin" / "python"
    theirs = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(theirs) / "_outer_site_packages.pth").write_text("".join(f"{path}\n" for path in ours))
    return python


def test_the_wheel_ships_plugins_and_views_and_claims_no_generic_name(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", dist, REPO],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "etl_plugins/spacy/plugin.py" in names and "etl/sql/source_overview.sql" in names
    # Every package of the checkout, subpackages included: a `packages` list in pyproject.toml that misses
    # one makes a wheel that fails at its first import, while an editable install hides it.
    folders = {"etl": REPO / "etl", "etl_plugins": REPO / "plugins"}
    for top, folder in folders.items():
        for init in folder.rglob("__init__.py"):
            assert f"{top}/{init.relative_to(folder).as_posix()}" in names, f"{init} is not in the wheel"
    stages = ("parse", "clean", "extract", "enrich", "load")
    assert {f"etl/templates/plugin/{stage}.py.tmpl" for stage in stages} <= set(names)
    assert not any(n.startswith("plugins/") or n.startswith("sql/") for n in names)
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"etl", "etl_plugins"}

    env_dir = tmp_path / "venv"
    python = environment_seeing_ours(env_dir)
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
    assert lines[0] == "label,n"
    assert [tuple(line.split(",")) for line in lines[1:]] == [(label, str(n)) for label, n in expected]


# --- workers die with the main process; SIGTERM stops a run as Ctrl-C does ----------------------------------

NO_SPACY = NO_NLP_ARGS

# Slow on purpose: worker start-up takes STARTUP_SECONDS (the plugin is imported when a worker builds its
# pipeline), and every document then takes a tenth of a second, so a run of a few hundred documents is still
# starting up, or extracting, when the test signals it.
SLOW = '''
import multiprocessing, os, time
from etl import hookimpl

if multiprocessing.parent_process() is not None:
    time.sleep(float(os.environ.get("STARTUP_SECONDS", "0")))


@hookimpl
def etl_extract(documents, config):
    time.sleep(0.1 * len(documents))
'''


def proc_stat(pid):
    """(state, parent pid, start time) of a process from /proc/PID/stat, or None once it is gone."""
    try:
        text = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the name in parentheses may hold spaces
    return fields[0], int(fields[1]), fields[19]


def children_of(pid):
    """{pid: start time} of the live processes whose parent is `pid` (psutil is not a dependency)."""
    kids = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := proc_stat(entry.name)) and stat[1] == pid and stat[0] not in "ZX":
            kids[int(entry.name)] = stat[2]
    return kids


def alive(pid, started):
    """Whether the process `pid` that started at `started` still runs (a zombie has stopped running)."""
    stat = proc_stat(pid)
    return stat is not None and stat[2] == started and stat[0] not in "ZX"


def wait_for(condition, seconds, what):
    give_up = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)


def part_folders(out):
    parts = out / ".etl" / "parts"
    return set(os.listdir(parts)) if parts.is_dir() else set()


@pytest.fixture
def slow_run(tmp_path):
    """Start `python -m etl run` over 400 small files with two workers; returns (process, out, kids)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(400):
        (corpus / f"report_{i:03}.txt").write_text(f"Report {i}\n\nShelling went on near Siversk, day {i}.\n")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "slow.py").write_text(SLOW)
    out = tmp_path / "out"
    started = []
    kids = {}

    def start(startup_seconds, *extra):
        env = dict(os.environ, ETL_DISABLE_PLUGIN_AUTOLOAD="1", STARTUP_SECONDS=str(startup_seconds))
        # Output to files, not pipes: a worker left behind would hold a pipe open, and reading it would hang.
        with open(tmp_path / "stdout", "w") as stdout, open(tmp_path / "stderr", "w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "etl", "run", corpus, "--out", out, "--plugins-dir", plugins, "--workers",
                 "2", "--batch-size", "4", *NO_SPACY, *extra], cwd=tmp_path, env=env, stdout=stdout, stderr=stderr)
        started.append(process)
        # Two workers and multiprocessing's resource tracker.
        wait_for(lambda: len(children_of(process.pid)) >= 3, 60, "the worker processes started")
        kids.update(children_of(process.pid))
        return process

    yield start, out
    for process in started:
        if process.poll() is None:
            kids.update(children_of(process.pid))
            process.kill()
            process.wait()
    for pid, began in kids.items():  # whatever a failed test left behind
        if alive(pid, began):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("when", ["starting up", "extracting"])
def test_workers_die_with_a_main_process_killed_by_sigkill(slow_run, when):
    start, out = slow_run
    process = start(4 if when == "starting up" else 0)
    if when == "extracting":
        wait_for(lambda: part_folders(out), 60, "a first part folder written")
    kids = children_of(process.pid)
    process.kill()
    process.wait()
    wait_for(lambda: not any(alive(pid, started) for pid, started in kids.items()), 10,
             "every worker and the resource tracker gone after the main process was killed")
    written = part_folders(out)
    time.sleep(5)  # long enough for workers left behind to write a part folder of four slow documents
    assert part_folders(out) == written, "part folders written after the main process died"


def published(out):
    """The published tables' bytes and the version they are in."""
    tables = out / "tables"
    files = sorted(p for p in tables.resolve().rglob("*") if p.is_file())
    return os.readlink(tables), {str(p.relative_to(tables.resolve())): p.read_bytes() for p in files}


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_sigterm_stops_a_run_as_interrupted_and_keeps_the_published_tables(slow_run, tmp_path, executor):
    if executor == "ray":
        pytest.importorskip("ray")
    start, out = slow_run
    etl("run", SEEDS, "--out", out, *NO_SPACY, "--workers", 1, cwd=tmp_path)
    before = published(out)
    process = start(0, "--executor", executor)
    wait_for(lambda: len(part_folders(out)) > 1, 60, "a part folder of this run written")
    kids = children_of(process.pid)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    stderr = (tmp_path / "stderr").read_text()
    assert process.returncode == 1, stderr
    lines = stderr.strip().splitlines()
    if executor == "ray":  # Ray logs warnings of its own as it starts; no traceback, no stack dump
        assert not any("Traceback" in line or "SIGTERM received" in line for line in lines), stderr
        lines = lines[-1:]
    assert lines == ["Error: interrupted by SIGTERM before the run completed; the published tables are unchanged, "
                     "and the next `etl run` picks up where this one stopped"], stderr
    wait_for(lambda: not any(alive(pid, started) for pid, started in kids.items()), 10, "the workers stopped")
    assert published(out) == before
    with closing(sqlite3.connect(out / ".etl" / "state.sqlite")) as manifest:
        statuses = [s for (s,) in manifest.execute("SELECT status FROM runs ORDER BY started_at")]
    assert statuses == ["completed", "interrupted"]


# --- CI runs what the README tells a user to run -----------------------------------------------------------


def readme_quick_start():
    """The commands of the code blocks of README.md's Quick start before "Then ask questions"."""
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```bash\n(.*?)^```$", section, flags=re.S | re.M)
    return [line for block in blocks[:2] for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readme_quick_start_commands_verbatim():
    printed = subprocess.run(["bash", REPO / ".ci" / "run", "--print-commands"], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    commands = readme_quick_start()
    assert printed == commands
    assert len(commands) == 2 and "etl run seeds/" in commands[0] and "python -m pytest" in commands[1]
