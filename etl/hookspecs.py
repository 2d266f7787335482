"""Every hook of the `etl` host, typed and documented.

Plugins import only `hookimpl` (``from etl import hookimpl``) and implement any subset of these
functions, with any subset of each hook's arguments. The host always calls hooks with keywords, and a
spec only ever changes by gaining arguments, so a plugin written today keeps working.

Stage hooks (`etl_parse` ... `etl_load`) are called plugin by plugin in the *effective stage order*:
the order given in the config's ``[stages]`` table, else registration order (built-ins first, then
installed plugins, then ``--plugins-dir`` files, with ``tryfirst``/``trylast`` respected) moved as
little as needed for every plugin to come after what it declared it needs (``etl_contract``). ``etl
plugins`` prints that order. Every stage hook may take ``run`` (an ``etl.RunContext``): the run's id and
output folder, the declared tables and views, and ``run.service(name)`` for other plugins' services.
The host calls them one plugin at a time so that a failure is charged to the plugin and document
that caused it; hook wrappers are therefore not supported on stage hooks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    import duckdb
    import pyarrow as pa

    from .changes import Changes
    from .config import Config
    from .context import RunContext
    from .contracts import Contract
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
def etl_contract(config: Config) -> Mapping[str, Contract | Mapping[str, Iterable[str]]]:
    """Declare, per stage, what this plugin needs from others and what it provides to them.

    ``config`` is the run's configuration (settings resolved): what a plugin provides may depend on
    its settings (the languages an NLP plugin covers, ``nlp:fr``, follow the models it is given).

    Return ``{stage: etl.Contract(needs=[...], reads=[...], provides=[...])}``. A name is a table
    (``"entities"``: its rows), a column (``"entities.entity_id"``) or a capability (``"nlp"``, the shared
    parse; ``"dependency_parse"``, a service). ``needs`` must be provided by a plugin that runs before
    this one, or the run is refused before it starts; ``reads`` is used when present (a provider, if
    enabled, runs first). The host orders each stage so that providers come first, and refuses a
    ``[stages]`` order that breaks a need. When this plugin fails on a document, the plugins that need
    what it provides are skipped for that document. A plugin that declares nothing keeps its place in
    registration order. ``etl plugins`` lists every plugin's contract.
    """


@hookspec
def etl_services(config: Config) -> Mapping[str, Any]:
    """Offer capabilities to other plugins: a mapping of name to a callable (or any object).

    Called at most once per process, the first time a plugin asks ``run.service(name)`` for a name that
    this plugin declares in ``provides``. The caller must declare the name in its ``needs`` (or
    ``reads``), which is how the host knows to run this plugin, and to run it first.
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
def etl_parse(source: Source, config: Config, run: RunContext) -> Iterable[Document] | None:
    """Turn one source (a file) into documents.

    Called once per new or changed source, in a worker process. First result wins: a plugin that does
    not recognise the source returns ``None`` and the next plugin is asked. A plugin that recognises it
    returns an iterable of documents made with ``source.document(...)``; a generator is fine and lets a
    big container stream. Decide before yielding: once a plugin has returned, no other is asked.
    Raising ``etl.DocumentError`` (or any exception) turns the source into an ``errors`` row; an
    exception while iterating charges the documents not yet yielded. There is no article without a
    parse, so here a failure costs the document.
    """


@hookspec
def etl_clean(documents: list[Document], config: Config, run: RunContext) -> None:
    """Clean a batch of documents in place.

    Called once per batch for every clean plugin, in stage order, in a worker process. Edit each
    document's ``segments`` (their ``text`` and ``label``) and metadata; do not drop segments, relabel
    them. After the last clean plugin the host sets ``document.text`` to the body segments joined by
    blank lines and records each body segment's offsets. A plugin that raises on a document leaves it
    as it was before the call (an ``errors`` row names the plugin); the document goes on.
    """


@hookspec
def etl_extract(documents: list[Document], config: Config, run: RunContext) -> None:
    """Append records to a batch of documents.

    Called once per batch for every extract plugin, in stage order, in a worker process. Read
    ``document.text`` (and ``document.nlp``, the shared parse attached by the first NLP plugin) and
    append rows with ``document.add(table, **row)``. Offsets are Python character offsets into
    ``document.text``. The host sets ``plugin`` on each row to your plugin's name when you leave it out.
    A plugin that raises on a document loses only its own rows for that document (an ``errors`` row
    names the document and the plugin); the article and every other plugin's rows stay, and the plugins
    that need what it provides are skipped for that document.
    """


@hookspec
def etl_enrich(db: duckdb.DuckDBPyConnection, config: Config, run: RunContext, changes: Changes | None) -> None:
    """Work across documents: link, group and complete what extraction found in each.

    Called once per run for every enrich plugin, in stage order, in the main process, after every
    document is extracted. ``db`` holds one table per declared table with every current row; update the
    tables and columns your contract ``provides``, keeping each table's columns and, for tables you do
    not provide, their rows. Each plugin runs in its own transaction: an exception (or a change to a
    table outside the contract) rolls back everything it did, an ``errors`` row (stage ``enrich``)
    names it, and the run goes on and publishes. Do not begin or commit transactions yourself.

    ``changes`` is None unless your enrich contract declares ``incremental=True``. Then, when the host
    has the previous run's enrich state, ``db`` is that state with the changed documents' rows swapped
    and ``changes`` (`etl.Changes`) says which documents were added, removed or touched: bring what you
    provide up to date so that it equals what a call over the whole corpus would give. When the host
    has no usable state (a first run, a plugin or setting changed, a plugin without incremental support
    in the plan), every plugin gets the whole corpus and ``changes`` is None.
    """


@hookspec
def etl_load(db: duckdb.DuckDBPyConnection, config: Config, run: RunContext) -> None:
    """Publish the tables.

    Called once per run for every load plugin, in stage order, in the main process, after enrich.
    Write into ``run.staging_dir``: the host makes that folder the published version with one atomic
    rename once every loader has returned. ``run.tables`` holds the declared schemas and ``run.views``
    the view definitions. An exception aborts the publish and the previous version stays published.
    """
