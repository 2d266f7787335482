"""Event mentions: one `events` row per verbal or nominal trigger, with polarity, modality, arguments
and date (see `etl_plugins.events.mentions` for how each is read)."""

from __future__ import annotations

from etl import Contract, hookimpl, mention_id_for

from .mentions import document_events

NAME = "events"


@hookimpl
def etl_contract():
    return {"extract": Contract(needs=("nlp",), reads=("entities", "dates"), provides=("events",))}


@hookimpl
def etl_extract(documents):
    for doc in documents:
        if doc.nlp is None:
            continue
        for event in document_events(doc.nlp, doc.records.get("entities", []), doc.records.get("dates", [])):
            date = event.date or {}
            doc.add("events", event_mention_id=mention_id_for(doc.doc_id, event.start, event.end),
                    start=event.start, end=event.end, text=event.text, lemma=event.lemma,
                    kind=event.kind, event_class=event.event_class, sentence=event.sentence,
                    polarity=event.polarity, modality=event.modality,
                    agent_mention_id=(event.agent or {}).get("mention_id"),
                    patient_mention_id=(event.patient or {}).get("mention_id"),
                    place_mention_id=(event.place or {}).get("mention_id"),
                    date_value=date.get("value"), range_start=date.get("range_start"),
                    range_end=date.get("range_end"), plugin=NAME)
