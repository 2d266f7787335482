"""The host's per-document summaries (`etl.incremental.Touched`) see every change of a provided value."""

from __future__ import annotations

import duckdb

from etl.contracts import Contract
from etl.incremental import Touched


def test_a_value_changed_in_two_rows_of_a_document_is_seen():
    db = duckdb.connect()
    db.execute("CREATE TABLE events (doc_id VARCHAR, event_id VARCHAR)")
    db.execute("INSERT INTO events VALUES ('d1', 'E1'), ('d1', 'E1'), ('d2', 'E1')")
    contracts = {"linker": Contract(provides=("events.event_id",), incremental=True),
                 "reader": Contract(reads=("events",), incremental=True)}
    touched = Touched(db, {"events": ("doc_id", "event_id")}, ["linker", "reader"], contracts)
    watched = touched.watched("linker")
    before = touched.summaries(watched)
    # Both mentions of d1 relinked to one new event: a sum of XOR-combined hashes would cancel it out.
    db.execute("UPDATE events SET event_id = 'E2' WHERE doc_id = 'd1'")
    after = touched.summaries(watched)
    for name in watched:
        touched.record(name, before[name], after[name])
    assert touched.changed["events.event_id"] == {"d1"}
