-- What happened when: each event once and each statement once, in order, with a representative sentence, its places, how many articles and independent sources report it, and whether it is disputed.
-- Events are those of `events_overview`. An event's date is the earliest explicit date its mentions give (a day, week
-- or month; not an approximate one, nor a year: "since 2022" dates a background, not the event), with
-- `date_source` 'text' and that mention as its representative; else the day it was first reported (`date_source`
-- 'reported'), for events of a known class only (a bare verb's publication day says nothing). Events neither dated
-- nor reported on a known day are left out. A statement is one proposition (`claims.cluster_id`), dated by when it
-- was first said (`date_source` 'said'), with its representative content, who said it and who denied it.
-- `reports` lists every article that reports the event or states the proposition (its first mention there).
WITH mention_dates AS (
    SELECT doc_id, sentence, value, any_value(granularity) AS granularity, any_value(kind) AS kind,
           bool_and(coalesce(mod, '') = 'APPROX') AS approx
    FROM dates
    GROUP BY doc_id, sentence, value
), dated AS (  -- the mentions events_overview counts that carry an explicit date, earliest first
    SELECT e.event_id, e.doc_id, e.start, e."end", e.sentence, e.text, e.range_start, e.range_end, d.granularity,
           row_number() OVER (PARTITION BY e.event_id
                              ORDER BY e.range_start, e.range_end, a.published_at NULLS LAST,
                                       a.derived_from IS NOT NULL, e.doc_id, e.start) AS rank
    FROM events e
    JOIN articles a USING (doc_id)
    LEFT JOIN mention_dates d ON d.doc_id = e.doc_id AND d.sentence = e.sentence AND d.value = e.date_value
    WHERE e.event_id IN (SELECT event_id FROM events_overview)
      AND e.modality = 'asserted' AND e.polarity = 'positive' AND e.event_class IS DISTINCT FROM 'report'
      AND e.range_start IS NOT NULL AND NOT coalesce(d.approx, false)
      AND coalesce(d.kind IN ('date', 'time'), true)
      AND (d.granularity IN ('day', 'week', 'month')
           OR (d.granularity IS NULL AND e.range_end - e.range_start <= 31))
), event_rows AS (
    SELECT
        coalesce(x.range_start, (o.first_reported AT TIME ZONE 'UTC')::DATE) AS "date",
        coalesce(x.range_end, (o.first_reported AT TIME ZONE 'UTC')::DATE) AS date_end,
        CASE WHEN x.event_id IS NOT NULL THEN x.granularity ELSE 'day' END AS granularity,
        CASE WHEN x.event_id IS NOT NULL THEN 'text' ELSE 'reported' END AS date_source,
        'event' AS kind,
        o.what,
        coalesce(x.text, o.trigger) AS text,
        o.places,
        o.participants,
        CAST(NULL AS VARCHAR[]) AS speakers,
        CAST(NULL AS VARCHAR[]) AS denied_by,
        o.sources,
        o.articles,
        o.mentions,
        o.disputed,
        o.reports,
        o.event_id,
        CAST(NULL AS VARCHAR) AS cluster_id,
        coalesce(x.doc_id, o.doc_id) AS doc_id,
        coalesce(x.start, o.start) AS start,
        coalesce(x."end", o."end") AS "end",
        s.sentence AS sentence_no,
        s.sentence AS sentence_last
    FROM events_overview o
    LEFT JOIN dated x ON x.event_id = o.event_id AND x.rank = 1
    LEFT JOIN sentences s ON s.doc_id = coalesce(x.doc_id, o.doc_id)
                         AND coalesce(x.start, o.start) >= s.start AND coalesce(x.start, o.start) < s."end"
    WHERE x.event_id IS NOT NULL OR (o.event_class IS NOT NULL AND o.first_reported IS NOT NULL)
), said AS (  -- each proposition's claims, the first said first
    SELECT c.*, a.published_at, coalesce(a.dup_group, a.doc_id) AS copy_group,
           row_number() OVER (PARTITION BY c.cluster_id
                              ORDER BY c.claim_date NULLS LAST,
                                       CASE c.claim_date_granularity WHEN 'day' THEN 0 WHEN 'week' THEN 1
                                            WHEN 'month' THEN 2 ELSE 3 END,
                                       a.published_at NULLS LAST, c.doc_id, c.start) AS rank
    FROM claims c
    JOIN articles a USING (doc_id)
    WHERE c.cluster_id IS NOT NULL
), propositions AS (
    SELECT cluster_id, count(*) AS claims, count(DISTINCT doc_id) AS articles,
           count(DISTINCT copy_group) AS sources, any_value(event_id) AS event_id
    FROM said
    GROUP BY cluster_id
), reports AS (  -- each article that states it, at its first claim there, the earliest published first
    SELECT cluster_id,
           list({'doc_id': doc_id, 'start': start, 'end': "end", 'source': copy_group, 'published_at': published_at}
                ORDER BY published_at NULLS LAST, doc_id) AS reports
    FROM (SELECT *, row_number() OVER (PARTITION BY cluster_id, doc_id ORDER BY start) AS nth FROM said)
    WHERE nth = 1
    GROUP BY cluster_id
), voices AS (  -- who said it and who denied it: named speakers first, the most frequent first
    SELECT cluster_id,
           list(name ORDER BY named DESC, n DESC, name) FILTER (WHERE stance = 'assert') AS speakers,
           list(name ORDER BY named DESC, n DESC, name) FILTER (WHERE stance = 'deny') AS denied_by
    FROM (
        SELECT c.cluster_id, c.stance, coalesce(i.canonical_name, c.speaker) AS name, count(*) AS n,
               bool_or(i.entity_id IS NOT NULL) AS named
        FROM said c
        LEFT JOIN entity_index i ON i.entity_id = c.speaker_entity_id
        WHERE coalesce(i.canonical_name, c.speaker) IS NOT NULL
        GROUP BY ALL
    )
    GROUP BY cluster_id
), representative AS (  -- the claim that says the proposition as `claim_clusters` words it, the first published
    SELECT c.*,
           row_number() OVER (PARTITION BY c.cluster_id
                              ORDER BY c.published_at NULLS LAST, c.doc_id, c.start) AS pick
    FROM said c
    JOIN claim_clusters k ON k.cluster_id = c.cluster_id AND k.representative = c.content
), statement_rows AS (
    SELECT
        f.claim_date AS "date",
        CASE f.claim_date_granularity
            WHEN 'week' THEN f.claim_date + 6
            WHEN 'month' THEN CAST(f.claim_date + INTERVAL 1 MONTH AS DATE) - 1
            WHEN 'quarter' THEN CAST(f.claim_date + INTERVAL 3 MONTH AS DATE) - 1
            WHEN 'half' THEN CAST(f.claim_date + INTERVAL 6 MONTH AS DATE) - 1
            WHEN 'year' THEN CAST(f.claim_date + INTERVAL 1 YEAR AS DATE) - 1
            ELSE f.claim_date
        END AS date_end,
        f.claim_date_granularity AS granularity,
        'said' AS date_source,
        'statement' AS kind,
        o.what,
        coalesce(r.content, f.content) AS text,
        coalesce(o.places, []) AS places,
        CAST(NULL AS VARCHAR[]) AS participants,
        coalesce(v.speakers, []) AS speakers,
        coalesce(v.denied_by, []) AS denied_by,
        p.sources,
        p.articles,
        p.claims AS mentions,
        p.cluster_id IN (SELECT cluster_id FROM contradictions) AS disputed,
        rs.reports,
        p.event_id,
        p.cluster_id,
        coalesce(r.doc_id, f.doc_id) AS doc_id,
        coalesce(r.start, f.start) AS start,
        coalesce(r."end", f."end") AS "end",
        coalesce(r.sentence_start, f.sentence_start) AS sentence_no,
        coalesce(r.sentence_end, f.sentence_end) AS sentence_last
    FROM propositions p
    JOIN said f ON f.cluster_id = p.cluster_id AND f.rank = 1
    LEFT JOIN representative r ON r.cluster_id = p.cluster_id AND r.pick = 1
    LEFT JOIN voices v ON v.cluster_id = p.cluster_id
    LEFT JOIN reports rs ON rs.cluster_id = p.cluster_id
    LEFT JOIN events_overview o ON o.event_id = p.event_id
    WHERE f.claim_date IS NOT NULL
), t AS (
    SELECT * FROM event_rows
    UNION ALL
    SELECT * FROM statement_rows
)
SELECT
    t."date", t.date_end, t.granularity, t.date_source, t.kind, t.what, t.text,
    substr(a.text, s0.start + 1, s1."end" - s0.start) AS sentence,
    t.places, t.participants, t.speakers, t.denied_by, t.sources, t.articles, t.mentions, t.disputed, t.reports,
    a.title, a.publisher, a.published_at, a.source_uri, a.dup_group,
    t.event_id, t.cluster_id, t.doc_id, t.start, t."end", s0.start AS sentence_offset
FROM t
JOIN articles a USING (doc_id)
LEFT JOIN sentences s0 ON s0.doc_id = t.doc_id AND s0.sentence = t.sentence_no
LEFT JOIN sentences s1 ON s1.doc_id = t.doc_id AND s1.sentence = t.sentence_last
ORDER BY t."date", t.date_end, t.kind, t.sources DESC, a.published_at NULLS LAST, t.doc_id, t.start
