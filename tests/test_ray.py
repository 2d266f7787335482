"""The Ray executor: the same tables as the local executor, and a Ray worker that dies charges only
the document that kills it. One local Ray runtime (two CPUs) serves the whole module."""

from __future__ import annotations

import sys
import time

import pytest
from click.testing import CliRunner

from conftest import NLP_PLUGINS, SEEDS, rows, run_pipeline
from etl.cli import cli

TABLES = ("articles", "segments", "sentences", "entities", "dates", "claims", "figures", "errors")


@pytest.fixture(scope="module")
def ray_runtime():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def without_run_ids(out, table):
    drop = {"run_id", "at"}  # `at`: when an error was recorded
    return sorted(repr(sorted((k, v) for k, v in row.items() if k not in drop)) for row in rows(out, table))


def assert_same_tables(ours, theirs):
    for table in TABLES:
        mine, local = without_run_ids(ours, table), without_run_ids(theirs, table)
        assert len(mine) == len(local), f"{table}: {len(mine)} rows on Ray, {len(local)} locally"
        assert mine == local, table


@pytest.mark.slow
def test_ray_tables_equal_the_local_executors_on_the_seeds(ray_runtime, seeds_out, tmp_path):
    out = tmp_path / "ray-out"
    summary = run_pipeline(SEEDS, out, executor="ray", workers=2, batch_size=2)
    assert summary.documents["new"] == 5 and summary.rows["entities"] > 0
    assert_same_tables(out, seeds_out)
    again = run_pipeline(SEEDS, out, executor="ray", workers=2, batch_size=2)
    assert again.documents["unchanged"] == 5 and again.documents["new"] == 0


@pytest.mark.slow
def test_ray_tables_equal_the_local_executors_on_200_bbc_articles(ray_runtime, shared_dir, tmp_path):
    folder = shared_dir / "evaldata" / "bbc_fulltext"
    files = []
    for category in sorted(p for p in folder.iterdir() if p.is_dir()):
        files += sorted(category.glob("*.txt"))[:40]
    assert len(files) == 200
    started = time.perf_counter()
    local = run_pipeline(files, tmp_path / "local", workers=1)
    on_ray = run_pipeline(files, tmp_path / "ray", executor="ray", workers=2, batch_size=16)
    assert local.rows == on_ray.rows and on_ray.rows["articles"] + on_ray.rows["errors"] == 200
    assert_same_tables(tmp_path / "ray", tmp_path / "local")
    assert time.perf_counter() - started < 240


KILLER = '''
import os, signal
from etl import hookimpl


@hookimpl
def etl_extract(documents, config):
    for doc in documents:
        if "KILL-THE-WORKER" in doc.text:
            os.kill(os.getpid(), signal.SIGKILL)
'''


@pytest.mark.slow
def test_a_ray_worker_that_dies_charges_only_the_document_that_kills_it(ray_runtime, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in SEEDS.glob("*.txt"):
        (corpus / seed.name).write_bytes(seed.read_bytes())
    (corpus / "wire.jsonl").write_text("".join(
        f'{{"title": "Wire {i}", "text": "Record {i}: shelling near Siversk.{" KILL-THE-WORKER" if i == 2 else ""}"}}\n'
        for i in range(5)))
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "killer.py").write_text(KILLER)
    out = tmp_path / "out"
    summary = run_pipeline(corpus, out, executor="ray", workers=2, batch_size=2, plugins_dir=(str(plugins),),
                           disable=NLP_PLUGINS)
    assert summary.documents["failed"] == 1 and summary.documents["new"] == 9
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("wire.jsonl#2")
    assert (error["stage"], error["error_type"]) == ("extract", "WorkerDied")
    assert "Ray worker" in error["message"]
    uris = [a["source_uri"] for a in rows(out, "articles")]
    assert len(uris) == len(set(uris)) == 9


def test_without_ray_the_executor_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(tmp_path / "out"), "--executor", "ray"])
    assert result.exit_code == 1
    assert "pip install 'newsetl[ray]'" in result.output
    assert not (tmp_path / "out").exists(), "nothing is started before the executor is known to work"


def test_an_address_without_the_ray_executor_is_refused(tmp_path):
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(tmp_path / "out"), "--address", "head:6379"])
    assert result.exit_code == 1 and "--executor ray" in result.output


def test_the_executor_is_a_config_key(tmp_path):
    (tmp_path / "etl.toml").write_text('executor = "dask"\n')
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--config", str(tmp_path / "etl.toml"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "executors are local, ray" in result.output


def test_an_address_nothing_listens_at_fails_fast_with_what_to_do(monkeypatch, tmp_path):
    """`ray.init` retries an unreachable cluster for minutes; the run says what is wrong at once."""
    ray = pytest.importorskip("ray")
    import socket

    monkeypatch.setattr(ray, "is_initialized", lambda: False)  # as in a fresh process, whatever ran before

    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(tmp_path / "out"), "--workers", "1",
                                      "--executor", "ray", "--address", f"127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in result.output
    assert "ray start --head" in result.output  # refused before `ray.init`, which would retry for minutes


STUCK = '''
import time
from etl import hookimpl


@hookimpl
def etl_extract(documents, config):
    for doc in documents:
        if "STUCK-FOREVER" in doc.text:
            # A minute, not forever: without a limit the test fails instead of hanging.
            until = time.monotonic() + 60
            while time.monotonic() < until:
                try:
                    time.sleep(0.05)
                except Exception:
                    pass
'''


@pytest.mark.slow
def test_the_document_time_limit_holds_in_ray_tasks(ray_runtime, tmp_path):
    """Ray runs a task on its worker's main thread, where `deadline`'s SIGALRM can interrupt a plugin."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in SEEDS.glob("*.txt"):
        (corpus / seed.name).write_bytes(seed.read_bytes())
    (corpus / "zz_stuck.txt").write_text("Shelling went on near Siversk.\n\nSTUCK-FOREVER is in this one.\n")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "stuck.py").write_text(STUCK)
    out = tmp_path / "out"
    started = time.monotonic()
    summary = run_pipeline(corpus, out, executor="ray", workers=2, batch_size=2, plugins_dir=(str(plugins),),
                           disable=NLP_PLUGINS, document_timeout=2.0)
    assert time.monotonic() - started < 50, "the stuck plugin was interrupted, not waited for"
    assert summary.documents["failed"] == 0 and summary.documents["new"] == 6
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("zz_stuck.txt")
    assert (error["stage"], error["plugin"], error["error_type"]) == ("extract", "stuck", "DocumentTimeout")
    assert len(rows(out, "articles")) == 6
