"""Shared fixtures. spaCy is loaded once per session: every in-process run reuses the model that the
spacy plugin caches, and the seeds are run once into a shared output folder for read-only tests."""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from etl import hookimpl, published
from etl.config import Config
from etl.run import run

REPO = Path(__file__).resolve().parent.parent
#: The plugins that make or read an NLP parse: disabling spacy disables them too (their contracts need
#: it), and natasha would otherwise parse a Russian page of a test that wants no NLP.
NLP_PLUGINS = ("spacy", "natasha", "entities", "claims", "figures", "events")
NO_NLP_ARGS = tuple(arg for name in NLP_PLUGINS for arg in ("--disable", name))
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch):
    """Tests see the built-ins only, whatever else is installed on the machine."""
    monkeypatch.setenv("ETL_DISABLE_PLUGIN_AUTOLOAD", "1")


def run_pipeline(paths, out, pm=None, retry_errors=False, prune=False, rebuild=False, **options):
    """One in-process run (one worker, so spaCy stays loaded) with config `options`."""
    options.setdefault("workers", 1)
    config = Config(out=Path(out), **options)
    paths = paths if isinstance(paths, (list, tuple)) else [paths]
    return run([str(p) for p in paths], config, pm=pm, load_entrypoints=False,
               retry_errors=retry_errors, prune=prune, rebuild=rebuild)


def read_table(out, name):
    return published.read_published(out, name)


def rows(out, name):
    return read_table(out, name).to_pylist()


@pytest.fixture
def seeds_copy(tmp_path):
    """A writable copy of the seeds, for tests that change, add or remove files."""
    target = tmp_path / "corpus"
    target.mkdir()
    for path in sorted(SEEDS.glob("*.txt")):
        (target / path.name).write_bytes(path.read_bytes())
    return target


@pytest.fixture(scope="session")
def seeds_out(tmp_path_factory):
    """The seeds run once; read-only tests share the published output."""
    out = tmp_path_factory.mktemp("seeds") / "etl-out"
    run_pipeline(SEEDS, out)
    return out


@pytest.fixture
def shared_dir():
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this checkout")
    return SHARED


class StandInHtml:
    """A tiny HTML parser for container tests: <title> is the title, each <p> a body paragraph.

    It takes every text/html source first, so container tests do not depend on the real parser.
    """

    @hookimpl(tryfirst=True)
    def etl_parse(self, source, config):
        if source.media_type != "text/html":
            return None
        html = source.read_bytes().decode("utf-8")
        doc = source.document(media_type="text/html")
        if title := re.search(r"<title>(.*?)</title>", html, re.S):
            doc.title = title.group(1).strip()
        for paragraph in re.findall(r"<p>(.*?)</p>", html, re.S):
            doc.add_segment(paragraph.strip(), "body", "stand-in-html")
        return [doc]


def etl(*args, cwd, env=None, check=True):
    """`python -m etl ARGS` as a real subprocess, installed plugins off; fails loudly when `check`."""
    environment = dict(os.environ, ETL_DISABLE_PLUGIN_AUTOLOAD="1", **(env or {}))
    result = subprocess.run([sys.executable, "-m", "etl", *map(str, args)], cwd=cwd, env=environment,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"etl {args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


class NetworkRecorder(http.server.BaseHTTPRequestHandler):
    """A local HTTP server's handler that records every request, for tests proving none is made."""

    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.requests.append(self.path)
        body = b'<!ENTITY leaked "FETCHED-FROM-NETWORK">' if self.path.endswith(".dtd") else b"FETCHED-FROM-NETWORK"
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass
