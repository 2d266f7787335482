"""`etl query`: a sandbox that reads the published tables and nothing else, its messages and its table."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import duckdb
import pytest
from click.testing import CliRunner

from conftest import SEEDS, run_pipeline
from etl.catalog import QueryError, open_catalog
from etl.cli import cli

FAST = {"stages": {"extract": ()}}  # no spaCy: articles and segments only, every table published


def invoke(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, env=env)


@pytest.fixture(scope="module")
def fast_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("query") / "etl-out"
    run_pipeline(SEEDS, out, **FAST)
    return out


def refused(out, sql):
    result = invoke("query", sql, "--out", out)
    assert result.exit_code == 1, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and message.startswith("Error: refused")
    assert f"duckdb -readonly {out / 'etl.duckdb'}" in message
    return message


# --- what a query may not touch ----------------------------------------------------------------------

def test_copy_to_a_file_is_refused(fast_out, tmp_path):
    target = tmp_path / "leak.csv"
    assert "COPY" in refused(fast_out, f"COPY (SELECT * FROM articles) TO '{target}'")
    assert not target.exists()


def test_copy_over_the_published_table_leaves_it_untouched(fast_out):
    (published,) = (fast_out / "tables" / "articles").resolve().glob("*.parquet")
    before = published.read_bytes()
    for target in (published, fast_out / "tables" / "articles" / published.name):
        refused(fast_out, f"COPY (SELECT 1 AS x) TO '{target}' (FORMAT parquet)")
    assert published.read_bytes() == before
    assert invoke("query", "SELECT count(*) FROM articles", "--out", fast_out).exit_code == 0


def test_export_database_is_refused(fast_out, tmp_path):
    refused(fast_out, f"EXPORT DATABASE '{tmp_path / 'dump'}'")
    assert not (tmp_path / "dump").exists()


@pytest.mark.parametrize("reader", ["read_text", "read_csv", "read_blob", "read_parquet"])
def test_files_outside_the_published_tables_cannot_be_read(fast_out, tmp_path, reader):
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")
    assert "hunter2" not in refused(fast_out, f"SELECT * FROM {reader}('{secret}')")
    # Inside the output folder too: the manifest is not a published table.
    refused(fast_out, f"SELECT * FROM {reader}('{fast_out / '.etl' / 'state.sqlite'}')")


def test_glob_lists_nothing(fast_out, tmp_path):
    refused(fast_out, f"SELECT * FROM glob('{tmp_path}/*')")
    refused(fast_out, f"SELECT * FROM glob('{fast_out / 'tables'}/*')")


@pytest.mark.parametrize("sql", ["INSTALL httpfs", "LOAD httpfs", "LOAD json", "FORCE INSTALL spatial"])
def test_extensions_are_neither_installed_nor_loaded(fast_out, sql):
    refused(fast_out, sql)


def test_attach_is_refused(fast_out, tmp_path):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    refused(fast_out, f"ATTACH '{other}' AS other")
    refused(fast_out, f"SELECT 1; ATTACH '{other}' AS other")


@pytest.mark.parametrize("sql", ["SET enable_external_access = true", "SET lock_configuration = false",
                                 "RESET allowed_paths", "SET allowed_directories = ['/']", "PRAGMA enable_profiling"])
def test_settings_cannot_lift_the_sandbox(fast_out, sql):
    refused(fast_out, sql)


@pytest.mark.parametrize("sql", ["SET enable_external_access = true", "SET lock_configuration = false",
                                 "SET allowed_directories = ['/']"])
def test_the_connection_itself_is_locked(fast_out, sql):
    """Behind the statement check, DuckDB's own settings hold (this is what guards the report's SQL)."""
    with pytest.raises(QueryError, match="locked"), open_catalog(fast_out) as con:
        con.execute(sql)
    with pytest.raises(QueryError, match="refused: Cannot access file"), open_catalog(fast_out) as con:
        con.execute("SELECT * FROM read_text('/etc/passwd')")


def test_the_sandbox_does_not_reach_other_connections_to_the_catalog(fast_out, tmp_path):
    with duckdb.connect(str(fast_out / "etl.duckdb"), read_only=True) as mine:
        with open_catalog(fast_out) as con:
            con.execute("SELECT count(*) FROM articles").fetchall()
        mine.execute(f"COPY (SELECT 1) TO '{tmp_path / 'mine.csv'}'")
    assert (tmp_path / "mine.csv").exists()


# --- what still works ---------------------------------------------------------------------------------

def test_every_view_answers_as_through_duckdb(seeds_out):
    with duckdb.connect(str(seeds_out / "etl.duckdb"), read_only=True) as con:
        views = [r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
        counts = {v: con.execute(f'SELECT count(*) FROM "{v}"').fetchone()[0] for v in views}
    assert {"articles", "entities", "entity_mentions", "contradictions", "timeline", "figure_conflicts"} <= set(views)
    for view in views:
        result = invoke("query", f'SELECT count(*) AS n FROM "{view}"', "--out", seeds_out, "--format", "json")
        assert result.exit_code == 0, (view, result.output)
        assert json.loads(result.output) == [{"n": counts[view]}], view
    explained = invoke("query", "EXPLAIN SELECT * FROM contradictions", "--out", seeds_out)
    assert explained.exit_code == 0, explained.output


# --- messages -----------------------------------------------------------------------------------------

def test_a_catalog_locked_by_a_read_write_session_says_to_open_it_read_only(tmp_path):
    out = tmp_path / "etl-out"
    run_pipeline(SEEDS, out, **FAST)
    hold = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(out / "etl.duckdb")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = invoke("query", "SELECT count(*) FROM articles", "--out", out)
    finally:
        holder.stdin.close()
        holder.wait()
    assert result.exit_code == 1
    assert "is locked" in result.output and f"duckdb -readonly {out / 'etl.duckdb'}" in result.output
    assert "Traceback" not in result.output


def test_a_moved_output_folder_says_to_run_etl_views(tmp_path):
    out = tmp_path / "etl-out"
    run_pipeline(SEEDS, out, **FAST)
    moved = tmp_path / "moved"
    out.rename(moved)
    broken = invoke("query", "SELECT count(*) FROM articles", "--out", moved)
    assert broken.exit_code == 1
    assert "does not exist" in broken.output and f"etl views --out {moved}" in broken.output
    assert invoke("views", "--out", moved).exit_code == 0
    assert invoke("query", "SELECT count(*) FROM articles", "--out", moved).exit_code == 0


def test_a_reader_that_attached_the_catalog_keeps_its_version_through_one_more_run(tmp_path):
    """What holds for a long-lived session that ATTACHes the catalog (publishing keeps two versions).

    It goes on reading the version it attached through the next run; the run after that removes that
    version, and the session must attach the catalog again (which `etl query` does on every call).
    """
    out = tmp_path / "etl-out"
    first = run_pipeline(SEEDS, out, **FAST).run_id
    reader = duckdb.connect()
    reader.execute(f"ATTACH '{out / 'etl.duckdb'}' AS etl (READ_ONLY)")
    runs = "SELECT list(run_id ORDER BY run_id) FROM etl.runs"
    assert reader.execute(runs).fetchone()[0] == [first]

    # Rebuilt, so that each run publishes a version (a run that changes nothing publishes none).
    second = run_pipeline(SEEDS, out, rebuild=True, **FAST).run_id
    assert reader.execute(runs).fetchone()[0] == [first]  # still readable: its version is the previous one
    assert reader.execute("SELECT count(*) FROM etl.articles").fetchone()[0] == 5

    third = run_pipeline(SEEDS, out, rebuild=True, **FAST).run_id
    with pytest.raises(duckdb.IOException, match=f"No files found.*{first}"):
        reader.execute(runs).fetchone()
    reader.execute("DETACH etl")
    reader.execute(f"ATTACH '{out / 'etl.duckdb'}' AS etl (READ_ONLY)")
    assert reader.execute(runs).fetchone()[0] == [first, second, third]
    reader.close()


# --- the table format ---------------------------------------------------------------------------------

def test_the_table_keeps_one_row_per_line_within_the_terminal(fast_out):
    sql = "SELECT doc_id, title, text, word_count, [title, text] AS both FROM articles ORDER BY doc_id"
    table = invoke("query", sql, "--out", fast_out, env={"COLUMNS": "70"}).output
    lines = table.splitlines()
    assert len(lines) == 2 + 5 + 1 and lines[-1] == "5 rows"
    assert lines[0].split() == ["doc_id", "title", "text", "word_count", "both"]
    assert all(len(line) <= 70 for line in lines)
    assert all(line.count("…") >= 2 for line in lines[2:-1])
    as_csv = list(csv.reader(io.StringIO(invoke("query", sql, "--out", fast_out, "--format", "csv").output)))
    texts = json.loads(invoke("query", sql, "--out", fast_out, "--format", "json").output)
    assert [row[2] for row in as_csv[1:]] == [row["text"] for row in texts]
    assert all(len(row["text"]) > 1000 for row in texts)
    # word_count is short: it is never cut.
    assert all(str(row["word_count"]) in line for row, line in zip(texts, lines[2:-1]))


def test_entity_index_leads_to_the_mentions(seeds_out):
    def rows(sql):
        return json.loads(invoke("query", sql, "--out", seeds_out, "--format", "json").output)

    top = rows("SELECT entity_id, canonical_name, mentions FROM entity_index ORDER BY mentions DESC LIMIT 1")[0]
    mentions = rows(f"SELECT entity_id, canonical_name, text, before, after FROM entity_mentions "
                    f"WHERE entity_id = '{top['entity_id']}'")
    assert len(mentions) == top["mentions"] > 1
    assert {m["canonical_name"] for m in mentions} == {top["canonical_name"]}
