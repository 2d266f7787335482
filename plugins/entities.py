"""Entity mentions from the shared spaCy parse: one `entities` row per named-entity span.

Numeric and temporal spans (dates, money, quantities ...) are left to the dates and figures tables.
A span that crosses a line break or holds no letter is not a name and is dropped.
"""

from __future__ import annotations

from bisect import bisect_right

from etl import Setting, hookimpl

NAME = "entities"
NOT_NAMES = ["DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"]


@hookimpl
def etl_settings():
    return {"exclude_labels": Setting(NOT_NAMES, list, "spaCy labels that are not entity mentions")}


@hookimpl
def etl_extract(documents, config):
    excluded = set(config.settings(NAME)["exclude_labels"])
    for doc in documents:
        if doc.nlp is None:
            continue
        starts = [sent.start_char for sent in doc.nlp.sents]
        for ent in doc.nlp.ents:
            if ent.label_ in excluded or not is_name(ent.text):
                continue
            doc.add("entities", start=ent.start_char, end=ent.end_char, text=ent.text, label=ent.label_,
                    sentence=bisect_right(starts, ent.start_char) - 1, plugin=NAME)


def is_name(text: str) -> bool:
    return "\n" not in text and any(ch.isalpha() for ch in text)
