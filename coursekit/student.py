"""Student editions of the chapters: the same notebooks without their solutions.

    python -m coursekit.student notebooks/03_softmax_regression.ipynb -o handout/

Removed from each notebook:

* markdown cells holding a ``{solution}`` directive (sphinx-exercise);
* gated solutions: every cell from a ``{solution-start}`` cell to its ``{solution-end}`` cell
  (text before the ``{solution-start}`` in its cell, such as the exercise, stays);
* any cell tagged ``solution``, such as the check cells that verify an exercise's answer.

Exercises, the chapter's own check cells (they verify what the chapter shows,
not the exercises) and everything else stay, so the edition still runs from
top to bottom. Outputs are cleared.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ._files import atomic_write

__all__ = ["Directive", "directives", "student_edition", "write_student_edition"]

# A sphinx-exercise directive in MyST: a fence of three or more ` or :, the directive's name and
# argument, its option lines, its body, and the same fence closing it (an unclosed fence runs to
# the end of the text, as in CommonMark, so that an unclosed solution is still found).
_DIRECTIVE = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|:{3,})\{(?P<name>exercise|solution|solution-start|solution-end)\}[ \t]*(?P<argument>[^\n]*)\n?"
    r"(?P<options>(?:[ \t]*:[\w-]+:[^\n]*(?:\n|\Z))*)(?P<body>.*?)(?:^[ \t]*(?P=fence)[ \t]*$|\Z)",
    re.M | re.S,
)
_OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>.*?)[ \t]*$", re.M)


@dataclass(frozen=True)
class Directive:
    """One sphinx-exercise directive of a markdown text."""

    name: str  # exercise, solution, solution-start or solution-end
    argument: str  # a solution's exercise label, an exercise's title, or ""
    options: dict[str, str]  # label, class...
    body: str
    start: int  # where its opening fence's line begins in the text


def directives(text: str) -> list[Directive]:
    """The ``{exercise}``, ``{solution}``, ``{solution-start}`` and ``{solution-end}`` directives of a markdown text, in order.

    The one reader of that syntax in the course. Used in: ``make student``,
    ``make assignments`` (tools/assignments.py), the instructor guide's chapter overviews.
    """
    return [
        Directive(
            m.group("name"),
            m.group("argument").strip(),
            {o.group("key"): o.group("value") for o in _OPTION.finditer(m.group("options"))},
            m.group("body"),
            m.start(),
        )
        for m in _DIRECTIVE.finditer(text)
    ]


def _is_tagged_solution(cell: nbformat.NotebookNode) -> bool:
    return "solution" in cell.get("metadata", {}).get("tags", [])


def student_edition(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without its solutions (see the module docstring).

    Raises:
        ValueError: a ``{solution-start}`` without its ``{solution-end}``, or a
            markdown cell holding both an exercise and its solution (the
            solution cannot be cut out cleanly; put it in a cell of its own).

    Used in: ``make student``; the instructor guide.
    """
    kept = []
    inside_gate = False
    for index, cell in enumerate(nb.cells):
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        found = directives(source) if cell.cell_type == "markdown" else []
        names = {d.name for d in found}
        gate = next((d for d in found if d.name == "solution-start"), None)
        if gate:
            if inside_gate:
                raise ValueError(f"cell {index}: a {{solution-start}} inside another gated solution")
            inside_gate = True
            # The exercise may share the cell: keep what comes before the solution's fence.
            source = source[: gate.start].rstrip()
            if not source:
                continue
            cell = nbformat.from_dict({**cell, "source": source})
        elif inside_gate:
            if "solution-end" in names:
                inside_gate = False
            continue
        if _is_tagged_solution(cell):
            continue
        if "solution" in names:
            if "exercise" in names:
                raise ValueError(f"cell {index} holds an exercise and its solution; put each in a cell of its own")
            continue
        kept.append(cell)
    if inside_gate:
        raise ValueError("a {solution-start} has no {solution-end}")
    edition = nbformat.from_dict(nbformat.v4.new_notebook(metadata=dict(nb.metadata)))
    edition.cells = [nbformat.from_dict(dict(cell)) for cell in kept]
    for cell in edition.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(edition)
    return edition


def _read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` (as version 4); ValueError saying in one line what is wrong with the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ValueError("no such file") from error
    except IsADirectoryError as error:
        raise ValueError("is a folder, not a notebook") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot be read ({error})") from error
    if not text.strip():
        raise ValueError("is empty, not a notebook")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"is not a notebook: invalid JSON ({error})") from error
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or not isinstance(data.get("nbformat"), int):
        raise ValueError("is not a Jupyter notebook (it needs 'nbformat' and a list of 'cells')")
    try:
        return nbformat.reads(text, as_version=4)
    except (nbformat.ValidationError, KeyError, TypeError, AttributeError) as error:  # nbformat's ways to fail
        raise ValueError(f"is not a valid notebook ({str(error).splitlines()[0]})") from error


def _same_file(a: Path, b: Path) -> bool:
    return a.exists() and b.exists() and os.path.samefile(a, b)


def write_student_edition(path: str | Path, out_dir: str | Path) -> Path:
    """Write the student edition of the notebook ``path`` into ``out_dir``; return its path.

    Raises:
        ValueError: ``path`` is not a valid notebook, or the output would be
            ``path`` itself (the same folder, or a hard or symbolic link to it).

    Used in: ``make student``.
    """
    path, out_dir = Path(path), Path(out_dir)
    edition = student_edition(_read_notebook(path))
    target = out_dir / path.name
    if target.resolve() == path.resolve() or _same_file(target, path):
        raise ValueError(f"{target} is the chapter itself (or a link to it); choose another output folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    # A new file renamed into place: writing into an existing one would also change every hard link to it.
    with atomic_write(target, encoding="utf-8") as out:  # a full disk, Ctrl-C: no half-written file is left
        nbformat.write(edition, out)
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m coursekit.student``: the exit status, 2 (with one line saying why) on bad input."""
    parser = argparse.ArgumentParser(prog="python -m coursekit.student", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="chapter notebooks")
    parser.add_argument("-o", "--out", type=Path, required=True, help="folder for the student editions")
    args = parser.parse_args(argv)
    for index, path in enumerate(args.notebooks):  # every input checked before anything is written
        try:
            student_edition(_read_notebook(path))
        except ValueError as error:
            print(f"{parser.prog}: {path}: {error}", file=sys.stderr)
            return 2
        target = args.out / path.name
        if clash := next((p for p in args.notebooks if _same_file(target, p)), None):
            print(f"{parser.prog}: {target} is the same file as the input {clash} (a link); choose another output folder", file=sys.stderr)
            return 2
        # casefold: the handout folder may be unpacked where X.ipynb and x.ipynb are one file (Windows, macOS).
        twin = next((p for p in args.notebooks[:index] if p.name.casefold() == path.name.casefold() and not _same_file(p, path)), None)
        if twin is not None:
            print(f"{parser.prog}: {twin} and {path} would both be written to {target}; rename one or use two output folders", file=sys.stderr)
            return 2
    for path in args.notebooks:
        try:
            target = write_student_edition(path, args.out)
        except (OSError, ValueError) as error:
            print(f"{parser.prog}: {path}: cannot write its edition: {error}", file=sys.stderr)
            return 1
        print(f"{path} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
