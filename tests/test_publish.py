"""Publishing costs what changed: a version shares its unchanged files with the one before, and the
tables an output folder reaches run by run are those a run from scratch over the same files publishes."""

from __future__ import annotations

import shutil

import pytest

from conftest import NLP_PLUGINS, SEEDS, read_table, run_pipeline
from etl.model import BASE_TABLES
from etl.published import read_index

ONE_FILE_PER_DOC = {"parquet": {"docs_per_file": 1}}


def inodes(version, table):
    return {p.stat().st_ino for p in (version / table).glob("*.parquet")}


def test_a_version_shares_the_files_of_documents_that_did_not_change(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    for i in range(6):
        (corpus / f"{i}.txt").write_text(f"Report number {i}.\n\nThe council met on Monday in town {i}.\n")
    out = tmp_path / "out"
    run_pipeline(corpus, out, plugins=ONE_FILE_PER_DOC, disable=NLP_PLUGINS)
    first = (out / "tables").resolve()
    assert len(list((first / "segments").glob("*.parquet"))) == 6, "one file per document"
    (corpus / "3.txt").write_text("Report number 3, corrected.\n\nThe council met on Tuesday.\n")

    run_pipeline(corpus, out, plugins=ONE_FILE_PER_DOC, disable=NLP_PLUGINS)

    second = (out / "tables").resolve()
    assert second != first
    shared = inodes(first, "segments") & inodes(second, "segments")
    assert len(shared) == 5, "the five unchanged documents' files are the previous version's, linked"
    texts = [s["text"] for s in read_table(out, "segments").to_pylist()]
    assert "The council met on Tuesday." in texts and len(texts) == 12
    index = read_index(second)["tables"]["segments"]["files"]
    assert sum(rows for rows, _ in index.values()) == 12


def test_a_new_layout_setting_writes_every_file_again(tmp_path):
    out = tmp_path / "out"
    run_pipeline(SEEDS, out, plugins=ONE_FILE_PER_DOC, disable=NLP_PLUGINS)
    first = (out / "tables").resolve()
    run_pipeline(SEEDS, out, plugins={"parquet": {"docs_per_file": 2}}, disable=NLP_PLUGINS)
    second = (out / "tables").resolve()
    assert not inodes(first, "segments") & inodes(second, "segments")
    assert len(list((second / "segments").glob("*.parquet"))) == 3
    assert read_table(out, "segments").num_rows == sum(
        1 for _ in read_table(out, "segments").to_pylist())


def _content(out) -> dict[str, list[tuple]]:
    """Every published table's rows, sorted, without what names the run that wrote them."""
    tables = {}
    for table, schema in BASE_TABLES.items():
        if table == "runs":
            continue
        columns = [c for c in schema.names if c not in ("run_id", "at")]
        rows = read_table(out, table).select(columns).to_pylist()
        tables[table] = sorted((tuple(repr(row[c]) for c in columns) for row in rows))
    return tables


@pytest.mark.slow
def test_runs_that_add_change_and_prune_publish_what_a_run_from_scratch_publishes(tmp_path):
    seeds = sorted(SEEDS.glob("*.txt"))
    corpus = tmp_path / "in"
    corpus.mkdir()
    for seed in seeds[:4]:
        shutil.copy(seed, corpus / seed.name)
    out = tmp_path / "out"
    run_pipeline(corpus, out, plugins=ONE_FILE_PER_DOC)
    shutil.copy(seeds[4], corpus / seeds[4].name)  # added
    changed = corpus / seeds[1].name
    changed.write_text(changed.read_text() + "\nKramatorsk was shelled again on Friday, officials said.\n")
    added = run_pipeline(corpus, out, plugins=ONE_FILE_PER_DOC)
    (corpus / seeds[0].name).unlink()  # removed
    pruned = run_pipeline(corpus, out, plugins=ONE_FILE_PER_DOC, prune=True)
    # Every built-in enrich plugin works incrementally: these two runs enriched only what changed.
    assert (added.enrich["mode"], added.enrich["added"], added.enrich["removed"]) == ("incremental", 2, 1)
    assert (pruned.enrich["mode"], pruned.enrich["added"], pruned.enrich["removed"]) == ("incremental", 0, 1)

    scratch = tmp_path / "scratch"
    run_pipeline(corpus, scratch, plugins=ONE_FILE_PER_DOC)

    incremental, fresh = _content(out), _content(scratch)
    assert len(incremental["articles"]) == 4 and incremental["entities"]
    for table in fresh:
        assert incremental[table] == fresh[table], table


def test_the_published_index_names_every_file_with_its_rows(tmp_path):
    out = tmp_path / "out"
    run_pipeline(SEEDS, out, plugins=ONE_FILE_PER_DOC, disable=NLP_PLUGINS)
    version = (out / "tables").resolve()
    index = read_index(version)["tables"]
    for table in ("articles", "segments"):
        files = {p.name for p in (version / table).glob("*.parquet")}
        assert files == set(index[table]["files"])
        assert index[table]["schema"] == BASE_TABLES[table].to_string()
        assert sum(rows for rows, _ in index[table]["files"].values()) == read_table(out, table).num_rows
