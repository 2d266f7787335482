"""`etl report` (the built-in plugin `report`): the published tables rendered into one self-contained HTML page.

The page needs no server and no network: its style, script and data are inline, and a Content-Security-
Policy allows only its own script (by hash), so nothing in an article can run code or fetch anything.
The static sections are rendered here with Jinja's autoescaping; the timeline chart and the article viewer
are drawn by the page's script from an embedded JSON block. The tables are read through `etl.open_catalog`,
the sandbox of `etl query`: the report reads the published tables and nothing else. `plugin.py` adds the
command.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from etl import __version__, open_catalog

from . import data
from .data import Limits, safe_href
from .timeline import embedded_articles, timeline

__all__ = ["Limits", "ReportSummary", "safe_href", "write_report"]


@dataclass(frozen=True)
class ReportSummary:
    path: Path
    bytes: int
    articles_embedded: int
    sections: dict[str, int]


def write_report(out: str | os.PathLike[str], file: str | os.PathLike[str] | None = None,
                 limits: Limits = Limits()) -> ReportSummary:
    """Render the tables published in `out` into `file` (default `<out>/report.html`), atomically."""
    out = Path(out)
    target = Path(file) if file is not None else out / "report.html"
    with open_catalog(out) as con:
        context = gather(con, limits)
    context["out"] = str(out.resolve())
    page = render(context)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Created like any file the user writes (0666 less the umask), not 0600 as a temporary file would be.
    tmp = target.parent / f".report-{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sections = {"contradictions": len(context["disputes"]), "timeline_bins": len(context["timeline"]["bins"]),
                "figure_conflicts": len(context["figures"]), "errors": context["errors"]["total"]}
    return ReportSummary(target, len(page.encode("utf-8")), len(context["articles"]), sections)


def gather(con: duckdb.DuckDBPyConnection, limits: Limits) -> dict[str, Any]:
    store = data.ArticleStore()
    context = {
        "overview": data.overview(con),
        "disputes": data.disputes(con, store, limits),
        "timeline": timeline(con, store, limits),
        "entities": data.entities(con, store, limits),
        "sources": data.sources(con, store, limits),
        "figures": data.figure_conflicts(con, store, limits),
        "errors": data.errors(con, limits),
    }
    context["articles"] = embedded_articles(con, store, limits)
    return context


def render(context: dict[str, Any]) -> str:
    import jinja2  # here: every `etl` command loads this plugin, only `etl report` renders

    assets = resources.files(__package__)
    js = assets.joinpath("report.js").read_text(encoding="utf-8")
    css = assets.joinpath("report.css").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
    env.filters.update(day=_day, moment=_moment, number=_number, truncate_list=_truncate_list)
    template = env.from_string(assets.joinpath("page.html.j2").read_text(encoding="utf-8"))
    embedded = {"timeline": context["timeline"], "articles": context["articles"]}
    return template.render(
        **context, css=css, js=js, script_hash=_csp_hash(js), data_json=script_json(embedded),
        version=__version__, generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: no `</script>`, `<!--` or line separators can form."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _csp_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def _day(value: date | datetime | None) -> str:
    return data.iso(value) or "(undated)"


def _moment(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else "(not finished)"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _truncate_list(values: list[str], most: int) -> str:
    shown = ", ".join(values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")
