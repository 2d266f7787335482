"""Events: one row per event mention with polarity, modality and arguments; one `event_id` per real-world
event across documents; propositions and contradictions built on them.

Texts here are written for the tests (the seeds are the only corpus read as it is).
"""

from __future__ import annotations

import pytest

import etl_plugins.entities.plugin as entities
import etl_plugins.spacy.plugin as spacy_nlp
from conftest import rows, run_pipeline
from etl.model import mention_id_for
from etl_plugins.events.mentions import document_events


@pytest.fixture(scope="module")
def nlp():
    return spacy_nlp.load_model(spacy_nlp.DEFAULT_MODEL, ("parser",))


def events_of(nlp, text):
    parsed = nlp(text)
    starts = [s.start_char for s in parsed.sents]
    mentions = []
    for m in entities.document_mentions(parsed):
        sentence = max(i for i, start in enumerate(starts) if start <= m.start)
        mentions.append({"start": m.start, "end": m.end, "text": text[m.start:m.end], "label": m.label,
                         "form": m.form, "sentence": sentence, "mention_id": mention_id_for("d", m.start, m.end)})
    return {e.text: e for e in document_events(parsed, mentions, [])}


@pytest.mark.parametrize("text, trigger, polarity, modality", [
    ("Russian forces did not capture the town.", "capture", "negative", "asserted"),
    ("Russian forces captured the town on Monday.", "captured", "positive", "asserted"),
    ("The town could fall within days, officials warned.", "fall", "positive", "hedged"),
    ("The army is expected to launch an offensive next week.", "launch", "positive", "future"),
    ("Ukraine vowed to reclaim the lost territory.", "reclaim", "positive", "goal"),
    ("If the talks fail, the army would attack the port.", "attack", "positive", "conditional"),
    ("The army will attack the port at dawn.", "attack", "positive", "future"),
    ("There was no attack on the port.", "attack", "negative", "asserted"),
    ("Officials spoke of the threat of an invasion.", "invasion", "positive", "hedged"),
])
def test_polarity_and_modality_of_a_mention(nlp, text, trigger, polarity, modality):
    event = events_of(nlp, text)[trigger]
    assert (event.polarity, event.modality) == (polarity, modality)


def test_verbal_and_nominal_triggers_with_their_arguments(nlp):
    found = events_of(nlp, "Rebel fighters seized Mosul on Tuesday after a long siege. The earthquake "
                           "destroyed homes in Mostar. The fall of Mosul surprised analysts.")
    assert found["seized"].kind == "verbal" and found["seized"].event_class == "capture"
    assert found["seized"].patient["text"] == "Mosul"
    assert found["siege"].kind == "nominal" and found["earthquake"].event_class == "quake"
    assert found["destroyed"].place["text"] == "Mostar"
    assert found["fall"].event_class == "capture" and found["fall"].patient["text"] == "Mosul"
    assert "Tuesday" not in found and "long" not in found


def test_a_nationality_adjective_is_no_place(nlp):
    found = events_of(nlp, "A drone attack in Ukrainian territory killed two people. "
                           "The shelling hit Ukrainian positions in Bravik.")
    assert found["attack"].place is None  # "in Ukrainian territory" names no place
    assert found["shelling"].place["text"] == "Bravik"


def test_a_fall_of_prices_is_not_a_capture(nlp):
    found = events_of(nlp, "Shares fell 3% in London as oil prices fell.")
    assert {found["fell"].event_class} == {"drop"}


# --- across documents ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stories(tmp_path_factory):
    """Two stories of the same kinds of event: two earthquakes and two captures, reported twice each."""
    folder = tmp_path_factory.mktemp("stories") / "corpus"
    folder.mkdir()
    texts = {
        "quake_a1.txt": "A powerful earthquake struck the Chilean coast on 3 March 2024, killing 40 people in "
                        "the port city of Valparaiso. Rescuers searched the rubble of Valparaiso through the night.",
        "quake_a2.txt": "Rescue teams in Valparaiso pulled survivors from collapsed buildings after the 3 March 2024 "
                        "earthquake, which killed at least 40 people along the Chilean coast.",
        "quake_b1.txt": "An earthquake shook the mountain town of Hakodate in Japan on 19 August 2024. Two "
                        "people were injured and a bridge near Hakodate collapsed, officials in Japan said.",
        "quake_b2.txt": "Engineers inspected the bridge near Hakodate, Japan, after the 19 August 2024 earthquake "
                        "injured two residents of the mountain town.",
        "capture_1.txt": "Northern troops captured Mosul on Friday after weeks of shelling, the northern "
                         "command said. The army also seized Tikrit, a river port east of Mosul.",
        "capture_2.txt": "The northern command announced that its troops had taken Mosul. The fall of the "
                         "city followed weeks of shelling. Northern units also captured Tikrit.",
    }
    for name, text in texts.items():
        (folder / name).write_text(text)
    out = folder.parent / "out"
    run_pipeline(folder, out)
    by_doc = {a["doc_id"]: a["source_uri"].rsplit("/", 1)[1] for a in rows(out, "articles")}
    found: dict[tuple[str, str], set] = {}
    for row in rows(out, "events"):
        found.setdefault((by_doc[row["doc_id"]], row["text"]), set()).add(row["event_id"])
    return found


def the_id(stories, name, trigger):
    (event_id,) = stories[(name, trigger)]
    return event_id


def test_mentions_of_one_event_share_an_id_across_documents_however_worded(stories):
    assert the_id(stories, "quake_a1.txt", "earthquake") == the_id(stories, "quake_a2.txt", "earthquake")
    dravik = the_id(stories, "capture_1.txt", "captured")
    assert the_id(stories, "capture_2.txt", "taken") == dravik
    assert the_id(stories, "capture_2.txt", "fall") == dravik, "'the fall of the city' is the capture of Mosul"


def test_two_events_of_one_kind_stay_apart(stories):
    assert the_id(stories, "quake_a1.txt", "earthquake") != the_id(stories, "quake_b1.txt", "earthquake"), \
        "two earthquakes, months and countries apart"
    dravik = the_id(stories, "capture_1.txt", "captured")
    assert the_id(stories, "capture_1.txt", "seized") != dravik, "the capture of Tikrit is another event"
    assert the_id(stories, "capture_2.txt", "captured") == the_id(stories, "capture_1.txt", "seized")


# --- propositions on the seeds --------------------------------------------------------------------------


def test_the_seeds_dispute_siversk_and_pokrovsk_and_nothing_a_speaker_said_twice(seeds_out):
    disputes = rows_of(seeds_out, "SELECT * FROM contradictions")
    siversk = disputes[0]
    assert "Siversk" in siversk["representative"]
    pokrovsk = [d for d in disputes if "Pokrovsk" in d["representative"]]
    assert pokrovsk and "Kyiv" in pokrovsk[0]["denied_by"]
    assert any("Moscow" in s or "Russia" in s for s in pokrovsk[0]["asserted_by"])
    for dispute in disputes:
        assert set(dispute["asserted_by"]) != set(dispute["denied_by"])
    assert pokrovsk[0]["event_id"] != siversk["event_id"]


def test_a_rewrite_states_its_source_s_claims_in_other_words_and_they_meet(seeds_out):
    claims = rows(seeds_out, "claims")
    ready = [c for c in claims if "ready to fight on" in c["content"]]
    prepared = [c for c in claims if "prepared to continue" in c["content"]]
    assert ready and prepared and ready[0]["cluster_id"] == prepared[0]["cluster_id"]


def test_a_statement_of_the_opposite_denies_the_event(seeds_out):
    claims = rows(seeds_out, "claims")
    capture = next(c for c in claims if "Moscow's forces had captured Siversk" in c["content"])
    holds = [c for c in claims if "remains under the control" in c["content"]]
    assert holds and all(c["event_id"] == capture["event_id"] and c["stance"] == "deny" for c in holds)
    ongoing = [c for c in claims if c["speaker"] == "Kyiv" and "fighting" in c["content"]]
    assert ongoing and all(c["stance"] == "deny" and c["event_id"] != capture["event_id"] for c in ongoing)


def test_one_speaker_asserting_and_denying_is_no_contradiction(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "Harbour news\n\nThe mayor said the council had closed the harbour. Later the mayor denied that the "
        "council had closed the harbour.\n")
    (corpus / "b.txt").write_text(
        "Harbour dispute\n\nThe union said the council closed the harbour on Monday. The council denied that it "
        "closed the harbour.\n")
    out = tmp_path / "out"
    run_pipeline(corpus, out)
    disputes = rows_of(out, "SELECT * FROM contradictions")
    assert len(disputes) == 1, disputes
    assert {s.lower() for s in disputes[0]["denied_by"]} >= {"the council"}


def rows_of(out, sql):
    import duckdb

    with duckdb.connect(str(out / "etl.duckdb"), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
