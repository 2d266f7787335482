"""Reading MEANTIME (English Wikinews, CC BY 4.0) files: the text rebuilt from tokens, and coreference.

Shared by `ner_meantime.py` and `entities_crossdoc.py`, which must score the same text. The original
whitespace is not kept: headline, date line and body become three paragraphs, tokens are joined by
spaces except before closing punctuation and clitics, inside quotation marks, and after an "O'".
No corpus text is written anywhere.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

NO_SPACE_BEFORE = {",", ".", ":", ";", "!", "?", "%", ")", "]", "'s", "'", "n't", "'re", "'ve",
                   "'ll", "'d", "'m", "’s"}
NO_SPACE_AFTER = {"(", "[", "$", "#"}


@dataclass
class Tokens:
    """One file's rebuilt text, each token's character span in it and each token's sentence."""

    root: ET.Element
    text: str
    spans: dict[str, tuple[int, int]]
    sentence: dict[str, int]

    def mention_span(self, mention: ET.Element) -> tuple[int, int] | None:
        anchors = [self.spans[a.get("t_id")] for a in mention.findall("token_anchor")]
        return (min(a[0] for a in anchors), max(a[1] for a in anchors)) if anchors else None

    def referents(self, value_of_entity) -> dict[str, object]:
        """For each mention id, `value_of_entity(ENTITY element)` of the entity it REFERS_TO."""
        entities = {e.get("m_id"): value_of_entity(e) for e in self.root.find("Markables").findall("ENTITY")}
        found = {}
        for relation in self.root.find("Relations").findall("REFERS_TO"):
            target = entities.get(relation.find("target").get("m_id"))
            for source in relation.findall("source"):
                found[source.get("m_id")] = target
        return found


def read_tokens(path: Path) -> Tokens:
    root = ET.parse(path).getroot()
    spans, sentences, parts, length, previous, quote_open = {}, {}, [], 0, None, False
    for token in root.iter("token"):
        t_id, text, sentence = token.get("t_id"), token.text or "", int(token.get("sentence"))
        if previous is None:
            sep = ""
        elif sentence != previous[1] and previous[1] < 2:
            sep = "\n\n"  # the headline and the date line are paragraphs of their own
        elif text in NO_SPACE_BEFORE or previous[0] in NO_SPACE_AFTER or (text == '"' and quote_open) \
                or (previous[0] == '"' and quote_open) \
                or (len(previous[0]) == 2 and previous[0].endswith("'") and previous[0][0].isupper()):
            sep = ""
        else:
            sep = " "
        if text == '"':
            quote_open = not quote_open
        parts.append(sep + text)
        length += len(sep)
        spans[t_id] = (length, length + len(text))
        sentences[t_id] = sentence
        length += len(text)
        previous = (text, sentence)
    return Tokens(root, "".join(parts), spans, sentences)
