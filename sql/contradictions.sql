-- Which events do some speakers say happened and others deny (or state the opposite of), by whom and where (copies of one report counted once)?
SELECT
    cluster_id,
    event_id,
    event_class,
    representative,
    asserted_by,
    asserting_documents,
    asserting_sources,
    denied_by,
    denying_documents,
    denying_sources,
    claims,
    first_said,
    last_said
FROM claim_clusters
-- A proposition about an event of a known kind (a capture, an attack, a vote: not "take" or "believe",
-- whose mentions across reports are rarely one event), with a speaker on each side who is not on the
-- other: one speaker who says a thing and later qualifies it is not a dispute.
WHERE event_class IS NOT NULL AND event_class <> 'report' AND asserting_sources > 0 AND denying_sources > 0
  AND NOT list_has_all(denying_speakers, asserting_speakers)
  AND NOT list_has_all(asserting_speakers, denying_speakers)
ORDER BY least(asserting_sources, denying_sources) DESC, asserting_sources + denying_sources DESC, claims DESC
