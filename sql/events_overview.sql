-- Which real-world events do the articles report: what happened, where, when, by whom, first reported when, in how many articles and independent sources, and is it disputed?
-- One row per event (`events.event_id`, one id across documents). Only the mentions that say it happened count:
-- asserted and positive (not hedged, conditional, future, goal or negated), and not `report` events (statements are
-- claims: see `claim_clusters`). An event is kept when it has an event class or at least two articles report it.
WITH m AS (
    SELECT e.*, a.published_at, a.derived_from, coalesce(a.dup_group, a.doc_id) AS copy_group
    FROM events e
    JOIN articles a USING (doc_id)
    WHERE e.event_id IS NOT NULL AND e.modality = 'asserted' AND e.polarity = 'positive'
      AND e.event_class IS DISTINCT FROM 'report'
), counted AS (
    SELECT
        event_id,
        count(*) AS mentions,
        count(DISTINCT doc_id) AS articles,
        count(DISTINCT copy_group) AS sources,
        min(published_at) AS first_reported,
        min(range_start) AS date_from,
        max(range_end) AS date_to
    FROM m
    GROUP BY event_id
    HAVING count(event_class) > 0 OR count(DISTINCT doc_id) >= 2
), classes AS (
    SELECT event_id, first(event_class ORDER BY n DESC, event_class) AS event_class
    FROM (SELECT event_id, event_class, count(*) AS n FROM m WHERE event_class IS NOT NULL GROUP BY ALL)
    GROUP BY event_id
), lemmas AS (
    SELECT event_id, first(lemma ORDER BY n DESC, lemma) AS lemma
    FROM (SELECT event_id, lemma, count(*) AS n FROM m WHERE lemma IS NOT NULL GROUP BY ALL)
    GROUP BY event_id
), first_mention AS (  -- the first mention in the earliest-published article (an original before its rewrite)
    SELECT *, row_number() OVER (PARTITION BY event_id
                                 ORDER BY published_at NULLS LAST, derived_from IS NOT NULL, doc_id, start) AS rank
    FROM m
), reports AS (  -- each article that reports it, at its first mention there, the earliest published first
    SELECT event_id,
           list({'doc_id': doc_id, 'start': start, 'end': "end", 'source': copy_group, 'published_at': published_at}
                ORDER BY published_at NULLS LAST, derived_from IS NOT NULL, doc_id) AS reports
    FROM (SELECT *, row_number() OVER (PARTITION BY event_id, doc_id ORDER BY start) AS nth FROM m)
    WHERE nth = 1
    GROUP BY event_id
), roles AS (  -- places: where it happened, or the place it happened to; participants: who did it, or whom it befell
    SELECT event_id, role, name, count(*) AS n
    FROM (
        SELECT m.event_id, 'place' AS role, i.canonical_name AS name
        FROM m JOIN entity_index i ON i.entity_id = m.place_entity_id
        UNION ALL
        SELECT m.event_id, CASE WHEN i.label IN ('GPE', 'LOC', 'FAC') THEN 'place' ELSE 'participant' END,
               i.canonical_name
        FROM m JOIN entity_index i ON i.entity_id = m.patient_entity_id
        UNION ALL
        SELECT m.event_id, 'participant', i.canonical_name
        FROM m JOIN entity_index i ON i.entity_id = m.agent_entity_id
    )
    GROUP BY event_id, role, name
), named AS (
    SELECT event_id,
           list(name ORDER BY n DESC, name) FILTER (WHERE role = 'place') AS places,
           list(name ORDER BY n DESC, name) FILTER (WHERE role = 'participant') AS participants
    FROM roles
    GROUP BY event_id
)
SELECT
    c.event_id,
    coalesce(k.event_class, l.lemma) AS what,
    k.event_class,
    f.text AS trigger,
    substr(a.text, s.start + 1, s."end" - s.start) AS sentence,
    coalesce(n.places, []) AS places,
    c.date_from,
    c.date_to,
    coalesce(n.participants, []) AS participants,
    c.first_reported,
    c.mentions,
    c.articles,
    c.sources,
    c.event_id IN (SELECT event_id FROM contradictions WHERE event_id IS NOT NULL) AS disputed,
    r.reports,
    a.title,
    a.publisher,
    f.doc_id,
    f.start,
    f."end",
    s.start AS sentence_offset
FROM counted c
JOIN first_mention f ON f.event_id = c.event_id AND f.rank = 1
JOIN articles a ON a.doc_id = f.doc_id
LEFT JOIN sentences s ON s.doc_id = f.doc_id AND s.sentence = f.sentence
LEFT JOIN classes k ON k.event_id = c.event_id
LEFT JOIN lemmas l ON l.event_id = c.event_id
LEFT JOIN named n ON n.event_id = c.event_id
LEFT JOIN reports r ON r.event_id = c.event_id
ORDER BY c.sources DESC, c.articles DESC, c.mentions DESC, c.event_id
