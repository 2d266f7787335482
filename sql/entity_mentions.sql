-- Where exactly is each entity mentioned: in which article, which sentence, with what context around it?
-- (`entity_id` leads here from `entity_index`: WHERE entity_id = '...')
SELECT
    e.entity_id,
    e.canonical_name,
    e.label,
    e.text,
    a.title,
    a.publisher,
    a.published_at,
    e.sentence,
    -- a mention in a headline, standfirst or caption has offsets into that segment's text
    substr(coalesce(s.text, a.text), greatest(e.start - 60, 0) + 1, least(e.start, 60)) AS before,
    substr(coalesce(s.text, a.text), e."end" + 1, 60) AS after,
    e.doc_id,
    e.segment,
    s.label AS segment_label,
    e.start,
    e."end",
    a.source_uri,
    e.mention_id
FROM entities e
JOIN articles a USING (doc_id)
LEFT JOIN segments s ON e.segment IS NOT NULL AND s.doc_id = e.doc_id AND s.seq = e.segment
ORDER BY a.source_uri, e.segment NULLS FIRST, e.start
