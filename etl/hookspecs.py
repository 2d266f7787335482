"""Every hook of the `etl` host, typed and documented.

Plugins import only `hookimpl` (``from etl import hookimpl``) and implement any subset of these
functions, with any subset of each hook's arguments. The host always calls hooks with keywords, and a
spec only ever changes by gaining arguments, so a plugin written today keeps working.

Stage hooks (`etl_parse` ... `etl_load`) are called plugin by plugin in the *effective stage order*:
the order given in the config's ``[stages]`` table, else registration order (built-ins first, then
installed plugins, then ``--plugins-dir`` files), with ``tryfirst``/``trylast`` respected. ``etl
plugins`` prints that order. The host calls them one plugin at a time so that a failure is charged to
the plugin and document that caused it; hook wrappers are therefore not supported on stage hooks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    import duckdb
    import pyarrow as pa

    from .config import Config
    from .model import Document
    from .sources import Source

PROJECT_NAME = "etl"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

# --- declaration hooks: called once when the pipeline is built -------------------------------------


@hookspec
def etl_settings() -> Mapping[str, Any]:
    """Declare this plugin's settings and their defaults.

    Called once per plugin when the configuration is validated. Return a mapping of setting name to
    default value, or to an ``etl.Setting`` when the default alone does not give the type (``None``) or
    a help text is wanted. Users set values in ``[plugins.<name>]`` of the config; an unknown name or a
    value of the wrong type is an error naming the plugin and the setting. Read the effective values
    with ``config.settings("<name>")``.
    """


@hookspec
def etl_fingerprint(config: Config) -> str | None:
    """Return extra state that changes this plugin's output, beyond its version and settings.

    Called once per run, in the main process. The value joins the pipeline fingerprint: when it changes,
    every document is processed again. A model plugin returns its model's name and version here.
    """


@hookspec
def etl_tables() -> Mapping[str, pa.Schema]:
    """Declare extra tables this plugin produces: a mapping of table name to ``pyarrow.Schema``.

    Called once at start; all results are merged (a name declared twice is an error). ``doc_id`` and
    ``run_id`` are added to a schema that lacks them. Rows are appended per document in
    ``etl_extract`` with ``document.add(table, **row)``, or written whole in ``etl_enrich``. Each table
    is published as Parquet with exactly this schema and gets a view of the same name.
    """


@hookspec
def etl_views() -> Mapping[str, str]:
    """Contribute SQL views: a mapping of view name to a DuckDB ``SELECT`` statement.

    Called once at start; all results are merged. The statement may read any table or view by name.
    Start it with a ``--`` comment saying which question the view answers.
    """


@hookspec
def etl_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``etl`` command line: ``@cli.command()`` inside the implementation.

    Called once, the first time the command line is asked for a command it does not know or for its
    list of commands; every built-in and installed plugin is called. A plugin that raises loses its
    commands: `etl` prints a warning naming it and the other commands work.
    """


# --- stage hooks: the pipeline -----------------------------------------------------------------------


@hookspec(firstresult=True)
def etl_parse(source: Source, config: Config) -> Iterable[Document] | None:
    """Turn one source (a file) into documents.

    Called once per new or changed source, in a worker process. First result wins: a plugin that does
    not recognise the source returns ``None`` and the next plugin is asked. A plugin that recognises it
    returns an iterable of documents made with ``source.document(...)``; a generator is fine and lets a
    big container stream. Decide before yielding: once a plugin has returned, no other is asked.
    Raising ``etl.DocumentError`` (or any exception) turns the source into an ``errors`` row; an
    exception while iterating charges the documents not yet yielded.
    """


@hookspec
def etl_clean(documents: list[Document], config: Config) -> None:
    """Clean a batch of documents in place.

    Called once per batch for every clean plugin, in stage order, in a worker process. Edit each
    document's ``segments`` (their ``text`` and ``label``) and metadata; do not drop segments, relabel
    them. After the last clean plugin the host sets ``document.text`` to the body segments joined by
    blank lines and records each body segment's offsets.
    """


@hookspec
def etl_extract(documents: list[Document], config: Config) -> None:
    """Append records to a batch of documents.

    Called once per batch for every extract plugin, in stage order, in a worker process. Read
    ``document.text`` (and ``document.nlp``, the shared parse attached by the first NLP plugin) and
    append rows with ``document.add(table, **row)``. Offsets are Python character offsets into
    ``document.text``. Set ``plugin`` on each row to your plugin's name.
    """


@hookspec
def etl_enrich(db: duckdb.DuckDBPyConnection, config: Config) -> None:
    """Work across the whole corpus.

    Called once per run for every enrich plugin, in stage order, in the main process, after every
    document is extracted. ``db`` holds one table per declared table with every current row; update or
    replace them with SQL or Arrow, keeping each table's columns. An exception is recorded in
    ``errors`` (stage ``enrich``) and the run goes on with the tables as the plugin left them.
    """


@hookspec
def etl_load(db: duckdb.DuckDBPyConnection, config: Config) -> None:
    """Publish the tables.

    Called once per run for every load plugin, in stage order, in the main process, after enrich.
    Write into ``config.run.staging_dir``: the host makes that folder the published version with one
    atomic rename once every loader has returned. ``config.run.tables`` holds the declared schemas and
    ``config.run.views`` the view definitions. An exception aborts the publish and the previous
    version stays published.
    """
