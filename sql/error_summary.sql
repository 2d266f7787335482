-- What failed to load, at which stage and in which plugin, how often, and one example of each?
SELECT
    stage,
    plugin,
    error_type,
    count(*) AS documents,
    min(message) AS example_message,
    min(source_uri) AS example_source
FROM errors
GROUP BY stage, plugin, error_type
ORDER BY documents DESC, stage, plugin
