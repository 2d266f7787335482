"""Read ECB+ 1.0 (CAT XML) into rebuilt plain text and gold event mentions with their cross-document clusters.

The corpus sits in ../shared/evaldata/ecbplus (topics 1-35 only; see its README). For one split this reader
gives, per document:

* `text`: the document rebuilt from its tokens, one sentence per paragraph (sentences separated by a blank
  line), punctuation and clitics attached to the previous token as in ordinary prose, the URL line of an
  `ecbplus` file written without spaces. Sentences 0 and 1 are separated by a single newline instead of a
  blank line: the product's text plugin takes "a short first line followed by a blank line" as the title and
  drops it from the body, and sentence 0 (an `ecb` headline) is often a validated sentence;
* `token_spans`: token id -> (start, end) character offsets into `text`;
* `mentions`: gold event mentions (`ACTION_*`, `NEG_ACTION_*`) inside the validated sentences of
  `ECBplus_coreference_sentences.csv`, each with its gold cluster: the `CROSS_DOC_COREF` note (corpus-wide
  instance id); else the `INTRA_DOC_COREF` chain, scoped to the document; else a singleton of its own.

    python bench/ecbplus.py [--split train|dev]    # prints the counts the README tabulates
"""

from __future__ import annotations

import argparse
import csv
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ECBPLUS = REPO.parent / "shared" / "evaldata" / "ecbplus"
SPLITS = {
    "train": (1, 3, 4, 6, 7, 8, 9, 10, 11, 13, 14, 16, 19, 20, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33),
    "dev": (2, 5, 12, 18, 21, 23, 34, 35),
}
EVENT_TAGS = ("ACTION_", "NEG_ACTION_")
# Tokens written without a space before them (closing punctuation, clitics) or after them (opening brackets).
NO_SPACE_BEFORE = {".", ",", ";", ":", "!", "?", ")", "]", "}", "%", "...", "'s", "'S", "n't", "N'T", "'re", "'ve",
                   "'ll", "'d", "'m", "’s", "''", "”", "’"}
NO_SPACE_AFTER = {"(", "[", "{", "$", "``", "“", "‘", "#"}


@dataclass
class Mention:
    doc: str            # document name without .xml, e.g. "1_10ecbplus"
    m_id: str
    tag: str            # ACTION_OCCURRENCE, NEG_ACTION_STATE, ...
    token_ids: list[int]
    sentence: int
    cluster: str
    topic: int
    subtopic: str       # "<topic>ecb" or "<topic>ecbplus"
    start: int = 0      # character offsets of the trigger in the rebuilt text (first to last token)
    end: int = 0
    text: str = ""


@dataclass
class Document:
    name: str
    topic: int
    subtopic: str
    text: str
    token_spans: dict[int, tuple[int, int]]
    token_sentence: dict[int, int]
    sentence_spans: dict[int, tuple[int, int]]
    validated: set[int]
    mentions: list[Mention] = field(default_factory=list)
    token_text: dict[int, str] = field(default_factory=dict)


def validated_sentences(root: Path = ECBPLUS) -> dict[str, set[int]]:
    """Document name -> the sentence numbers annotated exhaustively."""
    sentences: dict[str, set[int]] = defaultdict(set)
    with open(root / "ECBplus_coreference_sentences.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            sentences[f"{row['Topic']}_{row['File']}"].add(int(row["Sentence Number"]))
    return sentences


def rebuild_text(tokens: list[tuple[int, int, str]], url_sentence: int | None):
    """Join (t_id, sentence, text) tokens into prose; return text, token spans and sentence spans."""
    pieces: list[str] = []
    offset = 0
    token_spans: dict[int, tuple[int, int]] = {}
    sentence_spans: dict[int, tuple[int, int]] = {}
    previous_sentence, previous_text, quote_open = None, None, False
    for t_id, sentence, word in tokens:
        if previous_sentence is None:
            separator = ""
        elif sentence != previous_sentence:
            first_break = len(sentence_spans) == 1
            separator = "\n" if first_break else "\n\n"
            quote_open = False
        elif sentence == url_sentence or word in NO_SPACE_BEFORE or previous_text in NO_SPACE_AFTER:
            separator = ""
        elif word == '"':
            # A straight quote opens or closes: attach a closing one to the word before it.
            separator = "" if quote_open else " "
        elif previous_text == '"' and quote_open:
            separator = ""
        else:
            separator = " "
        if word == '"' and sentence != url_sentence:
            quote_open = not quote_open
        if sentence != previous_sentence:
            if previous_sentence is not None:
                sentence_spans[previous_sentence] = (sentence_spans[previous_sentence][0], offset)
            sentence_spans[sentence] = (offset + len(separator), None)
        pieces.append(separator)
        offset += len(separator)
        token_spans[t_id] = (offset, offset + len(word))
        pieces.append(word)
        offset += len(word)
        previous_sentence, previous_text = sentence, word
    if previous_sentence is not None:
        sentence_spans[previous_sentence] = (sentence_spans[previous_sentence][0], offset)
    return "".join(pieces), token_spans, sentence_spans


def read_document(path: Path, validated: set[int]) -> Document:
    root = ET.parse(path).getroot()
    name = path.stem
    topic = int(name.split("_")[0])
    subtopic = f"{topic}{'ecbplus' if name.endswith('ecbplus') else 'ecb'}"
    tokens = [(int(t.get("t_id")), int(t.get("sentence")), t.text or "") for t in root.iter("token")]
    # Sentence 0 of an ecbplus file is the source page's URL split into tokens.
    url_sentence = 0 if name.endswith("ecbplus") else None
    text, token_spans, sentence_spans = rebuild_text(tokens, url_sentence)
    token_sentence = {t_id: sentence for t_id, sentence, _ in tokens}
    document = Document(name, topic, subtopic, text, token_spans, token_sentence, sentence_spans, validated,
                        token_text={t_id: word for t_id, _, word in tokens})

    cross_doc: dict[str, str] = {}
    intra_doc: dict[str, str] = {}
    for relation in root.find("Relations") if root.find("Relations") is not None else []:
        sources = [source.get("m_id") for source in relation.findall("source")]
        if relation.tag == "CROSS_DOC_COREF":
            for m_id in sources:
                cross_doc.setdefault(m_id, relation.get("note"))
        elif relation.tag == "INTRA_DOC_COREF":
            target = relation.find("target")
            chain = f"intra:{name}:{target.get('m_id') if target is not None else relation.get('r_id')}"
            for m_id in sources:
                intra_doc.setdefault(m_id, chain)

    markables = root.find("Markables")
    for markable in markables if markables is not None else []:
        if not markable.tag.startswith(EVENT_TAGS):
            continue
        token_ids = [int(anchor.get("t_id")) for anchor in markable.findall("token_anchor")]
        if not token_ids:  # an instance descriptor, not a mention
            continue
        sentence = token_sentence[token_ids[0]]
        if sentence not in validated:
            continue
        m_id = markable.get("m_id")
        cluster = cross_doc.get(m_id) or intra_doc.get(m_id) or f"singleton:{name}:{m_id}"
        start = min(token_spans[t][0] for t in token_ids)
        end = max(token_spans[t][1] for t in token_ids)
        document.mentions.append(Mention(name, m_id, markable.tag, sorted(token_ids), sentence, cluster, topic,
                                         subtopic, start, end, text[start:end]))
    return document


def read_split(split: str, root: Path = ECBPLUS) -> list[Document]:
    """Every document of the split's topics, in a stable order (topic, then file name)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: choose from {sorted(SPLITS)} (test topics are held out)")
    validated = validated_sentences(root)
    documents = []
    for topic in SPLITS[split]:
        for path in sorted((root / "ECB+" / str(topic)).glob("*.xml")):
            documents.append(read_document(path, validated.get(path.stem, set())))
    return documents


def counts(documents: list[Document]) -> dict[str, int]:
    """The figures README.md tabulates for a split."""
    mentions = [m for d in documents for m in d.mentions]
    clusters: dict[str, set[str]] = defaultdict(set)
    sizes: dict[str, int] = defaultdict(int)
    for mention in mentions:
        clusters[mention.cluster].add(mention.doc)
        sizes[mention.cluster] += 1
    return {
        "docs": len(documents),
        "docs_ecb": sum(not d.name.endswith("ecbplus") for d in documents),
        "docs_ecbplus": sum(d.name.endswith("ecbplus") for d in documents),
        "docs_with_validated_sentences": sum(bool(d.validated) for d in documents),
        "validated_sentences": sum(len(d.validated) for d in documents),
        "event_mentions": len(mentions),
        "clusters": len(clusters),
        "singletons": sum(size == 1 for size in sizes.values()),
        "clusters_spanning_docs": sum(len(docs) > 1 for docs in clusters.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=sorted(SPLITS), default="dev")
    args = parser.parse_args(argv)
    if not ECBPLUS.is_dir():
        print(f"ECB+ not found at {ECBPLUS}", file=sys.stderr)
        return 1
    for key, value in counts(read_split(args.split)).items():
        print(f"{key:32} {value:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
