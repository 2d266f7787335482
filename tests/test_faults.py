"""Surviving faults: worker processes that die, runs killed with SIGKILL in enrich and while publishing,
and `etl run --retry-errors` from the command line.

The processes are real (`python -m etl`); the faults come from a --plugins-dir plugin that kills its
own process when told to by an environment variable or a marker in a document.
"""

from __future__ import annotations

import json
import signal

import duckdb
import pytest
from click.testing import CliRunner

from conftest import NO_NLP_ARGS, SEEDS, etl, read_table, rows
from etl import published as published_tables
from etl.cli import cli
from etl.model import doc_id_for

# Without spaCy and the plugins that need it, a process starts in about a second.
NO_SPACY = NO_NLP_ARGS

KILLERS = '''
import os, signal
from pathlib import Path
from etl import hookimpl


def die():
    os.kill(os.getpid(), signal.SIGKILL)


@hookimpl(tryfirst=True)
def etl_parse(source, config):
    # A parser that crashes in "native code" on one file, before any document exists.
    if os.environ.get("KILL_ON_MARKER") and source.path.suffix == ".boom":
        die()
    return None


@hookimpl
def etl_extract(documents, config):
    if os.environ.get("KILL_ON_MARKER"):
        for doc in documents:
            if "KILL-THE-WORKER" in doc.text:
                die()


@hookimpl
def etl_enrich(db, config):
    if os.environ.get("KILL_IN") == "enrich":
        die()


@hookimpl
def etl_load(db, config, run):
    # Registered after the built-in parquet loader, so it runs once the new version holds files.
    if os.environ.get("KILL_IN") == "load":
        if not list(Path(run.staging_dir).glob("*/*.parquet")):
            raise RuntimeError("the parquet loader has not written anything yet")
        die()
'''


@pytest.fixture
def killers(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "killers.py").write_text(KILLERS)
    return folder


def write_corpus(corpus):
    corpus.mkdir()
    for seed in SEEDS.glob("*.txt"):
        (corpus / seed.name).write_bytes(seed.read_bytes())
    (corpus / "zz_killer.txt").write_text("Fighting went on near Lyman.\n\nThe army said KILL-THE-WORKER today.\n")
    with (corpus / "feed.jsonl").open("w") as handle:
        for i in range(6):
            marker = " KILL-THE-WORKER" if i == 3 else ""
            handle.write(json.dumps({"title": f"Wire {i}", "text": f"Record {i}: shelling near Siversk, "
                                     f"officials said.{marker}"}) + "\n")
    (corpus / "native.boom").write_text("whatever the parser chokes on\n")


@pytest.mark.slow
def test_a_dying_worker_charges_only_what_kills_it_and_retry_errors_loads_it_once_fixed(tmp_path, killers):
    corpus = tmp_path / "corpus"
    write_corpus(corpus)
    out = tmp_path / "out"
    common = ("--out", out, "--plugins-dir", killers, "--workers", 2, "--batch-size", 2, *NO_SPACY, "--json")
    summary = json.loads(etl("run", corpus, *common, cwd=tmp_path, env={"KILL_ON_MARKER": "1"}).stdout)

    assert summary["status"] == "completed"
    errors = {e["source_uri"].rsplit("/", 1)[1]: e for e in rows(out, "errors")}
    assert set(errors) == {"zz_killer.txt", "feed.jsonl#3", "native.boom"}
    for name, stage in (("zz_killer.txt", "extract"), ("feed.jsonl#3", "extract"), ("native.boom", "parse")):
        assert (errors[name]["stage"], errors[name]["error_type"]) == (stage, "WorkerDied")
        assert "worker process died" in errors[name]["message"] and "retried alone" in errors[name]["message"]
    articles = [a["source_uri"].rsplit("/", 1)[1] for a in rows(out, "articles")]
    expected = sorted([p.name for p in SEEDS.glob("*.txt")] + [f"feed.jsonl#{i}" for i in (0, 1, 2, 4, 5)])
    assert sorted(articles) == expected, "every good document loads, each exactly once"
    assert summary["documents"] == {"seen": 13, "new": 10, "changed": 0, "unchanged": 0, "failed": 3, "partial": 0}

    # Unchanged failures are not retried (no worker dies again) ...
    again = json.loads(etl("run", corpus, *common, cwd=tmp_path, env={"KILL_ON_MARKER": "1"}).stdout)
    assert again["documents"]["unchanged"] == 13 and again["documents"]["failed"] == 0
    # ... until asked, once the cause is fixed: only the three are processed again.
    fixed = json.loads(etl("run", corpus, *common, "--retry-errors", cwd=tmp_path).stdout)
    assert fixed["documents"]["changed"] == 3 and fixed["documents"]["unchanged"] == 10
    assert rows(out, "errors") == []
    uris = [a["source_uri"] for a in rows(out, "articles")]
    assert len(uris) == len(set(uris)) == 13


def published(out):
    """Every published table's rows and the catalog's answer to a query, to compare across a kill."""
    version = out / "tables"
    tables = {table: published_tables.read_table(version, table) for table in published_tables.tables_in(version)}
    assert "articles" in tables and "runs" in tables
    with duckdb.connect(str(out / "etl.duckdb"), read_only=True) as con:
        catalog = con.execute("SELECT doc_id, title FROM articles ORDER BY doc_id").fetchall()
        catalog += con.execute("SELECT status, count(*) FROM runs GROUP BY 1 ORDER BY 1").fetchall()
    return tables, catalog


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["enrich", "load"])
def test_sigkill_in_enrich_or_while_publishing_keeps_the_published_tables(tmp_path, killers, stage):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in SEEDS.glob("*.txt"):
        (corpus / seed.name).write_bytes(seed.read_bytes())
    out = tmp_path / "out"
    common = ("--out", out, "--plugins-dir", killers, "--workers", 1, *NO_SPACY)
    etl("run", corpus, *common, cwd=tmp_path)
    before_tables, before_catalog = published(out)
    version = (out / "tables").resolve()

    for i in range(3):
        (corpus / f"extra_{i}.txt").write_text(f"Report {i}: fighting continued near Siversk and Lyman.\n")
    killed = etl("run", corpus, *common, cwd=tmp_path, env={"KILL_IN": stage}, check=False)
    assert killed.returncode == -signal.SIGKILL
    if stage == "load":
        assert len(list((out / ".versions").iterdir())) == 2, "the killed run had begun writing a version"
    after_tables, after_catalog = published(out)
    assert (out / "tables").resolve() == version
    assert after_catalog == before_catalog
    assert after_tables.keys() == before_tables.keys()
    for name, table in before_tables.items():
        assert after_tables[name].equals(table), f"{name} changed after a run killed in {stage}"

    summary = json.loads(etl("run", corpus, *common, "--json", cwd=tmp_path).stdout)
    # The killed run had committed every document before it died: nothing is extracted twice.
    assert summary["documents"] == {"seen": 8, "new": 0, "changed": 0, "unchanged": 8, "failed": 0, "partial": 0}
    articles = rows(out, "articles")
    assert len(articles) == 8 and len({a["doc_id"] for a in articles}) == 8
    assert [r["status"] for r in rows(out, "runs")] == ["completed", "interrupted", "completed"]
    assert {p.name for p in (out / ".versions").iterdir()} == {version.name, (out / "tables").resolve().name}
    with duckdb.connect(str(out / "etl.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT doc_id) FROM articles").fetchone()[0] == 8


FLAKY = '''
import os
from etl import hookimpl


@hookimpl
def etl_clean(documents, config):
    if os.environ.get("FLAKY_BROKEN"):
        for doc in documents:
            if any("Kremlin" in s.text for s in doc.segments):
                raise ValueError("cannot clean a document that names the Kremlin")
'''


def test_retry_errors_from_the_command_line_reprocesses_the_documents_a_plugin_failed_on(tmp_path, monkeypatch,
                                                                                       seeds_copy):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "flaky.py").write_text(FLAKY)
    out = tmp_path / "out"

    def run(*extra):
        result = CliRunner().invoke(cli, ["run", str(seeds_copy), "--out", str(out), "--plugins-dir", str(plugins),
                                          "--workers", "1", *NO_SPACY, "--json", *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    monkeypatch.setenv("FLAKY_BROKEN", "1")
    first = run()
    failed = {e["doc_id"] for e in rows(out, "errors")}
    # A clean plugin's failure costs only its own work: the documents load, as they were before it.
    assert first["documents"]["partial"] == len(failed) >= 1 and first["documents"]["new"] == 5
    assert first["documents"]["failed"] == 0

    monkeypatch.delenv("FLAKY_BROKEN")
    same = run()
    assert same["documents"] == {"seen": 5, "new": 0, "changed": 0, "unchanged": 5, "failed": 0, "partial": 0}
    assert {e["doc_id"] for e in rows(out, "errors")} == failed

    fixed = run("--retry-errors")
    assert fixed["documents"] == {"seen": 5, "new": 0, "changed": len(failed), "unchanged": 5 - len(failed),
                                  "failed": 0, "partial": 0}
    assert rows(out, "errors") == []
    articles = read_table(out, "articles").to_pylist()
    assert sorted(a["doc_id"] for a in articles) == sorted(
        doc_id_for(p.resolve().as_uri()) for p in seeds_copy.glob("*.txt"))
    # The good documents' rows were not rewritten: they still carry the first run's id.
    good = [a for a in articles if a["doc_id"] not in failed]
    assert {a["run_id"] for a in good} == {first["run_id"]}
    assert {a["run_id"] for a in articles if a["doc_id"] in failed} == {fixed["run_id"]}
