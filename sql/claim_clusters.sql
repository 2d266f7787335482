-- Which propositions do the sources state, who asserts and who denies each, and how many independent reports stand on each side?
WITH c AS (
    SELECT c.*, a.dup_group, a.title, a.publisher, a.source_uri,
           coalesce(e.canonical_name, c.speaker) AS speaker_name,
           coalesce(c.speaker_entity_id, lower(trim(c.speaker))) AS speaker_key
    FROM claims c
    JOIN articles a USING (doc_id)
    LEFT JOIN (SELECT entity_id, any_value(canonical_name) AS canonical_name FROM entities GROUP BY 1) e
           ON e.entity_id = c.speaker_entity_id
    WHERE c.cluster_id IS NOT NULL
), classes AS (
    SELECT event_id, mode(event_class) AS event_class
    FROM events WHERE event_class IS NOT NULL AND event_id IN (SELECT event_id FROM claims) GROUP BY 1
)
SELECT
    cluster_id,
    any_value(c.event_id) AS event_id,
    any_value(classes.event_class) AS event_class,
    -- The shortest assertion that names something (a capital letter past the first word), else any.
    coalesce(arg_min(content, (length(content), content)) FILTER (WHERE stance = 'assert' AND length(content) >= 25
                                                     AND regexp_matches(content, '\s[A-Z]')),
             arg_min(content, (length(content), content)) FILTER (WHERE stance = 'assert'),
             arg_min(content, (length(content), content))) AS representative,
    count(*) AS claims,
    count(DISTINCT doc_id) AS documents,
    list(DISTINCT speaker_name) FILTER (WHERE stance = 'assert') AS asserted_by,
    list(DISTINCT speaker_name) FILTER (WHERE stance = 'deny') AS denied_by,
    list(DISTINCT speaker_key) FILTER (WHERE stance = 'assert') AS asserting_speakers,
    list(DISTINCT speaker_key) FILTER (WHERE stance = 'deny') AS denying_speakers,
    list(DISTINCT coalesce(title, source_uri)) FILTER (WHERE stance = 'assert') AS asserting_documents,
    list(DISTINCT coalesce(title, source_uri)) FILTER (WHERE stance = 'deny') AS denying_documents,
    count(DISTINCT dup_group) FILTER (WHERE stance = 'assert') AS asserting_sources,
    count(DISTINCT dup_group) FILTER (WHERE stance = 'deny') AS denying_sources,
    min(claim_date) AS first_said,
    max(claim_date) AS last_said
FROM c LEFT JOIN classes ON classes.event_id = c.event_id
GROUP BY cluster_id
ORDER BY count(DISTINCT dup_group) DESC, claims DESC, cluster_id
