-- Which figures about the same thing disagree (one quantity of one place or thing, different values from different reports)?
WITH f AS (
    SELECT f.*, a.dup_group, coalesce(a.title, a.source_uri) AS document,
           CASE WHEN f.counts IN ('residents', 'people', 'inhabitants', 'population') THEN 'population'
                ELSE coalesce(f.counts, f.unit) END AS measure,
           e.canonical_name AS about
    FROM figures f
    JOIN articles a USING (doc_id)
    LEFT JOIN (SELECT entity_id, any_value(canonical_name) AS canonical_name FROM entities GROUP BY 1) e
           ON e.entity_id = f.about_entity_id
    WHERE f.about_entity_id IS NOT NULL
), per_value AS (
    SELECT about_entity_id, about, measure, quantity, unit,
           list_sort(list(DISTINCT text)) AS written_as,
           list_sort(list(DISTINCT document)) AS documents,
           list({'doc_id': doc_id, 'start': start, 'end': "end", 'text': text, 'article': document}
                ORDER BY doc_id, start) AS mentions,
           count(DISTINCT dup_group) AS sources
    FROM f
    GROUP BY ALL
)
SELECT
    about,
    measure,
    unit,
    count(*) AS distinct_values,
    list({'quantity': quantity, 'written_as': written_as, 'sources': sources, 'documents': documents,
               'mentions': mentions}
         ORDER BY sources DESC, quantity) AS values,
    sum(sources) AS sources,
    about_entity_id
FROM per_value
GROUP BY about_entity_id, about, measure, unit
HAVING count(*) > 1
ORDER BY sources DESC, about
