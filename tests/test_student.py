"""coursekit.student: the student edition drops solutions and still runs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from coursekit.student import main, student_edition

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell


def _chapter_like() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        md("# Title"),
        code("x = 2"),
        code("# Sanity check (hidden in the book)\nassert x == 2", metadata={"tags": ["remove-cell"]}),
        md("```{exercise}\n:label: ch9-ex1\n\nSquare x.\n```"),
        md("```{solution} ch9-ex1\n:class: dropdown\n\n$x^2 = 4$\n```"),
        md("```{exercise}\n:label: ch9-ex2\n\nCube x.\n```"),
        md("```{solution-start} ch9-ex2\n:class: dropdown\n```"),
        code("cube = x ** 3\nprint(cube)", metadata={"tags": ["solution"]}),
        md("```{solution-end}\n```"),
        code("# Sanity check of the answer\nassert cube == 8", metadata={"tags": ["remove-cell", "solution"]}),
        md("## References"),
    ]
    return nb


def test_solutions_and_their_checks_are_removed():
    edition = student_edition(_chapter_like())
    sources = [c.source for c in edition.cells]
    assert sources == ["# Title", "x = 2", "# Sanity check (hidden in the book)\nassert x == 2",
                       "```{exercise}\n:label: ch9-ex1\n\nSquare x.\n```", "```{exercise}\n:label: ch9-ex2\n\nCube x.\n```", "## References"]


def test_the_edition_runs(tmp_path):
    edition = student_edition(_chapter_like())
    NotebookClient(edition, timeout=60, kernel_name="python3").execute()
    assert edition.cells[1].execution_count == 1


def test_an_unclosed_gate_or_a_mixed_cell_is_an_error():
    nb = _chapter_like()
    del nb.cells[8]  # the {solution-end}
    with pytest.raises(ValueError, match="no \\{solution-end\\}"):
        student_edition(nb)
    nb = _chapter_like()
    nb.cells[4].source = nb.cells[3].source + "\n\n" + nb.cells[4].source
    with pytest.raises(ValueError, match="exercise and its solution"):
        student_edition(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chapter_has_a_student_edition_without_answers(path, tmp_path):
    assert main([str(path), "-o", str(tmp_path)]) == 0
    original = nbformat.read(path, as_version=4)
    edition = nbformat.read(tmp_path / path.name, as_version=4)
    text = "\n".join(c.source for c in edition.cells)
    assert "{solution" not in text
    assert text.count("{exercise}") == "\n".join(c.source for c in original.cells).count("{exercise}") >= 4
    # Code cells are the chapter's, in order; solution cells are gone.
    kept = [c.source for c in edition.cells if c.cell_type == "code"]
    originals = [c.source for c in original.cells if c.cell_type == "code"]
    assert kept == [s for s in originals if s in kept]
    assert not any("solution" in c.metadata.get("tags", []) for c in edition.cells)


def test_a_whole_student_edition_runs(tmp_path):
    """The shortest chapter's edition runs top to bottom (the others share its structure)."""
    path = next(p for p in NOTEBOOKS if p.name.startswith("01_"))
    target = tmp_path / path.name
    main([str(path), "-o", str(tmp_path)])
    edition = nbformat.read(target, as_version=4)
    NotebookClient(edition, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
