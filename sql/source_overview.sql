-- Which outlets and source folders does the corpus hold, how much of each, over which dates, and how much failed?
WITH per_article AS (
    SELECT
        a.doc_id,
        -- The outlet, else the web site the URL names, else the folder the file came from.
        coalesce(a.publisher, nullif(regexp_extract(a.url, '^https?://(?:www\.)?([^/:?#]+)', 1), ''),
                 regexp_extract(a.source_uri, '^file://(.*)/[^/]*$', 1)) AS source,
        a.publisher IS NOT NULL OR nullif(regexp_extract(a.url, '^https?://', 0), '') IS NOT NULL AS by_publisher,
        a.word_count,
        a.published_at
    FROM articles a
),
mentions AS (
    SELECT doc_id, count(*) AS n FROM entities GROUP BY doc_id
),
failures AS (
    SELECT coalesce(regexp_extract(source_uri, '^file://(.*)/[^/#]*(#.*)?$', 1), '(unknown)') AS source,
           count(*) AS errors
    FROM errors GROUP BY 1
)
SELECT
    p.source,
    any_value(p.by_publisher) AS is_publisher,
    count(*) AS articles,
    sum(p.word_count) AS words,
    coalesce(sum(m.n), 0) AS entity_mentions,
    min(p.published_at) AS first_published,
    max(p.published_at) AS last_published,
    coalesce(any_value(f.errors), 0) AS errors
FROM per_article p
LEFT JOIN mentions m USING (doc_id)
LEFT JOIN failures f USING (source)
GROUP BY p.source
ORDER BY articles DESC, p.source
