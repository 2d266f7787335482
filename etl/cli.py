"""The `etl` command line: a thin layer over `etl.run`, the catalog and the plugin manager."""

from __future__ import annotations

import csv
import gc
import json
import shutil
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import click

from . import __version__
from .catalog import CATALOG_NAME as CATALOG
from .config import STAGES, load_config
from .contracts import Contract, check_plans
from .errors import EtlError, StoreError
from .manager import get_plugin_manager
from .pipeline import Pipeline


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn the host's errors into click errors: a message and exit code 1, no traceback."""
    try:
        yield
    except EtlError as exc:
        raise click.ClickException(str(exc)) from exc


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised where the main thread is, as SIGINT raises `KeyboardInterrupt`."""


@contextmanager
def interruptible(what: str) -> Iterator[None]:
    """SIGTERM (what `kill`, systemd and container runtimes send) stops `what` as Ctrl-C does: the code
    under it unwinds (a run is marked interrupted, its workers stopped) and the command exits 1 with a
    one-line message rather than click's bare "Aborted!". A second SIGTERM ends the process at once."""
    def on_sigterm(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Interrupted("SIGTERM")

    # Signal handlers can only be set from the main thread (a test may run the command in another one).
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_sigterm) if main else None
    try:
        yield
    except KeyboardInterrupt as exc:
        name = "SIGTERM" if isinstance(exc, Interrupted) else "SIGINT"
        raise click.ClickException(f"interrupted by {name} before {what}") from None
    finally:
        if main and previous is not None:  # None: a handler not set from Python, which cannot be put back
            signal.signal(signal.SIGTERM, previous)


class EtlGroup(click.Group):
    """Loads plugin subcommands (`etl_register_commands`) the first time an unknown name is asked for."""

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        # A plugin's failure costs only its own commands: a broken install must not take `etl` down.
        try:
            pm = get_plugin_manager()
        except Exception as exc:
            click.echo(f"warning: plugin commands not loaded: {type(exc).__name__}: {exc}", err=True)
            return
        for impl in pm.hook.etl_register_commands.get_hookimpls():
            try:
                impl.function(**{name: self for name in impl.argnames})
            except Exception as exc:
                click.echo(f"warning: plugin {impl.plugin_name!r} failed to register its commands: "
                           f"{type(exc).__name__}: {exc}", err=True)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command


@click.group(cls=EtlGroup)
@click.version_option(__version__, prog_name="etl")
def cli() -> None:
    """Turn folders of news documents into queryable Parquet tables and DuckDB views.

    \b
    Quick start:
        etl run seeds/
        etl query "SELECT label, count(*) FROM entities GROUP BY 1"
    """


def _config_options(func: Any) -> Any:
    for option in reversed([
        click.option("--out", "-o", type=click.Path(file_okay=False), help="Output folder [default: etl-out]."),
        click.option("--config", "config_file", type=click.Path(dir_okay=False),
                     help="Config file [default: ./etl.toml or [tool.etl] in ./pyproject.toml]."),
        click.option("--plugins-dir", multiple=True, type=click.Path(file_okay=False),
                     help="Load every *.py file of this folder as a plugin (repeatable)."),
    ]):
        func = option(func)
    return func


@cli.command()
# exists=True: a missing input is a bad command line (exit 2, with usage), refused before anything starts.
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@_config_options
@click.option("--workers", "-w", type=click.IntRange(min=1), help="Worker processes [default: the cores].")
@click.option("--batch-size", type=click.IntRange(min=1), help="Documents per batch [default: 64].")
@click.option("--executor", type=click.Choice(["local", "ray"]),
              help="Where parse, clean and extract run: local processes, or Ray tasks [default: local].")
@click.option("--address", "ray_address", metavar="ADDR",
              help="Ray cluster to connect to (with --executor ray; without it, a local Ray runtime is started). "
                   "Inputs and --out must then be on a filesystem every node mounts at the same path.")
@click.option("--disable", multiple=True, help="Disable a plugin by name (repeatable).")
@click.option("--retry-errors", is_flag=True, help="Process again the documents that failed last time.")
@click.option("--prune", is_flag=True, help="Forget documents whose files no longer exist.")
@click.option("--rebuild", is_flag=True,
              help="Start the extraction layer and the manifest afresh and extract every input again (after "
                   "a damaged manifest); the published tables stay readable until this run publishes.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object (one line per run).")
@click.option("--watch", type=click.FloatRange(min=0), metavar="SECONDS",
              help="After the run, look for changes again every SECONDS and run on them, in this process, so the "
                   "models it loaded stay loaded (Ctrl-C or SIGTERM stops it between runs).")
@click.option("--max-runs", type=click.IntRange(min=1), help="With --watch: stop after this many runs.")
def run(paths: tuple[str, ...], out: str | None, config_file: str | None, plugins_dir: tuple[str, ...],
        workers: int | None, batch_size: int | None, executor: str | None, ray_address: str | None,
        disable: tuple[str, ...], retry_errors: bool, prune: bool, rebuild: bool, as_json: bool,
        watch: float | None, max_runs: int | None) -> None:
    """Run the pipeline over PATHS (files or folders) and publish the tables.

    \b
    Example:
        etl run seeds/ --out etl-out --workers 2
        etl run /shared/news --out /shared/etl-out --executor ray --address ray-head:6379
        etl run inbox/ --out etl-out --watch 60       # keeps running: each new file within a minute
    """
    from .progress import progress_display
    from .run import run as run_pipeline

    runs, in_run = 0, False
    try:
        # One handler for the whole watch: a signal between two runs stops it cleanly, one during a run
        # interrupts that run as without --watch.
        with domain_errors(), interruptible("the run completed; the published tables are unchanged, "
                                            "and the next `etl run` picks up where this one stopped"):
            config = load_config(config_file, out=out, workers=workers, batch_size=batch_size,
                                 plugins_dir=plugins_dir, disable=disable, executor=executor, ray_address=ray_address)
            while True:
                in_run = True
                with progress_display(enabled=not as_json and sys.stderr.isatty()) as progress:
                    # --retry-errors and --rebuild are asked of the first run; --prune holds for every run
                    summary = run_pipeline(list(paths), config, retry_errors=retry_errors and not runs, prune=prune,
                                           rebuild=rebuild and not runs, progress=progress)
                in_run = False
                _print_summary(summary, as_json)
                runs += 1
                if watch is None or (max_runs is not None and runs >= max_runs):
                    return
                # What stays between runs (loaded models, plugin state) is frozen out of the cyclic garbage
                # collector's reach: each of its full passes would walk the model's objects again. Thawed
                # first, so that what the last freeze kept and has since become garbage is collected.
                gc.unfreeze()
                gc.collect()
                gc.freeze()
                time.sleep(watch)
    except click.ClickException:
        if in_run or not runs:
            raise
        click.echo(f"stopped watching after {runs} run(s)", err=True)


def _print_summary(summary, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
        return
    docs = summary.documents
    click.echo(f"run {summary.run_id} {summary.status} in {summary.seconds:.1f} s -> {summary.out}")
    if summary.status == "unchanged":
        click.echo(f"nothing changed since run {summary.published}: its tables stay published "
                   f"(enrich and publish skipped)")
    click.echo(f"documents: {docs['seen']} seen, {docs['new']} new, {docs['changed']} changed, "
               f"{docs['unchanged']} unchanged, {docs['failed']} failed")
    enrich = summary.enrich
    if enrich.get("mode") == "incremental":
        click.echo(f"enrich: incremental (documents since the last run: {enrich['added']} added, "
                   f"{enrich['removed']} removed)")
    elif enrich.get("mode") == "full":
        click.echo(f"enrich: whole corpus ({enrich['why']})")
    click.echo("rows: " + ", ".join(f"{table} {count}" for table, count in summary.rows.items()))
    if summary.errors:
        click.echo(f"errors: {summary.errors} (etl query \"SELECT * FROM error_summary\")")
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)


@cli.command()
@click.argument("sql")
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Output folder [default: from config, etl-out].")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def query(sql: str, out: str | None, config_file: str | None, fmt: str) -> None:
    """Run SQL against the published tables and views.

    Only SELECT (and EXPLAIN) runs, and it reads only the published tables: no other files, no
    ATTACH, no extensions. To do more, open the catalog with your own DuckDB client:
    duckdb -readonly OUT/etl.duckdb

    \b
    Example:
        etl query "SELECT label, count(*) FROM entities GROUP BY 1" --format csv
    """
    from .catalog import query as query_catalog

    with domain_errors():
        config = load_config(config_file, out=out)
        columns, rows = query_catalog(config.out, sql)
    _print_rows(columns, rows, fmt)


def _cell(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps([dict(zip(columns, row)) for row in rows], default=str, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        for line in _table_lines(columns, rows, shutil.get_terminal_size((120, 24)).columns):
            click.echo(line)
        click.echo(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")


def _table_lines(columns: list[str], rows: list[tuple[Any, ...]], width: int) -> list[str]:
    """A plain table, one row per line, within `width` terminal cells.

    When the natural widths do not fit, the widest columns are cut first, all to one common width, so
    that short columns (counts, labels) stay whole and a long list or text ends in an ellipsis rather
    than wrapping every column into a narrow strip.
    """
    from rich.cells import cell_len, set_cell_size

    gap = "  "
    cells = [[_cell(v) for v in row] for row in rows]
    natural = [max([cell_len(c) for c in [name, *(row[i] for row in cells)]]) for i, name in enumerate(columns)]
    available = width - len(gap) * max(len(columns) - 1, 0)
    cap = max(natural, default=0)
    while cap > 3 and sum(min(w, cap) for w in natural) > available:
        cap -= 1
    widths = [min(w, cap) for w in natural]
    numeric = [bool(rows) and all(isinstance(row[i], (int, float)) or row[i] is None for row in rows)
               and not all(row[i] is None for row in rows) for i in range(len(columns))]

    def fit(text: str, size: int, right: bool) -> str:
        if cell_len(text) > size:
            text = set_cell_size(text, size - 1) + "…"
        return set_cell_size(text, size) if not right else " " * (size - cell_len(text)) + text

    lines = [gap.join(fit(name, w, r) for name, w, r in zip(columns, widths, numeric)).rstrip(),
             gap.join("─" * w for w in widths)]
    lines += [gap.join(fit(c, w, r) for c, w, r in zip(row, widths, numeric)).rstrip() for row in cells]
    return lines


@cli.command()
@_config_options
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def plugins(out: str | None, config_file: str | None, plugins_dir: tuple[str, ...], as_json: bool) -> None:
    """List every plugin: version, origin, hooks, and the effective order of each stage."""
    with domain_errors():
        config = load_config(config_file, out=out, plugins_dir=plugins_dir)
        pm = get_plugin_manager(plugins_dirs=config.plugins_dir, disabled=config.disable)
        pipeline = Pipeline(pm, config, strict=False)
    order = {stage: [s.plugin for s in pipeline.plans[stage]] for stage in STAGES}
    try:
        check_plans(order, pipeline.contracts, pipeline.names)
        problem = None
    except EtlError as exc:
        problem = str(exc)
    listing = []
    for name, plugin in pm.list_name_plugin():
        origin = pm.origin(name)
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        contracts = {stage: {"needs": list(c.needs), "reads": list(c.reads), "provides": list(c.provides)}
                     for stage in STAGES if (c := pipeline.contract(stage, name)) != Contract()}
        listing.append({
            "name": name, "version": origin.version, "kind": origin.kind, "where": origin.where, "hooks": hooks,
            "status": "disabled" if name in config.disable else "active",
            "stages": [stage for stage in STAGES if name in order[stage]], "contract": contracts,
        })
    for name, why in sorted(pm.broken.items()):
        origin = pm.origin(name)
        listing.append({"name": name, "version": origin.version, "kind": origin.kind, "where": origin.where,
                        "hooks": [], "status": "broken", "error": why, "stages": []})
    for name, origin, why in pm.shadowed:
        listing.append({"name": name, "version": origin.version, "kind": origin.kind, "where": origin.where,
                        "hooks": [], "status": "not loaded", "error": why, "stages": []})
    if as_json:
        click.echo(json.dumps({"plugins": listing, "order": order, "problem": problem}, indent=2))
        return
    click.echo("stage order:")
    for stage in STAGES:
        click.echo(f"  {stage:<8} {' -> '.join(order[stage]) or '(none)'}")
    if problem:
        click.echo(f"this set of plugins cannot run: {problem}")
    click.echo("")
    for item in listing:
        click.echo(f"{item['name']} {item['version'] or ''} [{item['kind']}: {item['where']}] {item['status']}")
        if item["hooks"]:
            click.echo(f"    hooks: {', '.join(item['hooks'])}")
        for stage, contract in item.get("contract", {}).items():
            said = [f"{key} {', '.join(names)}" for key, names in contract.items() if names]
            click.echo(f"    {stage}: {'; '.join(said)}")
        if item.get("error"):
            click.echo(f"    error: {item['error']}")


@cli.command()
@_config_options
def views(out: str | None, config_file: str | None, plugins_dir: tuple[str, ...]) -> None:
    """Rewrite the catalog's views for the published tables (after moving the output folder)."""
    from .catalog import write_catalog
    from .published import tables_in
    from .store import Store

    with domain_errors():
        config = load_config(config_file, out=out, plugins_dir=plugins_dir)
        pipeline = Pipeline(get_plugin_manager(plugins_dirs=config.plugins_dir, disabled=config.disable), config)
        version = Store(Path(config.out)).current_version()
        if version is None:
            raise StoreError(f"nothing is published in {config.out}; run `etl run PATH --out {config.out}` first")
        tables = tables_in(version)
        problems = write_catalog(version / CATALOG, version, tables, pipeline.views)
    click.echo(f"wrote {len(tables)} table views and {len(pipeline.views)} views to {version / CATALOG}")
    for problem in problems:
        click.echo(f"warning: view left out: {problem}", err=True)


def _plugin_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from .scaffold import ScaffoldError, check_name

    try:
        return check_name(value)
    except ScaffoldError as exc:
        raise click.BadParameter(str(exc)) from exc


@cli.command("new-plugin")
@click.argument("name", callback=_plugin_name)
@click.option("--stage", type=click.Choice(STAGES), default="extract", show_default=True,
              help="The stage whose hook the example implements.")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder in which to create the package folder etl-NAME.")
def new_plugin(name: str, stage: str, directory: str) -> None:
    """Write an installable plugin package NAME: pyproject, module, README and a passing test.

    \b
    Example:
        etl new-plugin keywords --stage extract
        cd etl-keywords && pip install -e '.[test]' && python -m pytest
    """
    from .scaffold import PluginNames, create_plugin

    with domain_errors():
        target = create_plugin(name, stage, Path(directory))
    names = PluginNames(name)
    click.echo(f"created {target}: {stage} plugin {name!r} (distribution {names.distribution}, module {names.module})")
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        click.echo(f"  {path.relative_to(target)}")
    click.echo("next:")
    click.echo(f"  cd {target} && pip install -e '.[test]' && python -m pytest")
    click.echo(f"  etl plugins        # lists {name}; `etl run` uses it from now on")
