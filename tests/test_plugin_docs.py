"""Every hook is documented in docs/plugins.md and exercised by a test: adding a hook without both fails here."""

from __future__ import annotations

import inspect
import re

import pytest

from conftest import REPO
from etl import hookspecs

DOCS = REPO / "docs" / "plugins.md"
TESTS = REPO / "tests"


def hookspecs_with_arguments() -> dict[str, list[str]]:
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return {name: list(inspect.signature(function).parameters)
            for name, function in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(function, marker)}


HOOKS = hookspecs_with_arguments()


def doc_section(name: str) -> str:
    """The text under the `### `name(...)`` heading of docs/plugins.md, up to the next heading."""
    text = DOCS.read_text(encoding="utf-8")
    heading = re.search(rf"^### `{name}\((?P<args>[^)]*)\)`\n", text, re.MULTILINE)
    assert heading, f"docs/plugins.md has no section `### `{name}(...)`` for the hook {name}"
    following = re.search(r"^##", text[heading.end():], re.MULTILINE)
    body = text[heading.end(): heading.end() + following.start()] if following else text[heading.end():]
    return heading.group("args") + "\n" + body


def test_the_hookspecs_are_found():
    assert {"etl_parse", "etl_clean", "etl_extract", "etl_enrich", "etl_load", "etl_register_commands"} <= set(HOOKS)
    assert HOOKS["etl_parse"] == ["source", "config", "run"]


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_each_hook_has_a_doc_section_naming_its_arguments_and_its_call(hook):
    section = doc_section(hook)
    heading_args = [a.strip() for a in section.split("\n", 1)[0].split(",") if a.strip()]
    assert heading_args == HOOKS[hook], f"docs/plugins.md shows {hook}({', '.join(heading_args)})"
    body = section.split("\n", 1)[1]
    assert "**When**" in body and "**Semantics**" in body, f"the {hook} section says when and how it is called"


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_each_hook_is_implemented_by_a_test(hook):
    implementation = re.compile(rf"\bdef {hook}\(")
    users = [p.name for p in sorted(TESTS.rglob("*.py")) if implementation.search(p.read_text(encoding="utf-8"))]
    assert users, f"no test in tests/ implements {hook}: add one that runs a plugin implementing it"
