"""bench/seed_margins.py's THRESHOLDS against the chapters, read, not run.

The benchmark executes every chapter five times (hours); a check cell renamed or a variable
gone since would only show there, as a RuntimeError or a quantity recorded as an exception.
Here: each marker starts exactly one code cell, a check cell, and each expression compiles and
reads only names that some code cell up to that check cell binds.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import nbformat
import pytest

from bench.seed_margins import THRESHOLDS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _parse(source: str) -> ast.Module:
    # IPython magics and shell escapes (%pip, !ls) are not Python: their lines are left out.
    return ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))


def _binds(node: ast.AST) -> set[str]:
    """The names a cell binds in the notebook's namespace: assignments, for/with/except targets, def, class, import."""
    names: set[str] = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
        elif isinstance(child, ast.alias):
            names.add((child.asname or child.name).split(".")[0])
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(child.name)
        if not isinstance(child, SCOPES):  # a function's or comprehension's own names stay inside it
            names |= _binds(child)
    return names


def _reads(expr: str) -> set[str]:
    """The free names an expression reads: not builtins, not comprehension or lambda variables."""
    tree = ast.parse(expr, mode="eval")
    local = {n.id for c in ast.walk(tree) if isinstance(c, ast.comprehension) for n in ast.walk(c.target) if isinstance(n, ast.Name)}
    local |= {a.arg for f in ast.walk(tree) if isinstance(f, ast.Lambda) for a in ast.walk(f.args) if isinstance(a, ast.arg)}
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return loads - local - set(dir(builtins))


def test_the_helpers_see_bindings_and_free_names():
    cell = "import math as m\nfrom a.b import c\nfor i, (j, k) in x: pass\nwith f() as g: pass\n"
    cell += "def h(p):\n    q = p\n[r for r in s]\n%pip install z\n"
    assert _binds(_parse(cell)) == {"m", "c", "i", "j", "k", "g", "h"}
    assert _reads("max(b - a for a, b in zip(x, x[1:])) / math.log(n) + (lambda v: v)(w)") == {"x", "math", "n", "w"}


def test_every_chapter_has_thresholds_with_unique_names():
    assert sorted(THRESHOLDS) == sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    names = [name for checks in THRESHOLDS.values() for _, quantities in checks for name, *_ in quantities]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


@pytest.mark.parametrize("stem", sorted(THRESHOLDS))
def test_markers_and_expressions_fit_the_chapter(stem):
    code = [c.source for c in nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4).cells if c.cell_type == "code"]
    problems = []
    for marker, quantities in THRESHOLDS[stem]:
        found = [i for i, source in enumerate(code) if source.startswith(marker)]
        if not marker.startswith("# Sanity check") or len(found) != 1:
            problems.append(f"{len(found)} code cells start with {marker!r}, not 1 check cell")
            continue
        bound = set().union(*(_binds(_parse(source)) for source in code[: found[0] + 1]))
        for name, expr, op, threshold in quantities:
            compile(expr, name, "eval")
            assert op in (">=", "<=") and isinstance(threshold, int | float), (name, op, threshold)
            if missing := _reads(expr) - bound:
                problems.append(f"{name!r}: {expr!r} reads {sorted(missing)}, bound by no code cell up to {marker!r}")
    assert not problems, "\n".join(problems)
