-- Which entities does the corpus mention, under which names, how often, in how many articles, over which dates?
WITH label_counts AS (
    SELECT entity_id, label, count(*) AS n
    FROM entities
    WHERE entity_id IS NOT NULL
    GROUP BY entity_id, label
), top_label AS (
    SELECT entity_id, first(label ORDER BY n DESC, label) AS label
    FROM label_counts
    GROUP BY entity_id
)
SELECT
    e.entity_id,
    t.label,
    min(e.canonical_name) AS canonical_name,
    list_sort(list_distinct(list(e.text))) AS aliases,
    count(*) AS mentions,
    count(DISTINCT e.doc_id) AS documents,
    min(a.published_at) AS first_published,
    max(a.published_at) AS last_published
FROM entities e
JOIN top_label t USING (entity_id)
LEFT JOIN articles a USING (doc_id)
GROUP BY e.entity_id, t.label
ORDER BY documents DESC, mentions DESC, canonical_name
