-- Which propositions are asserted by some sources and denied by others, by whom and where (copies of one report counted once)?
SELECT
    cluster_id,
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
WHERE asserting_sources > 0 AND denying_sources > 0
ORDER BY least(asserting_sources, denying_sources) DESC, asserting_sources + denying_sources DESC, claims DESC
