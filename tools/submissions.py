"""Synthetic submissions of a built assignment, for tests/test_assignments.py and bench/grading.py.

A submission is the student notebook as handed out, with its answer cells filled
in: by default with the solutions (full marks), or with code of your own for
some questions, and extra cells where you want them.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

ANSWER_TAG = "otter_answer_cell"  # otter's tag for the cells a student fills in
SOLUTION_TAG = "otter_assign_solution_cell"  # the same cells in the solutions notebook


def _notebook(assignment: Path, edition: str) -> nbformat.NotebookNode:
    name = assignment.name
    return nbformat.read(assignment / edition / f"{name}.ipynb", as_version=4)


def solution_answers(assignment: Path) -> list[str]:
    """The solutions of the code answer cells, in the order of the student notebook."""
    solutions = _notebook(assignment, "solutions")
    return [cell.source for cell in solutions.cells if cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", [])]


def student_notebook(assignment: Path) -> nbformat.NotebookNode:
    """The student notebook as handed out."""
    return _notebook(assignment, "student")


def _defines(source: str, name: str) -> bool:
    return f"def {name}(" in source or f"class {name}(" in source


def submission(
    assignment: Path,
    answers: dict[str, str] | None = None,
    extra_cells: dict[str, str] | None = None,
) -> nbformat.NotebookNode:
    """The student notebook with every code answer cell solved, except those ``answers`` replaces.

    ``answers`` maps a name that the solution defines (``"cross_entropy_logits"``) to the code
    that replaces that answer cell; ``extra_cells`` maps such a name to a code cell inserted
    just after that answer cell (``"start"`` puts it before the first cell, ``"end"`` after the last).
    """
    answers, extra_cells = answers or {}, extra_cells or {}
    nb = copy.deepcopy(student_notebook(assignment))
    solved = iter(solution_answers(assignment))
    cells = [nbformat.v4.new_code_cell(extra_cells["start"])] if "start" in extra_cells else []
    replaced, placed = set(), set()
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code" or ANSWER_TAG not in cell.metadata.get("tags", []):
            continue
        source = next(solved)
        for name, code in answers.items():
            if _defines(source, name):
                source = code
                replaced.add(name)
        cell.source = source
        for name, code in extra_cells.items():
            if _defines(source, name):
                cells.append(nbformat.v4.new_code_cell(code))
                placed.add(name)
    if "end" in extra_cells:
        cells.append(nbformat.v4.new_code_cell(extra_cells["end"]))
    unknown = (set(answers) - replaced) | (set(extra_cells) - placed - {"start", "end"})
    if unknown:
        raise KeyError(f"no answer cell defines {sorted(unknown)}")
    nb.cells = cells
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
