"""Incremental enrich: the host keeps the enrich state a run leaves, tells each incremental plugin which
documents were added, removed and touched, and gives every plugin the whole corpus when it cannot."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from conftest import NLP_PLUGINS, rows, run_pipeline
from etl import Contract, Setting, hookimpl
from etl.manager import get_plugin_manager
from etl.model import doc_id_for
from etl.sources import source_uri

#: The built-in enrich plugins (and what they need) are left out: these tests look at the host alone.
BUILT_IN_ENRICH = ("copies", "dates", "event_links", "entity_links", "claim_clusters")
DISABLED = NLP_PLUGINS + BUILT_IN_ENRICH

FIRST_WORDS = pa.schema([("doc_id", pa.string()), ("word", pa.string()), ("sharing", pa.int64())])


class FirstWords:
    """Each document's first word, and how many documents share it: a new document can change an old
    one's row (`sharing`), which is what the host must tell the plugins that read this table."""

    def __init__(self) -> None:
        self.calls: list = []

    @hookimpl
    def etl_tables(self):
        return {"first_words": FIRST_WORDS}

    @hookimpl
    def etl_contract(self):
        return {"enrich": Contract(reads=("articles",), provides=("first_words",), incremental=True)}

    @hookimpl
    def etl_enrich(self, db, changes):
        self.calls.append(changes)
        which = "" if changes is None else "WHERE doc_id IN (SELECT doc_id FROM etl_changes WHERE change = 'added')"
        db.execute(f"INSERT INTO first_words (doc_id, word, sharing) "
                   f"SELECT doc_id, lower(split_part(trim(text), ' ', 1)), 0 FROM articles {which}")
        db.execute("""UPDATE first_words SET sharing = c.n
                      FROM (SELECT word, count(*) AS n FROM first_words GROUP BY word) c
                      WHERE first_words.word = c.word AND first_words.sharing IS DISTINCT FROM c.n""")


class Reader:
    """Reads what FirstWords provides and remembers what it was told."""

    def __init__(self, incremental: bool = True) -> None:
        self.incremental = incremental
        self.calls: list = []

    @hookimpl
    def etl_contract(self):
        return {"enrich": Contract(reads=("first_words",), incremental=self.incremental)}

    @hookimpl
    def etl_enrich(self, db, changes):
        self.calls.append(changes)


def manager(*plugins):
    pm = get_plugin_manager(load_entrypoints=False, disabled=DISABLED)
    for name, plugin in plugins:
        pm.register(plugin, name)
    return pm


def doc_of(path: Path) -> str:
    return doc_id_for(source_uri(path))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def first_words(out):
    return sorted((r["doc_id"], r["word"], r["sharing"]) for r in rows(out, "first_words"))


def test_a_run_after_an_addition_tells_each_plugin_what_was_added_and_what_it_touched(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    alpha = write(corpus, "a.txt", "Alpha troops entered the town on Monday.")
    write(corpus, "b.txt", "Beta officials denied the report.")
    words, reader = FirstWords(), Reader()
    out = tmp_path / "out"
    first = run_pipeline(corpus, out, pm=manager(("first_words", words), ("reader", reader)), disable=DISABLED)
    assert words.calls == [None] and reader.calls == [None]
    assert first.enrich["mode"] == "full" and "no enrich state" in first.enrich["why"]

    again = write(corpus, "c.txt", "Alpha units withdrew from the town on Tuesday.")
    second = run_pipeline(corpus, out, pm=manager(("first_words", words), ("reader", reader)), disable=DISABLED)

    assert second.enrich["mode"] == "incremental" and (second.enrich["added"], second.enrich["removed"]) == (1, 0)
    assert set(second.enrich["seconds"]) == {"first_words", "reader"}
    told = words.calls[-1]
    assert told.added == {doc_of(again)} and not told.removed and not told.touched
    # The old "Alpha" article now shares its first word: FirstWords changed its row, Reader is told.
    assert reader.calls[-1].touched == {doc_of(alpha)}
    scratch = tmp_path / "scratch"
    run_pipeline(corpus, scratch, pm=manager(("first_words", FirstWords()), ("reader", Reader())), disable=DISABLED)
    assert first_words(out) == first_words(scratch)
    assert {r[2] for r in first_words(out) if r[1] == "alpha"} == {2}


def test_changed_and_pruned_documents_are_removed_then_added_and_the_tables_match_a_fresh_run(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    changed = write(corpus, "a.txt", "Alpha troops entered the town.")
    gone = write(corpus, "b.txt", "Alpha officials denied the report.")
    write(corpus, "c.txt", "Gamma rays were measured.")
    words = FirstWords()
    out = tmp_path / "out"
    run_pipeline(corpus, out, pm=manager(("first_words", words)), disable=DISABLED)
    changed.write_text("Gamma troops entered the town.")
    gone.unlink()
    summary = run_pipeline(corpus, out, pm=manager(("first_words", words)), disable=DISABLED, prune=True)

    assert summary.enrich["mode"] == "incremental" and (summary.enrich["added"], summary.enrich["removed"]) == (1, 2)
    told = words.calls[-1]
    assert told.added == {doc_of(changed)} and told.removed == {doc_of(changed), doc_of(gone)}
    scratch = tmp_path / "scratch"
    run_pipeline(corpus, scratch, pm=manager(("first_words", FirstWords())), disable=DISABLED)
    assert first_words(out) == first_words(scratch)
    assert [r[1:] for r in first_words(out)] == [("gamma", 2), ("gamma", 2)]


def test_one_plugin_without_incremental_support_gives_every_plugin_the_whole_corpus(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    write(corpus, "a.txt", "Alpha troops entered the town.")
    words, legacy = FirstWords(), Reader(incremental=False)
    out = tmp_path / "out"
    run_pipeline(corpus, out, pm=manager(("first_words", words), ("legacy", legacy)), disable=DISABLED)
    write(corpus, "b.txt", "Alpha officials denied the report.")
    summary = run_pipeline(corpus, out, pm=manager(("first_words", words), ("legacy", legacy)), disable=DISABLED)

    assert words.calls == [None, None] and legacy.calls == [None, None]
    assert summary.enrich["mode"] == "full" and "'legacy' does not declare incremental" in summary.enrich["why"]
    assert [r[1:] for r in first_words(out)] == [("alpha", 2), ("alpha", 2)]
    assert not (out / ".etl" / "enrich").exists()


def test_after_a_plugin_fails_the_next_run_enriches_the_whole_corpus(tmp_path):
    class FailsOnce(Reader):
        @hookimpl
        def etl_enrich(self, db, changes):
            self.calls.append(changes)
            if len(self.calls) == 2:
                raise RuntimeError("flaky")

    corpus = tmp_path / "in"
    corpus.mkdir()
    write(corpus, "a.txt", "Alpha troops entered the town.")
    words, flaky = FirstWords(), FailsOnce()
    out = tmp_path / "out"
    for name in ("b.txt", "c.txt"):
        run_pipeline(corpus, out, pm=manager(("first_words", words), ("flaky", flaky)), disable=DISABLED)
        write(corpus, name, f"{name} is new.")
    third = run_pipeline(corpus, out, pm=manager(("first_words", words), ("flaky", flaky)), disable=DISABLED)

    assert flaky.calls[0] is None and flaky.calls[1].added and flaky.calls[2] is None
    assert third.enrich["mode"] == "full"
    assert len(first_words(out)) == 3


def test_a_changed_enrich_setting_makes_the_next_run_enrich_the_whole_corpus(tmp_path):
    class Tunable(FirstWords):
        @hookimpl
        def etl_settings(self):
            return {"lowercase": Setting(True, bool, "compare first words in lower case")}

    corpus = tmp_path / "in"
    corpus.mkdir()
    write(corpus, "a.txt", "Alpha troops entered the town.")
    words = Tunable()
    out = tmp_path / "out"
    run_pipeline(corpus, out, pm=manager(("first_words", words)), disable=DISABLED)
    write(corpus, "b.txt", "Beta officials denied the report.")
    summary = run_pipeline(corpus, out, pm=manager(("first_words", words)), disable=DISABLED,
                           plugins={"first_words": {"lowercase": False}})

    assert words.calls == [None, None]
    assert summary.enrich["mode"] == "full" and "settings" in summary.enrich["why"]


def test_a_moved_output_folder_or_a_changed_loader_setting_keeps_the_enrich_state(tmp_path):
    """What is published changes (the catalog names files by path; files are cut otherwise), what is
    enriched does not: the next run still enriches only what changed."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    write(corpus, "a.txt", "Alpha troops entered the town.")
    words = FirstWords()
    run_pipeline(corpus, tmp_path / "out", pm=manager(("first_words", words)), disable=DISABLED)
    shutil.move(tmp_path / "out", tmp_path / "moved")
    write(corpus, "b.txt", "Alpha officials denied the report.")
    summary = run_pipeline(corpus, tmp_path / "moved", pm=manager(("first_words", words)), disable=DISABLED,
                           plugins={"parquet": {"docs_per_file": 7}})

    assert summary.status == "completed" and summary.enrich["mode"] == "incremental"
    assert words.calls[1].added == {doc_of(corpus / "b.txt")}
    assert first_words(tmp_path / "moved") == sorted(
        [(doc_of(corpus / "a.txt"), "alpha", 2), (doc_of(corpus / "b.txt"), "alpha", 2)])


STORY = ("The regional council voted on Friday to close the old river bridge after engineers found deep cracks "
         "in two of its supports. Traffic will be diverted through the northern ring road for at least six "
         "months, the council said. Shop owners near the bridge warned that the closure would cost them "
         "customers, and a petition asking for a temporary crossing had gathered four thousand names by the "
         "evening. The engineers' report, published last week, said the supports had been weakened by years "
         "of flooding and that repairs could not begin before the water level falls in late spring.")


def dated(out):
    """Per input file: (published_at, its source, copy group, source of the copy), and the dates rows."""
    articles = rows(out, "articles")
    name = {a["doc_id"]: Path(a["source_uri"].split("#")[0]).name for a in articles}
    dates = sorted((name[r["doc_id"]], r["start"], r["value"], r["anchor"]) for r in rows(out, "dates"))
    return ({name[a["doc_id"]]: (a["published_at"], a["published_at_source"], name.get(a["dup_group"]),
                                 name.get(a["derived_from"])) for a in articles}, dates)


def test_an_undated_copy_takes_the_date_of_its_groups_new_source_as_a_fresh_run_would(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    write(corpus, "a.jsonl", json.dumps({"text": STORY, "published_at": "2024-03-08"}))
    write(corpus, "b.jsonl", json.dumps({"text": STORY.replace("six months", "half a year")}))
    out = tmp_path / "out"
    disabled = NLP_PLUGINS + ("event_links", "entity_links", "claim_clusters")
    run_pipeline(corpus, out, disable=disabled)
    assert dated(out)[0]["b.jsonl"][:2] == (datetime(2024, 3, 8, tzinfo=timezone.utc), "group")

    earlier = write(corpus, "c.jsonl", json.dumps({"text": STORY + " Repairs were promised.",
                                                   "published_at": "2024-03-01"}))
    summary = run_pipeline(corpus, out, disable=disabled)
    scratch = tmp_path / "scratch"
    run_pipeline(corpus, scratch, disable=disabled)

    assert summary.enrich["mode"] == "incremental" and (summary.enrich["added"], summary.enrich["removed"]) == (1, 0)
    assert dated(out) == dated(scratch)
    # The new, earlier report is the group's source: the undated copy now takes its date.
    assert dated(out)[0]["b.jsonl"][:2] == (datetime(2024, 3, 1, tzinfo=timezone.utc), "group")
    assert dated(out)[0]["b.jsonl"][3] == "c.jsonl"

    earlier.unlink()
    run_pipeline(corpus, out, disable=disabled, prune=True)
    shutil.rmtree(scratch)
    run_pipeline(corpus, scratch, disable=disabled)
    assert dated(out) == dated(scratch)
    assert dated(out)[0]["b.jsonl"][:2] == (datetime(2024, 3, 8, tzinfo=timezone.utc), "group")
