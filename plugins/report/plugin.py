"""The `report` plugin's hooks: it adds the `etl report` command, and does nothing in any stage."""

from __future__ import annotations

import click

from etl import EtlError, hookimpl, load_config

NAME = "report"


@hookimpl
def etl_register_commands(cli):
    @cli.command()
    @click.option("--out", "-o", type=click.Path(file_okay=False),
                  help="Output folder [default: from config, etl-out].")
    @click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file.")
    @click.option("--file", "file", type=click.Path(dir_okay=False),
                  help="Where to write the page [default: OUT/report.html].")
    def report(out: str | None, config_file: str | None, file: str | None) -> None:
        """Render the published tables into one self-contained HTML page (opens offline in any browser)."""
        # Imported here: `etl --help` should not pay for Jinja.
        from . import write_report

        try:
            config = load_config(config_file, out=out)
            summary = write_report(config.out, file)
        except EtlError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"wrote {summary.path} ({summary.bytes / 1e6:.1f} MB): "
                   f"{summary.sections['contradictions']} contradictions, {summary.sections['timeline_bins']} "
                   f"timeline bins, {summary.sections['figure_conflicts']} figure conflicts, "
                   f"{summary.sections['errors']} errors, {summary.articles_embedded} articles linked")
