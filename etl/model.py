"""The document model and the Arrow schema of every table.

This is the one place where a column is defined. Parse plugins create `Document` objects (through
`Source.document`), clean plugins edit their `segments`, extract plugins append records with
`Document.add`, and the host turns each batch into Arrow tables with the schemas below.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from .errors import SchemaError
from .textstats import count_words

SEGMENT_LABELS = (
    "body", "headline", "standfirst", "caption", "credit", "byline",
    "author_bio", "related", "navigation", "other",
)

_TS = pa.timestamp("us", tz="UTC")
_STR_LIST = pa.list_(pa.string())


def _span(*extra: pa.Field) -> list[pa.Field]:
    """Columns of every row that comes from text: where it is and who made it."""
    return [pa.field("doc_id", pa.string()), *extra]


ARTICLES = pa.schema([
    pa.field("doc_id", pa.string()),
    pa.field("source_uri", pa.string()),
    pa.field("content_sha256", pa.string()),
    pa.field("media_type", pa.string()),
    pa.field("title", pa.string()),
    pa.field("title_source", pa.string()),
    pa.field("authors", _STR_LIST),
    pa.field("authors_source", pa.string()),
    pa.field("agency", _STR_LIST),
    pa.field("publisher", pa.string()),
    pa.field("publisher_source", pa.string()),
    pa.field("url", pa.string()),
    pa.field("published_at", _TS),
    pa.field("published_at_source", pa.string()),
    pa.field("published_at_granularity", pa.string()),
    pa.field("language", pa.string()),
    pa.field("language_source", pa.string()),
    pa.field("fetched_at", _TS),
    pa.field("text", pa.string()),
    pa.field("word_count", pa.int32()),
    pa.field("dup_group", pa.string()),
    pa.field("derived_from", pa.string()),
    pa.field("derived_similarity", pa.float32()),
    pa.field("run_id", pa.string()),
])

SEGMENTS = pa.schema([
    pa.field("doc_id", pa.string()),
    pa.field("seq", pa.int32()),
    pa.field("label", pa.string()),
    pa.field("text", pa.string()),
    pa.field("start", pa.int32()),
    pa.field("end", pa.int32()),
    pa.field("plugin", pa.string()),
    pa.field("run_id", pa.string()),
])

SENTENCES = pa.schema(_span(
    pa.field("sentence", pa.int32()),
    pa.field("start", pa.int32()),
    pa.field("end", pa.int32()),
    pa.field("plugin", pa.string()),
    pa.field("run_id", pa.string()),
))

#: `entities.form`: a name ("Kyiv", "Ukraine"), or a nationality adjective that names its country ("Ukrainian
#: forces": label GPE, and the country's entity). What looks for where something happened takes names only.
NAME_FORM, DEMONYM_FORM = "name", "demonym"
#: `entities.label` values of places (spaCy's).
PLACE_LABELS = ("GPE", "LOC", "FAC")


def names_a_place(mention: Mapping[str, Any]) -> bool:
    """Whether an `entities` row names a place: a place label, on a name, not a nationality adjective ("in
    Ukrainian hands" happens in no place called so)."""
    return mention.get("label") in PLACE_LABELS and mention.get("form") != DEMONYM_FORM


def place_name_sql(alias: str) -> str:
    """`names_a_place` in SQL, of the `entities` row `alias`."""
    labels = ", ".join(f"'{label}'" for label in PLACE_LABELS)
    return f"{alias}.label IN ({labels}) AND {alias}.form IS DISTINCT FROM '{DEMONYM_FORM}'"


ENTITIES = pa.schema(_span(
    pa.field("mention_id", pa.string()),
    pa.field("start", pa.int32()),
    pa.field("end", pa.int32()),
    pa.field("text", pa.string()),
    pa.field("label", pa.string()),
    pa.field("form", pa.string()),
    pa.field("sentence", pa.int32()),
    pa.field("entity_id", pa.string()),
    pa.field("canonical_name", pa.string()),
    pa.field("segment", pa.int32()),
    pa.field("plugin", pa.string()),
    pa.field("run_id", pa.string()),
))

DATES = pa.schema(_span(
    pa.field("start", pa.int32()),
    pa.field("end", pa.int32()),
    pa.field("text", pa.string()),
    pa.field("value", pa.string()),
    pa.field("kind", pa.string()),
    pa.field("mod", pa.string()),
    pa.field("granularity", pa.string()),
    pa.field("range_start", pa.date32()),
    pa.field("range_end", pa.date32()),
    pa.field("anchor", pa.string()),
    pa.field("anchor_date", pa.date32()),
    pa.field("sentence", pa.int32()),
    pa.field("segment", pa.int32()),
    pa.field("plugin", pa.string()),
    pa.field("run_id", pa.string()),
))

CLAIMS = pa.schema(_span(
    pa.field("claim_id", pa.string()),
    pa.field("speaker", pa.string()),
    pa.field("speaker_mention_id", pa.string()),
    pa.field("speaker_entity_id", pa.string()),
    pa.field("cue", pa.string()),
    pa.field("cue_start", pa.int32()),
    pa.field("cue_end", pa.int32()),
    pa.field("stance", pa.string()),
    pa.field("quote", pa.string()),
    pa.field("content", pa.string()),
    pa.field("start", pa.int32()),
    pa.field("end", pa.int32()),
    pa.field("sentence_start", pa.int32()),
    pa.field("sentence_end", pa.int32()),
    pa.field("claim_date", pa.date32()),
    pa.field("claim_date_granularity", pa.string()),
    pa.field("event_id", pa.string()),
    pa.field("cluster_id", pa.string()),
    pa.field("plugin", pa.string()),
    pa.field("run_id", pa.string()),
))

#: `events.event_class` values that deny each other when said of the same thing: a city captured and a city held,
#: a vote won and lost, prices that rise and fall, a door opened and closed, an accused convicted and acquitted.
#: Part of what the column means, so the plugin that names the classes and those that read them share it here.
OPPOSITE_EVENT_CLASSES: dict[str, str] = {}
for _a, _b in (("capture", "hold"), ("win", "lose"), ("rise", "drop"), ("open", "close"),
               ("convict", "acquit"), ("approve", "reject"), ("advance", "retreat"), ("agree", "reject")):
    OPPOSITE_EVENT_CLASSES.setdefault(_a, _b)
    OPPOSITE_EVENT_CLASSES.setdefault(_b, _a)

EVENTS = pa.schema(_span(
    pa.field("event_mention_id", pa.string()),
    pa.field("start", pa.int32()),
    pa.field("end", pa.int32()),
    pa.field("text", pa.string()),
    pa.field("lemma", pa.string()),
    pa.field("kind", pa.string()),
    pa.field("event_class", pa.string()),
    pa.field("sentence", pa.int32()),
    pa.field("polarity", pa.string()),
    pa.field("modality", pa.string()),
    pa.field("agent_mention_id", pa.string()),
    pa.field("patient_mention_id", pa.string()),
    pa.field("place_mention_id", pa.string()),
    pa.field("agent_entity_id", pa.string()),
    pa.field("patient_entity_id", pa.string()),
    pa.field("place_entity_id", pa.string()),
    pa.field("date_value", pa.string()),
    pa.field("range_start", pa.date32()),
    pa.field("range_end", pa.date32()),
    pa.field("event_id", pa.string()),
    pa.field("plugin", pa.string()),
    pa.field("run_id", pa.string()),
))

FIGURES = pa.schema(_span(
    pa.field("start", pa.int32()),
    pa.field("end", pa.int32()),
    pa.field("text", pa.string()),
    pa.field("quantity", pa.float64()),
    pa.field("unit", pa.string()),
    pa.field("counts", pa.string()),
    pa.field("about_entity_id", pa.string()),
    pa.field("approx", pa.bool_()),
    pa.field("sentence", pa.int32()),
    pa.field("segment", pa.int32()),
    pa.field("plugin", pa.string()),
    pa.field("run_id", pa.string()),
))

ERRORS = pa.schema([
    pa.field("run_id", pa.string()),
    pa.field("source_uri", pa.string()),
    pa.field("doc_id", pa.string()),
    pa.field("stage", pa.string()),
    pa.field("plugin", pa.string()),
    pa.field("error_type", pa.string()),
    pa.field("message", pa.string()),
    pa.field("at", _TS),
])

RUNS = pa.schema([
    pa.field("run_id", pa.string()),
    pa.field("started_at", _TS),
    pa.field("finished_at", _TS),
    pa.field("status", pa.string()),
    pa.field("plugins", pa.list_(pa.struct([("name", pa.string()), ("version", pa.string())]))),
    pa.field("config_sha256", pa.string()),
    pa.field("docs_seen", pa.int64()),
    pa.field("docs_new", pa.int64()),
    pa.field("docs_changed", pa.int64()),
    pa.field("docs_unchanged", pa.int64()),
    pa.field("docs_failed", pa.int64()),
    pa.field("seconds", pa.float64()),
])

#: The built-in tables, in the order they are listed and published.
BASE_TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "segments": SEGMENTS,
    "sentences": SENTENCES,
    "entities": ENTITIES,
    "claims": CLAIMS,
    "events": EVENTS,
    "dates": DATES,
    "figures": FIGURES,
    "errors": ERRORS,
    "runs": RUNS,
}

#: Tables the host fills itself; extract plugins add rows to the others.
HOST_TABLES = ("articles", "segments", "errors", "runs")


def plugin_table_schema(name: str, schema: pa.Schema) -> pa.Schema:
    """Complete a schema declared in `etl_tables`: `doc_id` first and `run_id` last are added if missing."""
    if name in BASE_TABLES:
        raise SchemaError(f"table {name!r} is a built-in table; choose another name for a plugin table")
    if not isinstance(schema, pa.Schema):
        raise SchemaError(f"table {name!r}: etl_tables must map names to pyarrow.Schema, got {type(schema).__name__}")
    fields = list(schema)
    if "doc_id" not in schema.names:
        fields.insert(0, pa.field("doc_id", pa.string()))
    if "run_id" not in schema.names:
        fields.append(pa.field("run_id", pa.string()))
    return pa.schema(fields, metadata=schema.metadata)


def doc_id_for(source_uri: str) -> str:
    """Identity is the location: the first 32 hex digits of sha256(source_uri).

    The same value is `left(sha256(source_uri), 32)` in DuckDB.
    """
    return hashlib.sha256(source_uri.encode("utf-8")).hexdigest()[:32]


def mention_id_for(doc_id: str, start: Any, end: Any) -> str:
    return f"{doc_id}:{start}:{end}"


@dataclass
class Segment:
    """One block of the original document, labelled by the clean stage.

    `start`/`end` are filled by the host for body segments once the body text is assembled.
    """

    text: str
    label: str = "body"
    seq: int = 0
    plugin: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass
class Document:
    """One article on its way through the pipeline.

    Metadata fields are the `articles` columns. `text` is the body text: before the clean stage it is
    the decoded text as parsed; after it, the host sets it to the body segments joined by blank lines.
    `records` holds one list of row dicts per table; extract plugins append with `add`.
    `nlp` holds the shared NLP parse of `text` (a spaCy `Doc`) for extract plugins; it is never stored.
    `error` is set on a container record that could not be parsed (see `Source.failed`).
    """

    doc_id: str
    source_uri: str
    content_sha256: str
    media_type: str = "text/plain"
    title: str | None = None
    title_source: str | None = None
    authors: list[str] = field(default_factory=list)
    authors_source: str | None = None
    agency: list[str] = field(default_factory=list)
    publisher: str | None = None
    publisher_source: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    published_at_source: str | None = None
    published_at_granularity: str | None = None
    language: str | None = None
    language_source: str | None = None
    fetched_at: datetime | None = None
    text: str = ""
    segments: list[Segment] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    nlp: Any = None
    error: BaseException | None = None

    @property
    def entities(self) -> list[dict[str, Any]]:
        return self.records.setdefault("entities", [])

    @property
    def dates(self) -> list[dict[str, Any]]:
        return self.records.setdefault("dates", [])

    @property
    def claims(self) -> list[dict[str, Any]]:
        return self.records.setdefault("claims", [])

    def add(self, table: str, **row: Any) -> dict[str, Any]:
        """Append one row to `table` (a built-in record table or a plugin table) and return it.

        Columns are checked when the batch is written: an unknown column is an error naming the table.
        An entity row gets its `mention_id` here, so that plugins after the entities plugin can refer
        to it (a claim's speaker, a figure's subject).
        """
        if table == "entities" and not row.get("mention_id"):
            row["mention_id"] = mention_id_for(self.doc_id, row.get("start"), row.get("end"))
        self.records.setdefault(table, []).append(row)
        return row

    def add_segment(self, text: str, label: str = "body", plugin: str | None = None) -> Segment:
        segment = Segment(text=text, label=label, seq=len(self.segments), plugin=plugin)
        self.segments.append(segment)
        return segment

    @property
    def body(self) -> list[Segment]:
        return [s for s in self.segments if s.label == "body"]

    def article_row(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "source_uri": self.source_uri,
            "content_sha256": self.content_sha256,
            "media_type": self.media_type,
            "title": self.title,
            "title_source": self.title_source,
            "authors": list(self.authors),
            "authors_source": self.authors_source,
            "agency": list(self.agency),
            "publisher": self.publisher,
            "publisher_source": self.publisher_source,
            "url": self.url,
            "published_at": self.published_at,
            "published_at_source": self.published_at_source,
            "published_at_granularity": self.published_at_granularity,
            "language": self.language,
            "language_source": self.language_source,
            "fetched_at": self.fetched_at,
            "text": self.text,
            "word_count": count_words(self.text),
        }

    def segment_rows(self) -> list[dict[str, Any]]:
        return [
            {"doc_id": self.doc_id, "seq": s.seq, "label": s.label, "text": s.text,
             "start": s.start, "end": s.end, "plugin": s.plugin}
            for s in self.segments
        ]


def rows_to_table(table: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> pa.Table:
    """Build an Arrow table from row dicts, refusing columns the schema does not declare.

    `pa.Table.from_pylist` would drop an unknown key silently; a misspelled column must fail loudly.
    """
    names = set(schema.names)
    for row in rows:
        unknown = row.keys() - names
        if unknown:
            raise SchemaError(
                f"table {table!r} has no column {', '.join(sorted(map(repr, unknown)))}; "
                f"its columns: {', '.join(schema.names)}"
            )
    try:
        return pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
        raise SchemaError(f"table {table!r}: a value does not fit the declared schema: {exc}") from exc
