"""The command line through click's CliRunner, and the README's plugin example."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import sys

import duckdb
import pytest
from click.testing import CliRunner

from conftest import REPO, SEEDS, read_table
from etl.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_query_formats_agree(seeds_out):
    sql = "SELECT label, count(*) AS n FROM entities GROUP BY 1 ORDER BY 1"
    expected = duckdb.connect(str(seeds_out / "etl.duckdb"), read_only=True).execute(sql).fetchall()
    as_json = json.loads(invoke("query", sql, "--out", seeds_out, "--format", "json").output)
    assert [(r["label"], r["n"]) for r in as_json] == expected
    as_csv = list(csv.reader(io.StringIO(invoke("query", sql, "--out", seeds_out, "--format", "csv").output)))
    assert as_csv[0] == ["label", "n"] and [(label, int(n)) for label, n in as_csv[1:]] == expected
    table = invoke("query", sql, "--out", seeds_out).output
    assert all(label in table for label, _ in expected) and f"{len(expected)} rows" in table


def test_query_errors_are_messages_not_tracebacks(seeds_out, tmp_path):
    bad = invoke("query", "SELECT nope FROM entities", "--out", seeds_out)
    assert bad.exit_code == 1 and "query failed" in bad.output and "nope" in bad.output
    missing = invoke("query", "SELECT 1", "--out", tmp_path / "nothing")
    assert missing.exit_code == 1 and "run `etl run PATH" in missing.output


def test_run_json_summary_and_unchanged_second_run(seeds_copy, tmp_path):
    out = tmp_path / "out"
    first = invoke("run", seeds_copy, "--out", out, "--workers", 1, "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert summary["documents"] == {"seen": 5, "new": 5, "changed": 0, "unchanged": 0, "failed": 0, "partial": 0}
    assert summary["rows"]["articles"] == 5 and summary["rows"]["entities"] > 50
    assert summary["status"] == "completed" and summary["seconds"] > 0
    second = invoke("run", seeds_copy, "--out", out, "--workers", 1)
    assert second.exit_code == 0
    assert "5 seen, 0 new, 0 changed, 5 unchanged, 0 failed" in second.output
    assert re.search(r"rows: articles 5, segments \d+, sentences \d+, entities \d+", second.output)
    (seeds_copy / "late.txt").write_text("Officials said on Friday that the bridge at Siversk was destroyed.")
    third = invoke("run", seeds_copy, "--out", out, "--workers", 1)
    assert "enrich: incremental (documents since the last run: 1 added, 0 removed)" in third.output


def test_bad_command_lines_and_configs_exit_non_zero(seeds_copy, tmp_path):
    assert invoke("run", seeds_copy, "--workers", 0).exit_code == 2
    assert invoke("run").exit_code == 2
    (tmp_path / "bad.toml").write_text("[stages]\nextract = ['nosuch']\n")
    result = invoke("run", seeds_copy, "--config", tmp_path / "bad.toml", "--out", tmp_path / "o")
    assert result.exit_code == 1 and "'nosuch', which does not implement etl_extract" in result.output
    missing = invoke("run", seeds_copy, tmp_path / "absent", "--out", tmp_path / "o")
    assert missing.exit_code == 2, missing.output  # the README: 2 for a bad command line
    assert f"Path '{tmp_path / 'absent'}' does not exist" in missing.output and "Usage: " in missing.output
    assert not (tmp_path / "o").exists(), "refused before the output folder is made"
    (tmp_path / "memory.toml").write_text('enrich_memory_limit = "lots"\n')
    result = invoke("run", seeds_copy, "--config", tmp_path / "memory.toml", "--out", tmp_path / "o")
    assert result.exit_code != 0 and "enrich_memory_limit = 'lots' is not a size DuckDB understands" in result.output
    assert not (tmp_path / "o").exists(), "refused before anything is extracted"


def test_plugins_lists_builtins_hooks_and_stage_order():
    listing = json.loads(invoke("plugins", "--json").output)
    by_name = {p["name"]: p for p in listing["plugins"]}
    assert by_name["spacy"]["hooks"] == ["etl_contract", "etl_extract", "etl_fingerprint", "etl_services",
                                         "etl_settings"]
    assert by_name["claims"]["contract"]["extract"] == {"needs": ["nlp", "dependency_parse"],
                                                        "reads": ["entities", "dates"],
                                                        "provides": ["claims"]}
    assert listing["problem"] is None
    assert by_name["markdown"]["stages"] == ["parse", "clean"]
    assert all(p["kind"] == "builtin" and p["version"] for p in listing["plugins"])
    assert listing["order"]["extract"][:3] == ["spacy", "natasha", "entities"]
    parse = listing["order"]["parse"]
    assert parse.index("html") < parse.index("markdown") < parse.index("text")
    text = invoke("plugins").output
    assert "extract  spacy -> natasha -> entities -> " in text
    assert "extract: needs nlp, dependency_parse; reads entities, dates; provides claims" in text


def test_plugins_shows_a_broken_local_plugin_with_its_error(tmp_path):
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom at import')\n")
    result = invoke("plugins", "--plugins-dir", tmp_path, "--json")
    assert result.exit_code == 0
    broken = [p for p in json.loads(result.output)["plugins"] if p["status"] == "broken"]
    assert broken[0]["name"] == "broken" and "boom at import" in broken[0]["error"]
    refused = invoke("run", SEEDS, "--plugins-dir", tmp_path, "--out", tmp_path / "o")
    assert refused.exit_code == 1 and "broken" in refused.output and "disable" in refused.output


def readme_plugin_example() -> str:
    readme = (REPO / "README.md").read_text()
    block = readme.split("<!-- plugin-example -->", 1)[1]
    return block.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_plugin_example_produces_its_table_and_view(seeds_copy, tmp_path):
    plugins = tmp_path / "my_plugins"
    plugins.mkdir()
    (plugins / "quotes.py").write_text(readme_plugin_example())
    out = tmp_path / "out"
    result = invoke("run", seeds_copy, "--plugins-dir", plugins, "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.output
    quotes = read_table(out, "quotes").to_pylist()
    texts = {a["doc_id"]: a["text"] for a in read_table(out, "articles").to_pylist()}
    assert any("confidently advancing" in q["text"] for q in quotes)
    assert all(texts[q["doc_id"]][q["start"]:q["end"]] == q["text"] for q in quotes)
    longest = json.loads(invoke("query", "SELECT * FROM longest_quotes", "--out", out, "--format", "json").output)
    assert len(longest) == len(quotes) and longest[0]["words"] == max(q["words"] for q in quotes)


def test_views_command_rewrites_the_catalog_after_a_move(seeds_copy, tmp_path):
    out = tmp_path / "out"
    assert invoke("run", seeds_copy, "--out", out, "--workers", 1).exit_code == 0
    moved = tmp_path / "moved"
    out.rename(moved)
    broken = invoke("query", "SELECT count(*) FROM articles", "--out", moved)
    assert broken.exit_code == 1
    assert invoke("views", "--out", moved).exit_code == 0
    fixed = invoke("query", "SELECT count(*) AS n FROM articles", "--out", moved, "--format", "json")
    assert json.loads(fixed.output) == [{"n": 5}]


@pytest.mark.slow
def test_watch_runs_again_on_new_files_in_one_process_until_stopped(tmp_path):
    """`etl run --watch`: a daemon for a folder that fills over the day. Each run is printed as it ends
    (one JSON line with --json), a new file is picked up by the next look, and SIGTERM between runs
    ends it with a message, not a traceback."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Russian forces captured Siversk on Thursday, the ministry said.\n")
    process = subprocess.Popen([sys.executable, "-m", "etl", "run", str(inbox), "--out", str(tmp_path / "out"),
                                "--workers", "1", "--watch", "0.2", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(process.stdout.readline())
        assert first["documents"]["new"] == 1
        (inbox / "b.txt").write_text("Ukraine's army said Siversk remains under its control.\n")
        second = json.loads(process.stdout.readline())
        while second["status"] == "unchanged":  # a look before the file was written
            second = json.loads(process.stdout.readline())
        assert second["documents"]["new"] == 1 and second["documents"]["unchanged"] == 1
        assert second["enrich"]["mode"] == "incremental"
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 0 and "stopped watching after" in errors
    assert "Traceback" not in errors
