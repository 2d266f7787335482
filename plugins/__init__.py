"""The built-in plugins, installed as the `etl_plugins` package.

Each module is an ordinary plugin: the host registers them by the names below, in this order, exactly
as it registers third-party plugins, so any of them can be disabled, reordered or replaced in the
config. Within a stage the default order is this order.
"""

DEFAULT_PLUGINS = (
    ("warc", "etl_plugins.warc.plugin"),
    ("jsonl", "etl_plugins.jsonl"),
    ("html", "etl_plugins.html"),
    ("markdown", "etl_plugins.markdown"),
    ("text", "etl_plugins.text"),
    ("pdf", "etl_plugins.pdf"),
    ("docx", "etl_plugins.docx"),
    ("normalize", "etl_plugins.normalize"),
    ("furniture", "etl_plugins.furniture"),
    ("metadata", "etl_plugins.metadata"),
    ("language", "etl_plugins.language"),
    ("spacy", "etl_plugins.spacy.plugin"),
    ("natasha", "etl_plugins.natasha.plugin"),
    ("entities", "etl_plugins.entities.plugin"),
    ("dates", "etl_plugins.dates.plugin"),
    ("figures", "etl_plugins.figures"),
    ("claims", "etl_plugins.claims.plugin"),
    ("events", "etl_plugins.events.plugin"),
    ("entity_links", "etl_plugins.entities.links"),
    ("copies", "etl_plugins.copies"),
    ("event_links", "etl_plugins.events.links"),
    ("claim_clusters", "etl_plugins.claims.clusters"),
    ("parquet", "etl_plugins.parquet"),
    ("report", "etl_plugins.report.plugin"),
)
