"""Declared needs and provisions: the order they give each stage, the runs they refuse, and the failure
rule that follows from them (a plugin's failure costs only its own rows, and those of who needs them).

Plugins are classes defined here, registered on a fresh manager; spaCy stays off unless a test needs it.
"""

from __future__ import annotations

import time

import duckdb
import pytest
from click.testing import CliRunner

from conftest import SEEDS, read_table, rows, run_pipeline
from etl import Contract, hookimpl
from etl.cli import cli
from etl.config import Config
from etl.errors import ContractError
from etl.manager import get_plugin_manager
from etl.pipeline import Pipeline

NO_NLP = {"extract": ()}


def manager(*plugins):
    pm = get_plugin_manager(load_entrypoints=False)
    for name, plugin in plugins:
        pm.register(plugin, name)
    return pm


class Reach:
    """The example of docs/plugins.md: how many articles mention each linked entity."""

    seen_ids: list = []

    @hookimpl
    def etl_contract(self):
        return {"enrich": Contract(needs=["entities.entity_id"], provides=["entity_reach"])}

    @hookimpl
    def etl_tables(self):
        import pyarrow as pa

        return {"entity_reach": pa.schema([("entity_id", pa.string()), ("articles", pa.int64())])}

    @hookimpl
    def etl_enrich(self, db):
        db.execute("""INSERT INTO entity_reach
                      SELECT NULL AS doc_id, entity_id, count(DISTINCT doc_id), NULL AS run_id
                      FROM entities WHERE entity_id IS NOT NULL GROUP BY entity_id""")


# --- ordering and refusal -----------------------------------------------------------------------------


def test_an_enrich_plugin_needing_a_column_nobody_provides_is_refused_before_the_run(tmp_path):
    class Lonely:
        @hookimpl
        def etl_contract(self):
            return {"enrich": {"needs": ["entities.salience"]}}

        @hookimpl
        def etl_enrich(self, db):
            raise AssertionError("must never run")

    out = tmp_path / "out"
    with pytest.raises(ContractError, match=r"plugin 'lonely' needs 'entities.salience' in enrich, which no "
                                            r"installed plugin provides"):
        run_pipeline(SEEDS, out, pm=manager(("lonely", Lonely())), stages=NO_NLP)
    assert not (out / "tables").exists(), "nothing ran, nothing was published"


def test_a_needed_provider_that_is_disabled_is_the_same_error_naming_it():
    pm = manager(("reach", Reach()))
    with pytest.raises(ContractError, match=r"'reach' needs 'entities.entity_id' in enrich, which no enabled "
                                            r"plugin provides; 'entity_links' would, but is disabled"):
        Pipeline(pm, Config(disable=("entity_links",)))


def test_a_reversed_enrich_order_is_refused_naming_plugin_need_and_provider():
    reversed_order = ("claim_clusters", "dates", "copies", "figures", "entity_links")
    with pytest.raises(ContractError) as refused:
        Pipeline(get_plugin_manager(load_entrypoints=False), Config(stages={"enrich": reversed_order}))
    message = str(refused.value)
    assert "plugin 'claim_clusters' reads 'entities.entity_id' in enrich, which 'entity_links' provides after it" \
        in message
    assert "put 'entity_links' before 'claim_clusters'" in message


def test_without_a_stage_list_providers_come_first_whatever_the_registration_order():
    class Consumer:
        @hookimpl
        def etl_contract(self):
            return {"clean": Contract(needs=["tidy_titles"])}

        @hookimpl(tryfirst=True)
        def etl_clean(self, documents):
            pass

    class Provider:
        @hookimpl
        def etl_contract(self):
            return {"clean": Contract(provides=["tidy_titles"])}

        @hookimpl
        def etl_clean(self, documents):
            pass

    pipeline = Pipeline(manager(("consumer", Consumer()), ("provider", Provider())), Config())
    clean = [s.plugin for s in pipeline.plans["clean"]]
    assert clean.index("provider") < clean.index("consumer")
    enrich = [s.plugin for s in pipeline.plans["enrich"]]
    assert enrich.index("copies") < enrich.index("dates"), "dates reads the copy groups"
    assert enrich.index("entity_links") < enrich.index("figures"), "figures reads the entity ids"
    with pytest.raises(ContractError, match="'consumer' needs 'tidy_titles' in clean, which 'provider' provides "
                                            "after it"):
        Pipeline(pipeline.pm, Config(stages={"clean": ("consumer", "provider")}))


def test_a_column_has_one_writer():
    class Rival:
        @hookimpl
        def etl_contract(self):
            return {"enrich": Contract(provides=["entities.entity_id"])}

        @hookimpl
        def etl_enrich(self, db):
            pass

    with pytest.raises(ContractError, match="column 'entities.entity_id' is written by both 'entity_links' and "
                                            "'rival'"):
        Pipeline(manager(("rival", Rival())), Config())


def test_the_documented_third_party_plugin_runs_after_the_linker_and_sees_its_ids(tmp_path):
    out = tmp_path / "out"
    run_pipeline(SEEDS, out, pm=manager(("reach", Reach())))
    reach = {r["entity_id"]: r["articles"] for r in rows(out, "entity_reach")}
    siversk = {e["entity_id"] for e in rows(out, "entities") if e["canonical_name"] == "Siversk"}
    assert len(siversk) == 1 and reach[siversk.pop()] == 5


def test_etl_plugins_shows_needs_and_provisions(monkeypatch, tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "lonely.py").write_text(
        "from etl import Contract, hookimpl\n\n"
        "@hookimpl\ndef etl_contract():\n    return {'enrich': Contract(needs=['entities.salience'])}\n\n"
        "@hookimpl\ndef etl_enrich(db):\n    pass\n")
    result = CliRunner().invoke(cli, ["plugins", "--plugins-dir", str(folder)])
    assert result.exit_code == 0
    assert "enrich: needs entities.salience" in result.output
    assert "this set of plugins cannot run: plugin 'lonely' needs 'entities.salience'" in result.output
    assert "spacy" in result.output and "extract: provides nlp, sentences, dependency_parse" in result.output


# --- the failure rule ---------------------------------------------------------------------------------


class Tagger:
    """Provides `colour` rows; fails on the document that mentions Pohorilyi."""

    @hookimpl
    def etl_contract(self):
        return {"extract": Contract(provides=["colour"])}

    @hookimpl
    def etl_tables(self):
        import pyarrow as pa

        return {"colour": pa.schema([("word", pa.string()), ("plugin", pa.string())]),
                "shade": pa.schema([("word", pa.string()), ("plugin", pa.string())])}

    @hookimpl
    def etl_extract(self, documents):
        for doc in documents:
            doc.add("colour", word=doc.text.split()[0])
            if "Pohorilyi" in doc.text:
                raise RuntimeError("the tagger cannot read Pohorilyi")


class Shader:
    """Needs what the tagger provides."""

    @hookimpl
    def etl_contract(self):
        return {"extract": Contract(needs=["colour"], provides=["shade"])}

    @hookimpl
    def etl_extract(self, documents):
        for doc in documents:
            for row in doc.records["colour"]:
                doc.add("shade", word=row["word"].lower())


def test_plugins_needing_a_failed_plugin_are_skipped_for_that_document_only(tmp_path):
    out = tmp_path / "out"
    summary = run_pipeline(SEEDS, out, pm=manager(("tagger", Tagger()), ("shader", Shader())))
    errors = {(e["plugin"], e["error_type"]): e for e in rows(out, "errors")}
    assert set(errors) == {("tagger", "RuntimeError"), ("shader", "NeedNotMet")}
    failed = errors[("tagger", "RuntimeError")]["doc_id"]
    assert errors[("shader", "NeedNotMet")]["doc_id"] == failed
    assert "needs 'colour', which plugin 'tagger' failed to provide" in errors[("shader", "NeedNotMet")]["message"]
    assert {r["doc_id"] for r in rows(out, "colour")} == {r["doc_id"] for r in rows(out, "shade")}
    assert failed not in {r["doc_id"] for r in rows(out, "shade")} and len(rows(out, "shade")) == 4
    assert len(rows(out, "articles")) == 5 and failed in {e["doc_id"] for e in rows(out, "entities")}
    assert summary.documents["partial"] == 1 and summary.broken_plugins == []


def test_a_clean_plugin_that_fails_leaves_the_document_as_it_was_and_it_goes_on(tmp_path):
    class Shouter:
        @hookimpl
        def etl_clean(self, documents):
            for doc in documents:
                for segment in doc.segments:
                    segment.text = segment.text.upper()
                if "Butolin" in doc.segments[-1].text.title() or any("BUTOLIN" in s.text for s in doc.segments):
                    raise ValueError("no shouting at Butolin")

    out = tmp_path / "out"
    run_pipeline(SEEDS, out, pm=manager(("shouter", Shouter())), stages=NO_NLP)
    (error,) = rows(out, "errors")
    assert (error["stage"], error["plugin"]) == ("clean", "shouter")
    articles = {a["doc_id"]: a["text"] for a in rows(out, "articles")}
    assert len(articles) == 5 and "Butolin" in articles[error["doc_id"]], "its text as before the failed call"
    assert all(text.isupper() for doc_id, text in articles.items() if doc_id != error["doc_id"])


def test_rows_for_a_table_the_host_fills_cost_only_the_plugin_that_added_them(tmp_path):
    class Meddler:
        @hookimpl
        def etl_extract(self, documents):
            for doc in documents:
                doc.add("articles", doc_id=doc.doc_id, title="meddled")
                doc.add("sentences", sentence=0, start=0, end=1)

    out = tmp_path / "out"
    summary = run_pipeline(SEEDS, out, pm=manager(("meddler", Meddler())), stages={"extract": ("meddler",)})
    errors = rows(out, "errors")
    assert len(errors) == 5 and {(e["plugin"], e["error_type"]) for e in errors} == {("meddler", "SchemaError")}
    assert "'articles'" in errors[0]["message"]
    assert summary.documents["new"] == 5 and "meddled" not in {a["title"] for a in rows(out, "articles")}
    assert rows(out, "sentences") == [], "the plugin's other rows of those documents went with them"


def test_a_plugin_failing_on_most_documents_is_called_broken_in_the_summary(tmp_path):
    class Broken:
        @hookimpl
        def etl_extract(self, documents):
            raise KeyError("a bug, not bad input")

    summary = run_pipeline(SEEDS, tmp_path / "out", pm=manager(("broken", Broken())), stages={"extract": ("broken",)})
    assert summary.broken_plugins == [{"stage": "extract", "plugin": "broken", "documents": 5, "of": 5}]
    assert any("'broken' failed on 5 of the 5 documents" in w and "broken plugin" in w for w in summary.warnings)
    assert summary.as_dict()["broken_plugins"] == summary.broken_plugins


class Vandal:
    """Rewrites titles (which it did not declare) and then fails."""

    @hookimpl
    def etl_contract(self):
        return {"enrich": Contract(provides=["vandalism"])}

    @hookimpl
    def etl_enrich(self, db):
        db.execute("UPDATE articles SET title = 'VANDALISED'")
        db.execute("DELETE FROM entities")
        raise RuntimeError("half way through")


class Follower:
    @hookimpl
    def etl_contract(self):
        return {"enrich": Contract(needs=["vandalism"])}

    @hookimpl
    def etl_enrich(self, db):
        raise AssertionError("must be skipped: what it needs failed")


def test_an_enrich_plugin_that_raises_is_rolled_back_and_the_run_publishes(tmp_path):
    out = tmp_path / "out"
    summary = run_pipeline(SEEDS, out, pm=manager(("vandal", Vandal()), ("follower", Follower())),
                           stages={"extract": ("spacy", "entities")})
    assert "VANDALISED" not in {a["title"] for a in rows(out, "articles")}
    assert read_table(out, "entities").num_rows > 100, "the deleted rows are back: rolled back whole"
    errors = {e["plugin"]: e for e in rows(out, "errors")}
    assert errors["vandal"]["stage"] == "enrich" and errors["vandal"]["error_type"] == "RuntimeError"
    assert errors["follower"]["error_type"] == "NeedNotMet"
    assert any("'vandal' failed" in w for w in summary.warnings)


def test_an_enrich_plugin_changing_a_table_outside_its_contract_is_rolled_back(tmp_path):
    class Sneaky:
        @hookimpl
        def etl_enrich(self, db):
            db.execute("DELETE FROM segments WHERE label <> 'body'")

    out = tmp_path / "out"
    run_pipeline(SEEDS, out, pm=manager(("sneaky", Sneaky())), stages=NO_NLP)
    (error,) = rows(out, "errors")
    assert error["plugin"] == "sneaky" and "changed the rows of table 'segments'" in error["message"]
    assert any(s["label"] != "body" for s in rows(out, "segments"))


def test_services_are_offered_by_name_to_plugins_that_need_them(tmp_path):
    calls = []

    class Offers:
        @hookimpl
        def etl_contract(self):
            return {"extract": Contract(provides=["shout"])}

        @hookimpl
        def etl_services(self, config):
            calls.append("built")
            return {"shout": lambda text: text.upper() + "!"}

        @hookimpl
        def etl_extract(self, documents):
            pass

    class Uses:
        @hookimpl
        def etl_contract(self):
            return {"extract": Contract(needs=["shout"])}

        @hookimpl
        def etl_extract(self, documents, run):
            for doc in documents:
                doc.title = run.service("shout")(doc.text.split()[0])

    out = tmp_path / "out"
    run_pipeline(SEEDS, out, pm=manager(("offers", Offers()), ("uses", Uses())),
                 stages={"extract": ("offers", "uses")}, batch_size=2)
    assert calls == ["built"], "built once per process, not per batch"
    assert all(a["title"].endswith("!") and a["title"].isupper() for a in rows(out, "articles"))


# --- time ---------------------------------------------------------------------------------------------


def test_a_document_over_the_time_limit_is_charged_and_the_run_goes_on(tmp_path):
    class Stuck:
        @hookimpl
        def etl_extract(self, documents):
            for doc in documents:
                if "Pohorilyi" in doc.text:
                    try:
                        while True:  # a plugin that also swallows exceptions cannot escape the limit
                            time.sleep(0.05)
                    except Exception:
                        pass
                doc.add("sentences", sentence=0, start=0, end=1)

    out = tmp_path / "out"
    run_pipeline(SEEDS, out, pm=manager(("stuck", Stuck())), stages={"extract": ("stuck",)}, document_timeout=1.0)
    (error,) = rows(out, "errors")
    assert (error["plugin"], error["error_type"]) == ("stuck", "DocumentTimeout")
    assert "document_timeout = 1 s" in error["message"]
    assert len(rows(out, "articles")) == 5 and len(rows(out, "sentences")) == 4


def test_a_parser_that_hangs_on_one_file_costs_that_file(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "fine.txt").write_text("A fine day\n\nThe harbour reopened on Monday.\n")
    (corpus / "hang.slow").write_text("never parsed")

    class Slow:
        @hookimpl(tryfirst=True)
        def etl_parse(self, source):
            if source.path.suffix != ".slow":
                return None
            time.sleep(30)
            return [source.document(text="late")]

    out = tmp_path / "out"
    started = time.monotonic()
    run_pipeline(corpus, out, pm=manager(("slow", Slow())), stages=NO_NLP, document_timeout=1.0)
    assert time.monotonic() - started < 25, "the hanging parse was interrupted, not waited for"
    (error,) = rows(out, "errors")
    assert (error["stage"], error["plugin"], error["error_type"]) == ("parse", "slow", "DocumentTimeout")
    assert [a["title"] for a in rows(out, "articles")] == ["A fine day"]


@pytest.mark.slow
def test_the_same_rule_holds_in_worker_processes(tmp_path):
    """Plugins from a plugins folder (worker processes rebuild them): a failing one costs its rows only."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "tagger.py").write_text(
        "import pyarrow as pa\nfrom etl import Contract, hookimpl\n\n"
        "@hookimpl\ndef etl_contract():\n    return {'extract': Contract(provides=['colour'])}\n\n"
        "@hookimpl\ndef etl_tables():\n    return {'colour': pa.schema([('word', pa.string())])}\n\n"
        "@hookimpl\ndef etl_extract(documents):\n    for doc in documents:\n"
        "        doc.add('colour', word=doc.text.split()[0])\n"
        "        if 'Pohorilyi' in doc.text:\n            raise RuntimeError('no')\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for index in range(3):
        for path in SEEDS.glob("*.txt"):
            (corpus / f"{index}_{path.name}").write_bytes(path.read_bytes())
    out = tmp_path / "out"
    summary = run_pipeline(corpus, out, workers=2, batch_size=2, plugins_dir=(str(folder),),
                           stages={"extract": ("tagger",)})
    errors = rows(out, "errors")
    assert len(errors) == 3 and {e["plugin"] for e in errors} == {"tagger"}
    assert summary.documents["new"] == 15 and summary.documents["partial"] == 3
    assert len(rows(out, "colour")) == 12
    with duckdb.connect(str(out / "etl.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 15
