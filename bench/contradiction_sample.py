"""Print a seeded random sample of the `contradictions` view with each claim's sentence, for reading by hand.

    python bench/contradiction_sample.py --out /tmp/bbc-out [--n 20] [--seed 0]

For every sampled proposition: its event, then each claim (stance, speaker, cue, the content's first
non-report event with its class, polarity and modality, the document's file) and the sentence it sits in.
Reads OUT/etl.duckdb read-only; prints article text to the terminal only.
"""

from __future__ import annotations

import argparse
import random

import duckdb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    db = duckdb.connect(f"{args.out}/etl.duckdb", read_only=True)
    ids = [r[0] for r in db.sql("SELECT cluster_id FROM contradictions ORDER BY cluster_id").fetchall()]
    chosen = ids if len(ids) <= args.n else random.Random(args.seed).sample(ids, args.n)
    print(f"{len(ids)} contradictions; showing {len(chosen)} (seed {args.seed})")
    for k, cluster in enumerate(chosen, 1):
        event_id, rep, a, d = db.execute(
            "SELECT event_id, representative, asserted_by, denied_by FROM contradictions WHERE cluster_id = ?",
            [cluster]).fetchone()
        print(f"\n=== {k}. cluster {cluster} event {event_id}\n    representative: {rep}\n"
              f"    asserted_by {a} | denied_by {d}")
        rows = db.execute("""
            SELECT c.stance, c.speaker, c.cue, c.content, c.start, c."end", c.doc_id, a.source_uri,
                   (SELECT substr(a.text, min(s.start) + 1, max(s."end") - min(s.start)) FROM sentences s
                    WHERE s.doc_id = c.doc_id AND s.sentence BETWEEN c.sentence_start AND c.sentence_end)
            FROM claims c JOIN articles a USING (doc_id)
            WHERE c.cluster_id = ? ORDER BY c.stance, a.source_uri, c.start""", [cluster]).fetchall()
        for stance, speaker, cue, content, start, end, doc_id, uri, sentence in rows:
            ev = db.execute("""
                SELECT text, lemma, event_class, polarity, modality, event_id FROM events
                WHERE doc_id = ? AND start >= ? AND start < ? AND coalesce(event_class, '') <> 'report'
                  AND (event_class IS NOT NULL OR kind = 'verbal')
                ORDER BY start LIMIT 1""", [doc_id, start, end]).fetchone()
            uri = "/".join(str(uri).split("/")[-2:])
            print(f"  [{stance}] {speaker!r} ({cue}) {uri}\n      event {ev}\n      content: {content}\n"
                  f"      sentence: {' '.join(str(sentence).split())}")


if __name__ == "__main__":
    main()
