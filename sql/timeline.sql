-- What happened when: every dated event and statement across the corpus, in order, with its sentence, article and source.
WITH events AS (
    SELECT d.range_start AS "date", d.range_end AS date_end, d.granularity, 'event' AS kind,
           d.text AS said_as, d.value, d.doc_id, d.sentence, NULL AS speaker, d.start, d."end"
    FROM dates d
    WHERE d.kind IN ('date', 'time') AND d.range_start IS NOT NULL AND d.mod IS DISTINCT FROM 'APPROX'
      AND d.granularity IN ('day', 'week', 'month')
), statements AS (
    SELECT c.claim_date, c.claim_date, 'day', 'statement', c.cue, c.stance, c.doc_id, c.sentence_start,
           c.speaker, c.start, c."end"
    FROM claims c
    WHERE c.claim_date IS NOT NULL
)
SELECT
    t."date", t.date_end, t.granularity, t.kind, t.said_as, t.value, t.speaker,
    substr(a.text, s.start + 1, s."end" - s.start) AS sentence,
    a.title, a.publisher, a.published_at, a.source_uri, a.dup_group, t.doc_id, t.start, t."end"
FROM (SELECT * FROM events UNION ALL SELECT * FROM statements) t
JOIN articles a USING (doc_id)
LEFT JOIN sentences s ON s.doc_id = t.doc_id AND s.sentence = t.sentence
ORDER BY t."date", t.date_end, a.published_at NULLS LAST, t.doc_id, t.start
