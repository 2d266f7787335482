-- Which entities does the corpus mention, under which names (and how other languages and scripts write them),
-- how often, in how many articles, over which dates?
WITH label_counts AS (
    SELECT entity_id, label, count(*) AS n
    FROM entities
    WHERE entity_id IS NOT NULL
    GROUP BY entity_id, label
), top_label AS (
    SELECT entity_id, first(label ORDER BY n DESC, label) AS label
    FROM label_counts
    GROUP BY entity_id
), written AS (
    -- each form of each entity, by the language of its article and its script (Latin or not)
    SELECT e.entity_id, e.text, e.canonical_name,
        nullif(lower(regexp_extract(coalesce(a.language, ''), '^[A-Za-z]+')), '') AS language,
        regexp_matches(e.text, '\p{Latin}') AS latin,
        count(*) AS n
    FROM entities e LEFT JOIN articles a USING (doc_id)
    -- a nationality adjective ("Ukrainian") is not a way of writing its country's name
    WHERE e.entity_id IS NOT NULL AND e.form IS DISTINCT FROM 'demonym'
    GROUP BY ALL
), home AS (
    -- the languages and scripts in which the entity is written as its canonical name
    SELECT DISTINCT entity_id, language, latin FROM written WHERE text = canonical_name
), home_forms AS (
    SELECT DISTINCT w.entity_id, w.text FROM written w JOIN home h USING (entity_id, latin)
    WHERE w.language IS NOT DISTINCT FROM h.language
), elsewhere AS (
    -- the usual form of every other language and script: not a form the canonical name's own uses, nor a
    -- mention of unknown language in the canonical name's script
    SELECT entity_id, first(text ORDER BY n DESC, length(text), text) AS text
    FROM written w
    WHERE NOT EXISTS (SELECT 1 FROM home_forms f WHERE f.entity_id = w.entity_id AND f.text = w.text)
      AND NOT (language IS NULL AND EXISTS (SELECT 1 FROM home h WHERE h.entity_id = w.entity_id
                                                                   AND h.latin = w.latin))
    GROUP BY entity_id, language, latin
), also AS (
    SELECT entity_id, list_sort(list_distinct(list(text))) AS also_written FROM elsewhere GROUP BY entity_id
)
SELECT
    e.entity_id,
    t.label,
    min(e.canonical_name) AS canonical_name,
    list_sort(list_distinct(list(e.text))) AS aliases,
    coalesce(any_value(x.also_written), []::VARCHAR[]) AS also_written,
    count(*) AS mentions,
    count(DISTINCT e.doc_id) AS documents,
    min(a.published_at) AS first_published,
    max(a.published_at) AS last_published
FROM entities e
JOIN top_label t USING (entity_id)
LEFT JOIN also x USING (entity_id)
LEFT JOIN articles a USING (doc_id)
GROUP BY e.entity_id, t.label
ORDER BY documents DESC, mentions DESC, canonical_name
