"""The shared spaCy pass and what makes it cheap: the attribute_ruler and the lemmatizer answered from
tables, and the claims parser fed the pass's own token vectors instead of a second model."""

from __future__ import annotations

import etl_plugins.claims.plugin as claims
import etl_plugins.spacy.parse as spacy_parse
import etl_plugins.spacy.plugin as spacy_nlp
from conftest import SEEDS, rows, run_pipeline
from etl.config import Config
from etl_plugins.spacy.attribute_lookup import compile_ruler
from etl_plugins.spacy.lemma_lookup import compile_lemmatizer

ATTRS = ("tag_", "pos_", "lemma_", "dep_")


def annotations(doc):
    return [(t.text, *(getattr(t, a) for a in ATTRS), str(t.morph)) for t in doc]


def test_lookup_applies_rules_exactly_as_the_attribute_ruler_does():
    """Hand-made rules covering what the table must get right: later rules win, multi-token rules
    and quantifiers (left to a Matcher) interleave by rule order, IN/NOT_IN/REGEX, flags, indices."""
    import spacy
    from spacy.tokens import Doc, Token

    for name in ("etl_test_size", "etl_test_word"):
        Token.set_extension(name, default=None, force=True)
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add_patterns([
        {"patterns": [[{"LOWER": "gon"}, {"LOWER": "na"}]], "attrs": {"POS": "X", "LEMMA": "go"}},
        {"patterns": [[{"TAG": "NN"}]], "attrs": {"POS": "NOUN", "MORPH": "Number=Sing"}},
        {"patterns": [[{"TAG": "NN", "LOWER": {"IN": ["something", "nothing"]}}]],
         "attrs": {"POS": "PRON", "MORPH": "PronType=Ind"}},
        {"patterns": [[{"LOWER": "gon"}, {"LOWER": "na"}]], "attrs": {"LEMMA": "to"}, "index": 1},
        {"patterns": [[{"TAG": "VBG"}]], "attrs": {"POS": "VERB"}},
        {"patterns": [[{"LOWER": {"REGEX": "^n[ou]thin'$"}}]], "attrs": {"LEMMA": "nothing"}},
        {"patterns": [[{"TAG": {"NOT_IN": ["TO", ""]}, "DEP": {"IN": ["aux", "auxpass"]}}]],
         "attrs": {"POS": "AUX"}},
        {"patterns": [[{"LOWER": "very", "OP": "+"}, {"TAG": "JJ"}]], "attrs": {"MORPH": "Degree=Sup"},
         "index": -1},
        {"patterns": [[{"TAG": "JJ"}]], "attrs": {"POS": "ADJ"}},
        {"patterns": [[{"IS_SPACE": True}]], "attrs": {"TAG": "_SP", "POS": "SPACE"}},
        {"patterns": [[{"TAG": "VBG", "LOWER": "gon"}]], "attrs": {"POS": "AUX"}},
        {"patterns": [[{"TAG": "JJ"}]], "attrs": {"_": {"etl_test_size": "adjective"}}},
        {"patterns": [[{"LOWER": "big"}]], "attrs": {"_": {"etl_test_word": "big"}}},
    ])
    words = ["I", "was", "gon", "na", "say", "nothin'", "\n\n", "something", "very", "very", "big", "city",
             "is", "gon", "na", "be", "big"]
    tags = ["PRP", "VBD", "VBG", "TO", "VB", "NN", "", "NN", "RB", "RB", "JJ", "NN", "VBZ", "NN", "TO", "VB", "JJ"]
    deps = ["nsubj", "aux", "ROOT", "aux", "xcomp", "dobj", "dep", "nsubj", "advmod", "advmod", "amod", "nsubj",
            "aux", "ROOT", "aux", "xcomp", "acomp"]
    lookup = compile_ruler(ruler)
    assert lookup is not None
    for heads in (None, [0] * len(words)):  # with and without a dependency parse
        doc = Doc(nlp.vocab, words=words, tags=tags, deps=deps if heads else None, heads=heads)
        for _ in range(2):  # the second pass answers every token from the table
            expected, got = ruler(doc.copy()), lookup(doc.copy())
            assert annotations(got) == annotations(expected)
            assert [(t._.etl_test_size, t._.etl_test_word) for t in got] == \
                [(t._.etl_test_size, t._.etl_test_word) for t in expected]
        assert (expected[10]._.etl_test_size, expected[10]._.etl_test_word) == ("adjective", "big")
        expected = annotations(ruler(doc.copy()))
        # The rules did fire, in rule order: "gon" gets rule 0's lemma and rule 10's POS over rule 0's.
        assert expected[2][2:4] == ("AUX", "go") and expected[3][3] == "to"
        assert expected[13][2:4] == ("NOUN", "go")  # rule 1 (NN) overrides rule 0's X
        assert expected[7][2] == "PRON" and expected[10][5] == "Degree=Sup"


def test_lemma_lookup_gives_the_lemmatizer_s_lemmas_and_works_each_word_out_once(monkeypatch):
    """Hand-made rule tables: exceptions, word lists, base forms, proper nouns, punctuation, lemmas set
    before (kept unless the lemmatizer overwrites), and the table starting over when full."""
    import spacy
    from spacy.lookups import Lookups
    from spacy.pipeline import Lemmatizer
    from spacy.tokens import Doc

    import etl_plugins.spacy.lemma_lookup as lemma_lookup

    lookups = Lookups()
    lookups.add_table("lemma_rules", {"noun": [["ies", "y"], ["s", ""]],
                                      "verb": [["ed", "e"], ["ed", ""], ["ing", ""]]})
    lookups.add_table("lemma_index", {"noun": ["city", "cat"], "verb": ["bake", "walk"]})
    lookups.add_table("lemma_exc", {"noun": {"mice": ["mouse"]}, "verb": {"went": ["go"]}})
    nlp = spacy.blank("en")
    words = ["Cities", "baked", "walked", "mice", "went", "Paris", ",", "cats", "city", "walking", "dogs", "cities"]
    pos = ["NOUN", "VERB", "VERB", "NOUN", "VERB", "PROPN", "PUNCT", "NOUN", "NOUN", "VERB", "NOUN", "NOUN"]
    morphs = ["Number=Plur", "Tense=Past|VerbForm=Fin", "Tense=Past|VerbForm=Fin", "Number=Plur",
              "Tense=Past|VerbForm=Fin", "Number=Sing", "", "Number=Plur", "Number=Sing", "VerbForm=Ger",
              "Number=Plur", "Number=Plur"]
    calls = []
    original = Lemmatizer.rule_lemmatize
    monkeypatch.setattr(Lemmatizer, "rule_lemmatize",
                        lambda self, token: calls.append(token.text) or original(self, token))
    for overwrite in (False, True):
        lemmatizer = nlp.add_pipe("lemmatizer", name=f"lemmatizer_{overwrite}",
                                  config={"mode": "rule", "overwrite": overwrite})
        lemmatizer.initialize(lookups=lookups)
        lookup = compile_lemmatizer(lemmatizer)
        doc = Doc(nlp.vocab, words=words, pos=pos, morphs=morphs)
        doc[4].lemma_ = "GO"  # as an attribute ruler sets some lemmas before the lemmatizer
        expected = [t.lemma_ for t in lemmatizer(doc.copy())]
        assert expected[:5] == ["city", "bake", "walk", "mouse", "go" if overwrite else "GO"]
        assert expected[5:7] == ["Paris", ","]
        for _ in range(3):  # the first document goes through the lemmatizer itself, then the table
            calls.clear()
            assert [t.lemma_ for t in lookup(doc.copy())] == expected
        assert calls == [], "a word already seen was worked out again"
        monkeypatch.setattr(lemma_lookup, "MAX_CACHED", 2)
        assert [t.lemma_ for t in lookup(doc.copy())] == expected
        monkeypatch.setattr(lemma_lookup, "MAX_CACHED", 100_000)
    assert compile_lemmatizer(nlp.add_pipe("lemmatizer", name="lookup_mode", config={"mode": "lookup"})) is not None
    # Spanish rules also read whether a word starts a sentence ("Y" stays capitalised there): not tabled.
    spanish = spacy.blank("es").add_pipe("lemmatizer", config={"mode": "rule"})
    assert type(spanish).__name__ == "SpanishLemmatizer" and compile_lemmatizer(spanish) is None
    assert compile_lemmatizer(type("Other", (), {"mode": "rule"})()) is None


def test_model_pipeline_with_the_lookups_annotates_the_seeds_like_spacy():
    """The configured model, its attribute_ruler and lemmatizer replaced by tables, against the model
    as shipped."""
    fast = spacy_nlp.load_model(spacy_nlp.DEFAULT_MODEL, ("parser",))
    assert {"etl_attribute_lookup", "etl_lemma_lookup"} <= set(fast.pipe_names)
    assert {"attribute_ruler", "lemmatizer"} <= set(fast.disabled)
    shipped = spacy_nlp.load_model(spacy_nlp.DEFAULT_MODEL, ("parser",), attribute_lookup=False, lemma_lookup=False)
    assert {"attribute_ruler", "lemmatizer"} <= set(shipped.pipe_names)
    texts = [p.read_text() for p in sorted(SEEDS.glob("*.txt"))]
    compared = 0
    for a, b in zip(shipped.pipe(texts), fast.pipe(texts)):
        assert annotations(b) == annotations(a)
        compared += len(a)
    assert compared > 2000


def test_the_dependency_parse_service_reads_the_shared_pass_or_parses_alone():
    """The `dependency_parse` service reads the shared pass's vectors (no second model); a parser-only copy
    that embeds each sentence itself parses the same sentence with the same structure."""
    nlp = spacy_nlp.load_model(spacy_nlp.DEFAULT_MODEL, ("parser",))
    doc = nlp("The war went on.\n\nThe eastern command said the city had not fallen, officials added.")
    sentences = claims.candidate_sentences(doc)
    assert [s.text for s in sentences] == ["The eastern command said the city had not fallen, officials added."]
    assert spacy_parse._shared_vector_width(nlp, nlp.get_pipe("parser")) == doc.tensor.shape[1]
    standalone = spacy_parse.load_parser(spacy_nlp.DEFAULT_MODEL)
    assert standalone is not nlp and "tok2vec" in standalone.pipe_names
    settings = {"model": spacy_nlp.DEFAULT_MODEL, "disable": ["parser"], "attribute_lookup": True,
                "lemma_lookup": True}
    service = spacy_nlp.etl_services(Config(plugins={"spacy": settings}))["dependency_parse"]
    assert service.pipeline() is nlp
    for parsed in (service(sentences)[0], spacy_parse.parse_sentences(standalone, sentences)[0]):
        assert [t.text for t in parsed] == [t.text for t in sentences[0]]
        said = next(t for t in parsed if t.text == "said")
        assert {c.dep_: c.text for c in said.children}.get("nsubj") == "command"
        assert "fallen" in [c.text for c in said.children if c.dep_ == "ccomp"]


def test_claims_from_a_pipeline_that_parses_every_sentence(tmp_path):
    """With the parser switched on in the shared pass, claims reads its parse instead of parsing again."""
    out = tmp_path / "out"
    run_pipeline(next(SEEDS.glob("004_*.txt")), out, plugins={"spacy": {"disable": []}})
    found = {(c["speaker"], c["cue"]) for c in rows(out, "claims")}
    assert any("Gerasimov" in (speaker or "") for speaker, _ in found)
    assert any(cue == "deny" for _, cue in found)


def test_runs_with_and_without_the_lookups_publish_the_same_tables(tmp_path, seeds_out):
    out = tmp_path / "out"
    run_pipeline(SEEDS, out, plugins={"spacy": {"attribute_lookup": False, "lemma_lookup": False}})

    def content(table):
        return sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k != "run_id")) for r in table)

    for table in ("sentences", "entities", "claims", "dates", "figures"):
        assert content(rows(out, table)) == content(rows(seeds_out, table)), table


def test_in_a_worker_each_batch_is_parsed_in_a_memory_zone_freed_by_the_next():
    """What spaCy interns for a batch goes when the next batch starts, not before (plugins after spacy
    read the parse, and a retry of one of the batch's documents stays in its zone)."""
    from etl.model import Document

    settings = {"model": spacy_nlp.DEFAULT_MODEL, "batch_size": 64, "disable": ["parser"],
                "attribute_lookup": True, "lemma_lookup": True, "memory_zone": True}
    config = Config(plugins={"spacy": settings})
    from etl.context import RunContext

    worker = RunContext(run_id="r", out=".", worker_process=True)
    strings = spacy_nlp.load_model(spacy_nlp.DEFAULT_MODEL, ("parser",)).vocab.strings

    def batch(word):
        return [Document(doc_id=f"{word}-{i}", source_uri="mem://", content_sha256="0",
                         text=f"Mr Zoltan{word} spoke in Vyshgorod{word} on day {i}.") for i in range(3)]

    first, second = batch("Qvarm"), batch("Plixt")
    try:
        spacy_nlp.etl_extract(documents=first, config=config, run=worker)
        assert "ZoltanQvarm" in strings and first[0].nlp[1].text == "ZoltanQvarm"
        spacy_nlp.etl_extract(documents=second, config=config, run=worker)
        assert "ZoltanQvarm" not in strings, "the first batch's strings outlived it"
        assert "ZoltanPlixt" in strings
        spacy_nlp.etl_extract(documents=second[1:2], config=config, run=worker)  # the host retrying one document
        assert "ZoltanPlixt" in strings and second[0].nlp[1].text == "ZoltanPlixt"
    finally:
        for doc in first + second:
            doc.nlp = None
        spacy_nlp.close_batch_zone()
    assert "ZoltanPlixt" not in strings
    in_this_process = RunContext(run_id="r", out=".")
    spacy_nlp.etl_extract(documents=batch("Wrenk"), config=config, run=in_this_process)
    assert "ZoltanWrenk" in strings and not spacy_nlp._zones  # no zone outside worker processes
