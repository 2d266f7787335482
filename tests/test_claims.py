"""The claims plugin: attributed statements on the seeds and on made-up tricky sentences, run through the
real pipeline (claims is a built-in that runs after spacy and entities)."""

from __future__ import annotations

import json
from datetime import date

import pytest

import etl_plugins.claims.attribution as attr
import etl_plugins.claims.plugin as claims
from conftest import rows, run_pipeline


def published(out):
    """Claims, each with its article's file name, its text and the entity mention of its speaker."""
    articles = {a["doc_id"]: a for a in rows(out, "articles")}
    mentions = {m["mention_id"]: m for m in rows(out, "entities")}
    result = []
    for claim in rows(out, "claims"):
        article = articles[claim["doc_id"]]
        mention = mentions.get(claim["speaker_mention_id"])
        result.append(dict(claim, file=article["source_uri"].rsplit("/", 1)[-1], text=article["text"],
                           mention_text=mention["text"] if mention else None))
    return sorted(result, key=lambda c: (c["file"], c["cue_start"]))


@pytest.fixture(scope="module")
def seed_claims(seeds_out):
    return published(seeds_out)


def find(found, file_prefix, speaker=None, content=None, cue=None):
    matches = [c for c in found if c["file"].startswith(file_prefix)
               and (speaker is None or speaker in (c["speaker"] or ""))
               and (content is None or content in c["content"])
               and (cue is None or c["cue"] == cue)]
    assert matches, f"no claim in {file_prefix} by {speaker!r} with {content!r}: " + "; ".join(
        f"{c['speaker']!r} {c['cue']} {c['content'][:60]!r}" for c in found if c["file"].startswith(file_prefix))
    return matches[0]


# --- the seeds ---------------------------------------------------------------------------------------


def test_rows_point_at_their_text(seed_claims):
    assert len(seed_claims) >= 40
    assert len({c["claim_id"] for c in seed_claims}) == len(seed_claims)
    for c in seed_claims:
        assert c["text"][c["start"]:c["end"]] == c["content"]
        assert c["text"][c["cue_start"]:c["cue_end"]].lower().startswith(c["cue"][:3]) or c["cue"] in (
            "say", "tell", "add")  # irregular forms: said, told
        assert c["sentence_start"] <= c["sentence_end"]
        assert c["stance"] in ("assert", "deny") and c["quote"] in ("direct", "indirect", "mixed")
        assert c["plugin"] == "claims" and c["cluster_id"]


def test_gerasimov_reports_the_capture(seed_claims):
    c = find(seed_claims, "004", speaker="Gerasimov", content="captured Siversk")
    assert (c["cue"], c["stance"], c["quote"]) == ("say", "assert", "indirect")
    assert c["content"].startswith("Moscow's forces had captured Siversk")
    assert c["mention_text"] == "Valery Gerasimov"
    assert c["claim_date"] == date(2025, 12, 11)  # no date in the sentence: the publication date
    assert c["claim_date_granularity"] == "day"


def test_eastern_command_denies_in_two_reports(seed_claims):
    refuted = find(seed_claims, "002", speaker="eastern command", cue="refute")
    assert refuted["stance"] == "deny" and "capturing Siversk" in refuted["content"]
    denied = find(seed_claims, "004", speaker="eastern command", cue="deny")
    assert denied["speaker"] == "The Ukrainian army's eastern command"
    assert denied["stance"] == "deny" and "taken Siversk" in denied["content"]
    # the reason given is a denial too, though its verb is "saying"
    saying = find(seed_claims, "004", speaker="eastern command", cue="say")
    assert saying["stance"] == "deny" and saying["quote"] == "mixed"
    assert "remains under the control" in saying["content"]


def test_putin_quote_in_angle_and_straight_marks(seed_claims):
    angle = find(seed_claims, "002", speaker="Putin", content="confidently advancing")
    assert "«confidently advancing across the entire front,»" in angle["content"]
    assert angle["quote"] == "mixed" and angle["stance"] == "assert"
    straight = find(seed_claims, "004", speaker="Putin", content="confidently advancing")
    assert straight["cue"] == "say" and straight["cue_start"] > straight["end"] - 2  # `..." Putin said,`
    assert straight["content"].startswith("The Russian army in Ukraine is")
    assert straight["mention_text"] == "Putin"


def test_pohorilyi_multi_sentence_quote_resolves_he(seed_claims):
    said = find(seed_claims, "003", content="Everything began with enemy units")
    assert said["speaker"] == "Roman Pohorilyi" and said["mention_text"] == "Roman Pohorilyi"
    assert said["quote"] == "direct" and said["cue"] == "say"
    assert said["content"].startswith("Everything began") and said["content"].endswith("entering the city itself")
    assert said["sentence_end"] - said["sentence_start"] >= 2
    explained = find(seed_claims, "003", content="The Bakhmutka River has become a major obstacle")
    assert explained["cue"] == "explain" and explained["speaker"] == "Pohorilyi"
    assert explained["mention_text"] == "Pohorilyi" and explained["quote"] == "direct"


def test_butolin_denies_full_control(seed_claims):
    c = find(seed_claims, "003", speaker="Butolin", content="talking about full control of the city is impossible")
    assert c["stance"] == "deny" and c["mention_text"] == "Maksym Butolin"
    # "On Dec. 14, Butolin said ...": the statement's own day, not the publication day
    assert (c["claim_date"], c["claim_date_granularity"]) == (date(2025, 12, 14), "day")


def test_authorities_dismiss_as_propaganda(seed_claims):
    c = find(seed_claims, "000", speaker="Ukrainian authorities", cue="dismiss")
    assert c["stance"] == "deny" and "propaganda" in c["content"]


def test_it_added_resolves_to_the_eastern_command(seed_claims):
    c = find(seed_claims, "004", cue="add")
    assert c["speaker"] == "The Ukrainian army's eastern command"
    assert c["quote"] == "direct" and c["content"].startswith("The enemy is trying to infiltrate Siversk")
    stated = find(seed_claims, "002", cue="state")  # "In a Facebook post, it stated, «...»"
    assert stated["speaker"] == "The Ukrainian eastern command" and stated["quote"] == "direct"
    assert stated["content"].startswith("The enemy is attempting")


def test_brigade_quote_with_speaker_after(seed_claims):
    c = find(seed_claims, "003", speaker="the brigade", content="Siversk remains under constant enemy pressure")
    assert c["cue"] == "say" and c["quote"] == "direct" and c["content"].endswith("the same way every time")


# --- made-up sentences ---------------------------------------------------------------------------------


@pytest.fixture
def claims_of(tmp_path):
    counter = iter(range(1000))

    def run(text):
        n = next(counter)
        folder = tmp_path / f"in{n}"
        folder.mkdir()
        (folder / "story.txt").write_text(text, encoding="utf-8")
        out = tmp_path / f"out{n}"
        run_pipeline(folder, out)
        assert not rows(out, "errors")
        return published(out)

    return run


@pytest.fixture
def dated_claims_of(tmp_path):
    """Claims of texts published on 2025-12-11 (one JSON Lines record per text)."""
    counter = iter(range(1000))

    def run(*texts):
        n = next(counter)
        folder = tmp_path / f"dated{n}"
        folder.mkdir()
        records = [json.dumps({"text": t, "published_at": "2025-12-11T09:00:00Z"}) for t in texts]
        (folder / "stories.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
        out = tmp_path / f"dated_out{n}"
        run_pipeline(folder, out)
        assert not rows(out, "errors")
        return published(out)

    return run


def test_statement_dates_come_from_the_frame_not_the_content(dated_claims_of):
    found = dated_claims_of(
        "The governor said last month his crews were clearing the northern roads.",
        "The water board earlier this month said it had repaired the main pipe.",
        "The mayor said on Dec. 9 that the bridge had reopened on Dec. 2.",
        "The port authority said the ferry service resumed on Dec. 4.",
        "In November, the airline announced that it would cut ten routes.",
        "The union said last week that talks had stalled.",
    )
    said = {c["speaker"]: (c["claim_date"], c["claim_date_granularity"]) for c in found}
    assert said["The governor"] == (date(2025, 11, 1), "month")
    assert said["The water board"] == (date(2025, 12, 1), "month")  # "earlier this month": this month
    assert said["The mayor"] == (date(2025, 12, 9), "day")  # Dec. 2 is when the bridge reopened
    assert said["The port authority"] == (date(2025, 12, 11), "day")  # the only date is the event's
    assert said["the airline"] == (date(2025, 11, 1), "month")
    assert said["The union"] == (date(2025, 12, 1), "week")  # the Monday of last week


def test_multi_sentence_quote_with_inverted_speaker(claims_of):
    found = claims_of('Flood defences in Westmoor held overnight.\n\n'
                      '“We stacked sandbags until dawn. Nobody slept. We will do it again tonight if the river '
                      'rises,” said Mr Wellington, the volunteer coordinator.')
    [c] = found
    assert c["speaker"] == "Mr Wellington" and c["cue"] == "say" and c["quote"] == "direct"
    assert c["content"] == ("We stacked sandbags until dawn. Nobody slept. We will do it again tonight if the "
                            "river rises")
    assert c["sentence_end"] - c["sentence_start"] == 2  # three sentences


def test_odd_quote_marks_do_not_swallow_the_document(claims_of):
    text = ('The mayor said the "harbour was closed to ferries until further notice.\n\n'
            'Separately, the council approved the budget for the new library.\n\n'
            '"It is a good day for readers," the treasurer said.')
    found = claims_of(text)
    mayor = find(found, "story", speaker="The mayor")
    assert "council" not in mayor["content"] and mayor["end"] < text.index("Separately")
    treasurer = find(found, "story", speaker="the treasurer")
    assert treasurer["content"] == "It is a good day for readers" and treasurer["quote"] == "direct"


def test_nested_quotes_stay_inside_the_outer_quote(claims_of):
    found = claims_of('“He kept answering "not now" to every caller,” Ms Okafor told reporters on Friday.')
    [c] = found
    assert c["content"] == 'He kept answering "not now" to every caller'
    assert c["speaker"] == "Ms Okafor" and c["cue"] == "tell" and c["quote"] == "direct"


def test_according_to_at_start_and_end(claims_of):
    found = claims_of('According to the port authority, three freighters were turned away on Monday.\n\n'
                      'Two more ferries were cancelled on Tuesday, according to the operator Baltic Lines.')
    start = find(found, "story", speaker="the port authority")
    assert start["cue"] == "according to" and start["content"] == "three freighters were turned away on Monday"
    end = find(found, "story", speaker="Baltic Lines")
    assert end["content"] == "Two more ferries were cancelled on Tuesday" and end["quote"] == "indirect"


def test_negated_statements_are_denials(claims_of):
    found = claims_of('The ministry did not say that the bridge had reopened. '
                      'The garrison said it has not abandoned the hill. '
                      'The garrison said it still holds the hill.')
    assert find(found, "story", content="the bridge had reopened")["stance"] == "deny"
    assert find(found, "story", content="abandoned the hill")["stance"] == "deny"
    assert find(found, "story", content="it still holds the hill")["stance"] == "assert"


def test_pronoun_speakers_resolve_to_person_and_organisation(claims_of):
    found = claims_of('Mayor Lena Fischer toured the flooded district with engineers from Northwind Power.\n\n'
                      '"The water is still rising in the lower streets," she said.\n\n'
                      'The Harbour Authority of Westport denied that the pier had collapsed. '
                      '"The pier is intact and open to traffic," it added.')
    she = find(found, "story", content="The water is still rising")
    assert she["speaker"] == "Lena Fischer" and she["mention_text"] == "Lena Fischer"
    it = find(found, "story", content="The pier is intact")
    assert it["speaker"] == "The Harbour Authority of Westport" and it["cue"] == "add"


def test_reporting_verbs_beyond_say(claims_of):
    found = claims_of('The dockers\' union called for an inquiry into the crane collapse. '
                      'The senator called the harbour vote a sham. '
                      'The ferry company blamed the storm for the delays. '
                      'The coastguard told skippers not to leave port. '
                      'The insurer has forecast a loss of 40 million euros this year. '
                      'A tug called Brisk towed the barge. '
                      'The harbourmaster was asked to resign.')
    said = {c["speaker"]: (c["cue"], c["content"]) for c in found}
    assert said == {
        "The dockers' union": ("call", "for an inquiry into the crane collapse"),
        "The senator": ("call", "the harbour vote a sham"),
        "The ferry company": ("blame", "the storm for the delays"),
        "The coastguard": ("tell", "not to leave port"),
        "The insurer": ("forecast", "a loss of 40 million euros"),
    }  # a thing called a name, and a passive with no one asking, are not statements
    assert find(found, "story", cue="tell")["stance"] == "assert"


def test_speakers_of_quoting_and_documents(claims_of):
    found = claims_of('"We will not sell the harbour," the Tribune quoted Ms Holt as saying.\n\n'
                      'Mr Okoro was quoted as saying that the harbour would stay public.\n\n'
                      'The mayor resigned in a letter to the council stating that the budget was unworkable.\n\n'
                      'The Film Guild issued a statement calling Ms Reyes "a giant of the stage".\n\n'
                      'Karen Holt announced on Tuesday in an internal memo that she would retire in spring.\n\n'
                      'After the ministry awarded the contract to Velox, Trident challenged the award, '
                      'claiming the tender was biased.')
    assert find(found, "story", content="We will not sell")["speaker"] == "Ms Holt"
    assert find(found, "story", content="stay public")["speaker"] == "Mr Okoro"
    assert find(found, "story", cue="state")["speaker"] == "The mayor"
    assert find(found, "story", cue="call")["speaker"] == "The Film Guild"
    memo = find(found, "story", cue="announce")
    assert memo["speaker"] == "Karen Holt" and memo["content"] == "she would retire in spring"
    assert find(found, "story", cue="claim")["speaker"] == "Trident"


def test_quotes_without_a_cue_are_not_claims(claims_of):
    found = claims_of('The so-called "iron ring" of forts held for a decade. '
                      'The general delivered a report to the cabinet on the state of the "iron ring".')
    assert found == []


# --- pure functions ------------------------------------------------------------------------------------


def test_find_quotes_pairs_marks_within_paragraphs():
    text = 'A "b c" d «e “f” g» h "unclosed\n\n"i j" k'
    quotes = [text[s:e] for s, e in attr.find_quotes(text)]
    assert quotes == ['"b c"', "«e “f” g»", '"i j"']
    assert attr.find_quotes('"' * 7) is not None  # odd runs of marks do not crash
    assert attr.find_quotes("x " + '"' + "y" * 5000 + '"') == []  # nothing over MAX_QUOTE


def test_claim_date_takes_the_date_nearest_the_cue_outside_the_content():
    claim = attr.Claim(cue="say", cue_start=30, cue_end=34, start=40, end=80)
    dates = [
        {"start": 5, "end": 12, "granularity": "day", "range_start": date(2025, 12, 14)},
        {"start": 50, "end": 58, "granularity": "day", "range_start": date(2025, 12, 1)},  # in the content
        {"start": 20, "end": 28, "granularity": "month", "range_start": date(2025, 11, 21), "mod": "END"},
        {"start": 35, "end": 39, "granularity": "year", "kind": "duration", "range_start": None},  # "for years"
        {"start": 90, "end": 95, "granularity": "day", "range_start": date(2025, 10, 1)},  # another sentence
    ]
    # "late last month" is nearer the cue than Dec. 14; it dates the statement to that month
    assert claims.claim_date(claim, (0, 85), dates, date(2025, 12, 20)) == (date(2025, 11, 1), "month")
    assert claims.claim_date(claim, (0, 85), dates[:2], date(2025, 12, 20)) == (date(2025, 12, 14), "day")
    assert claims.claim_date(claim, (0, 85), dates[1:2], date(2025, 12, 20)) == (date(2025, 12, 20), "day")
    assert claims.claim_date(claim, (0, 85), [], None) == (None, None)


def test_period_start():
    assert claims.period_start(date(2025, 12, 11), "week") == date(2025, 12, 8)
    assert claims.period_start(date(2025, 11, 21), "month") == date(2025, 11, 1)
    assert claims.period_start(date(2025, 8, 15), "quarter") == date(2025, 7, 1)
    assert claims.period_start(date(2025, 8, 15), "half") == date(2025, 7, 1)
    assert claims.period_start(date(2025, 8, 15), "year") == date(2025, 1, 1)
    assert claims.period_start(date(2025, 8, 15), "day") == date(2025, 8, 15)


def test_stance_rules():
    assert attr.stance_of("deny", False, "the town fell", False) == "deny"
    assert attr.stance_of("deny", True, "the town fell", False) == "assert"  # "did not deny"
    assert attr.stance_of("say", True, "the town fell", False) == "deny"  # "did not say"
    assert attr.stance_of("say", False, "the town remains under the control of the army", False) == "deny"
    assert attr.stance_of("say", False, "reports of its fall are false", False) == "deny"
    assert attr.stance_of("say", False, "the offensive was practically impossible to hold back", False) == "assert"


def test_stance_rules_in_french_and_russian():
    # Verbs of denial and denial wording of each language's lexicon (etl_plugins.claims.cues).
    assert attr.stance_of("démentir", False, "les troupes ont pris la ville", False) == "deny"
    assert attr.stance_of("опровергнуть", False, "войска взяли город", False) == "deny"
    assert attr.stance_of("déclarer", False, "la ville reste sous le contrôle de l'Ukraine", False) == "deny"
    assert attr.stance_of("заявить", False, "эта информация не соответствует действительности", False) == "deny"
    assert attr.stance_of("заявить", False, "город остаётся под контролем Украины", False) == "deny"
    assert attr.stance_of("déclarer", False, "les troupes ont pris la ville", False) == "assert"
    assert attr.stance_of("заявить", False, "войска взяли город", False) == "assert"
    assert attr.stance_of("déclarer", True, "les troupes ont pris la ville", False) == "deny"  # "n'a pas déclaré"


def test_cues_are_read_in_the_language_of_the_parse():
    import spacy
    from spacy.tokens import Doc

    def verb(language, word, lemma, tag="VBD"):
        return Doc(spacy.blank(language).vocab, words=[word], pos=["VERB"], lemmas=[lemma], tags=[tag])[0]

    assert attr.is_cue(verb("en", "said", "say"))
    assert attr.is_cue(verb("fr", "démenti", "démentir", "VERB"))
    assert attr.is_cue(verb("ru", "заявил", "заявить", "VERB"))
    assert not attr.is_cue(verb("en", "démenti", "démentir", "VBD"))  # a French lemma is no English cue
    assert not attr.is_cue(verb("de", "sagte", "sagen", "VERB"))  # no German lexicon: no claims
