"""The "Used in:" line of every public docstring: present, and true of the chapters it names.

A claim is checked against the code cells of the chapters' notebooks: a name is
used in a chapter when the chapter writes ``coursekit.NAME`` (or
``coursekit.data.NAME``, or imports it from coursekit). Where the line says a
chapter uses the name *through* others ("chapters 1, 2, 3 and 5 through
``set_figsize``"), a use of one of those double-backquoted names counts too. ``no chapter`` is a claim as well: no chapter may use the name. Internal
callers (``train_ch3``, "the loaders") name no chapter and are not checked.
"""

from __future__ import annotations

import inspect
import json
import re
from functools import cache
from pathlib import Path

import pytest

import coursekit

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = {int(path.name[:2]): path for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
# "chapter 3", "chapters 3 and 5", "chapters 1, 2, 3 and 5", "chapters 3 or 5"
CHAPTER_NUMBERS = re.compile(r"\bchapters?\s+(\d+(?:\s*(?:,|and|or|,\s*and)\s*\d+)*)", re.I)
# ``name`` and :func:`name` (a route: "through ``set_figsize``", "as what ``fit`` returns")
ROUTE = re.compile(r"``(\w+)``|:\w+:`~?(?:\w+\.)*(\w+)`")

# Known defects, name -> reason (none today): marked as strict expected failures, so that
# fixing one fails the test until it leaves the list.
FALSE_CLAIMS: dict[str, str] = {}
# Public callables known to lack a "Used in:" line (none today).
NO_USED_IN: set[str] = set()


@cache
def chapter_code(number: int) -> str:
    notebook = json.loads(CHAPTERS[number].read_text())
    return "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")


def uses(number: int, name: str) -> bool:
    """True if chapter ``number``'s code cells use coursekit's ``name``."""
    code = chapter_code(number)
    attribute = re.search(rf"\bcoursekit(?:\.\w+)*\.{re.escape(name)}\b", code)
    imported = re.search(rf"^\s*from coursekit[\w.]* import [^\n]*\b{re.escape(name)}\b", code, re.M)
    return bool(attribute or imported)


def used_in(obj: object) -> str | None:
    """The text of the docstring's "Used in:" paragraph, on one line (None without one)."""
    found = re.search(r"Used in:(.*?)(?:\n\s*\n|\Z)", inspect.getdoc(obj) or "", re.S)
    return " ".join(found.group(1).split()) if found else None


def claims(text: str) -> list[tuple[set[int], set[str], bool]]:
    """(chapters, route names, whether it says "no chapter") for each ';'-separated clause of a Used in line."""
    result = []
    for clause in text.split(";"):
        chapters = {int(n) for match in CHAPTER_NUMBERS.finditer(clause) for n in re.findall(r"\d+", match.group(1))}
        if re.fullmatch(r"\s*every chapter\.?\s*", clause, re.I):
            chapters = set(CHAPTERS)
        routes = {a or b for a, b in ROUTE.findall(clause)}
        result.append((chapters, routes, "no chapter" in clause.lower()))
    return result


def wrong_claims(name: str, text: str) -> list[str]:
    """What the Used in line of coursekit's ``name`` claims that the chapters do not bear out."""
    wrong = []
    for chapters, routes, none in claims(text):
        if none:
            wrong += [f"says no chapter, but chapter {n} uses it" for n in CHAPTERS if uses(n, name)]
            continue
        for n in sorted(chapters):
            if n not in CHAPTERS:
                wrong.append(f"names chapter {n}, which does not exist")
            elif not any(uses(n, used) for used in {name, *routes}):
                wrong.append(f"names chapter {n}, which uses none of {sorted({name, *routes})}")
    return wrong


PUBLIC_CALLABLES = [name for name in coursekit.__all__ if callable(getattr(coursekit, name))]
CLAIMING = [name for name in PUBLIC_CALLABLES if used_in(getattr(coursekit, name)) is not None]


def _strict_xfail(names: list[str], known: dict[str, str]) -> list:
    """``names`` as parameters, those in ``known`` expected to fail (strictly: a fix must update ``known``)."""
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=known[name])) if name in known else name for name in names]


def test_the_parser_reads_the_forms_the_docstrings_use():
    assert claims("chapters 1, 2, 3 and 5 through ``set_figsize``.") == [({1, 2, 3, 5}, {"set_figsize"}, False)]
    assert claims("chapter 4; chapter 3 (the means) and chapter 5") == [({4}, set(), False), ({3, 5}, set(), False)]
    assert claims("``train_ch3``; the loaders") == [(set(), {"train_ch3"}, False), (set(), set(), False)]
    assert claims("chapters 3 and 5, through :func:`evaluate_accuracy`") == [({3, 5}, {"evaluate_accuracy"}, False)]
    assert claims("every chapter.") == [(set(CHAPTERS), set(), False)]
    assert claims("no chapter (they train on one device)")[0][2] is True
    assert claims("No chapter since the second edition (chapter 5 calls :func:`evaluate`)")[0][2] is True


def test_every_chapter_is_found():
    assert sorted(CHAPTERS) == [1, 2, 3, 4, 5]
    assert uses(3, "fit") and not uses(1, "fit")


@pytest.mark.parametrize("name", _strict_xfail(PUBLIC_CALLABLES, dict.fromkeys(NO_USED_IN, "no Used in line yet")))
def test_public_callables_say_where_they_are_used(name):
    assert used_in(getattr(coursekit, name)) is not None, f"{name}: the docstring lacks a 'Used in:' line"


@pytest.mark.parametrize("name", _strict_xfail(CLAIMING, FALSE_CLAIMS))
def test_the_chapters_named_use_the_name(name):
    text = used_in(getattr(coursekit, name))
    assert wrong_claims(name, text) == [], f"{name}: Used in: {text}"
