"""coursekit.student: the student edition drops solutions and still runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from coursekit.student import directives, main, student_edition, write_student_edition

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


def test_directives_reads_both_fences_options_bodies_and_an_unclosed_fence():
    text = (
        "Intro.\n````{exercise} A title\n:label: ch9-ex1\n:class: hard\n\nUse ```code``` here.\n```python\nx\n```\n````\n"
        ":::{solution} ch9-ex1\n:class: dropdown\n\n$x^2$\n:::\n"
        "```{solution-start} ch9-ex2\n```\n"
        "```{solution}  ch9-ex3\nnever closed\n"
    )
    found = directives(text)
    assert [(d.name, d.argument) for d in found] == [
        ("exercise", "A title"), ("solution", "ch9-ex1"), ("solution-start", "ch9-ex2"), ("solution", "ch9-ex3")
    ]  # fmt: skip
    exercise, solution, gate, unclosed = found
    assert exercise.options == {"label": "ch9-ex1", "class": "hard"} and exercise.start == len("Intro.\n")
    assert exercise.body.strip() == "Use ```code``` here.\n```python\nx\n```"  # a shorter fence inside stays
    assert solution.options == {"class": "dropdown"} and solution.body.strip() == "$x^2$"
    assert gate.body == "" and unclosed.body == "never closed\n"


def test_solutions_and_their_checks_are_removed():
    edition = student_edition(_chapter_like())
    sources = [c.source for c in edition.cells]
    assert sources == [
        "# Title",
        "x = 2",
        "# Sanity check (hidden in the book)\nassert x == 2",
        "```{exercise}\n:label: ch9-ex1\n\nSquare x.\n```",
        "```{exercise}\n:label: ch9-ex2\n\nCube x.\n```",
        "## References",
    ]


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
    # Exactly the chapter's code cells without the solution tag, in order: none dropped, none left.
    kept = [c.source for c in edition.cells if c.cell_type == "code"]
    expected = [c.source for c in original.cells if c.cell_type == "code" and "solution" not in c.metadata.get("tags", [])]
    assert kept == expected
    assert not any("solution" in c.metadata.get("tags", []) for c in edition.cells)


def test_a_whole_student_edition_runs(tmp_path):
    """The shortest chapter's edition runs top to bottom (the others share its structure)."""
    path = next(p for p in NOTEBOOKS if p.name.startswith("01_"))
    target = tmp_path / path.name
    main([str(path), "-o", str(tmp_path)])
    edition = nbformat.read(target, as_version=4)
    NotebookClient(edition, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()


def _instructor_copy(tmp_path: Path) -> Path:
    chapter = tmp_path / "instructor" / "09_chapter.ipynb"
    chapter.parent.mkdir()
    nbformat.write(_chapter_like(), chapter)
    return chapter


@pytest.mark.parametrize("link", [os.link, os.symlink], ids=["hard-link", "symbolic-link"])
def test_an_output_that_is_a_link_to_the_chapter_is_refused(tmp_path, capsys, link):
    """Case 14: a link to the chapter in the output folder would overwrite the instructor's copy."""
    chapter = _instructor_copy(tmp_path)
    before = chapter.read_bytes()
    (tmp_path / "handout").mkdir()
    link(chapter, tmp_path / "handout" / chapter.name)
    assert main([str(chapter), "-o", str(tmp_path / "handout")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "is the same file as the input" in err
    assert chapter.read_bytes() == before, "the instructor's notebook is untouched"
    with pytest.raises(ValueError, match="the chapter itself"):
        write_student_edition(chapter, tmp_path / "handout")
    assert chapter.read_bytes() == before


def test_an_edition_does_not_write_through_a_hard_link_to_another_file(tmp_path):
    chapter = _instructor_copy(tmp_path)
    other = tmp_path / "elsewhere.ipynb"
    other.write_text("keep me")
    (tmp_path / "handout").mkdir()
    os.link(other, tmp_path / "handout" / chapter.name)
    target = write_student_edition(chapter, tmp_path / "handout")
    assert other.read_text() == "keep me" and len(nbformat.read(target, as_version=4).cells) == 6
    assert target.stat().st_mode & 0o777 == 0o644, "a handout the students can read"


@pytest.mark.parametrize(
    "content, reason",
    [
        (None, "no such file"),
        ("", "is empty, not a notebook"),
        ("{not json", "is not a notebook: invalid JSON"),
        ("[1, 2]", "is not a Jupyter notebook"),
        ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"source": 1}]}', "is not a valid notebook"),
    ],
    ids=["missing", "empty", "not-json", "not-a-notebook", "invalid-cell"],
)
def test_bad_input_gives_one_line_and_status_2(tmp_path, capsys, content, reason):
    """Case 15: one line naming the file and what is wrong with it, no traceback."""
    bad = tmp_path / "03_chapter.ipynb"
    if content is not None:
        bad.write_text(content)
    good = _instructor_copy(tmp_path)
    assert main([str(good), str(bad), "-o", str(tmp_path / "out")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [err.strip()] and err.startswith(f"python -m coursekit.student: {bad}: {reason}")
    assert not (tmp_path / "out").exists(), "nothing is written when an input is bad"


def test_the_command_exits_with_status_2_on_bad_input(tmp_path):
    empty = tmp_path / "empty.ipynb"
    empty.touch()
    command = [sys.executable, "-m", "coursekit.student", str(empty), "-o", str(tmp_path / "out")]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stderr) == (2, f"python -m coursekit.student: {empty}: is empty, not a notebook\n")


def test_an_exercise_sharing_its_cell_with_a_solution_start_keeps_its_text():
    """The exercise's text before the {solution-start} stays; the solution's text after it goes."""
    nb = _chapter_like()
    nb.cells[6].source = nb.cells[5].source + "\n\n" + nb.cells[6].source + "\n\nThe cube is 8."
    del nb.cells[5]
    sources = [c.source for c in student_edition(nb).cells]
    assert sources == [c.source for c in student_edition(_chapter_like()).cells]
    colon_fence = _chapter_like()
    colon_fence.cells[5].source += "\n\n:::{solution-start} ch9-ex2\n:::"
    del colon_fence.cells[6]
    assert [c.source for c in student_edition(colon_fence).cells] == sources


@pytest.mark.parametrize("name", ["09_chapter.ipynb", "09_Chapter.ipynb"], ids=["same-name", "same-but-for-case"])
def test_two_inputs_with_one_output_file_are_refused_before_writing(tmp_path, capsys, name):
    """The second would silently replace the first (names differing in case: on Windows and macOS)."""
    first, second = tmp_path / "a" / "09_chapter.ipynb", tmp_path / "b" / name
    for path in (first, second):
        path.parent.mkdir()
        nbformat.write(_chapter_like(), path)
    assert main([str(first), str(second), "-o", str(tmp_path / "out")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [err.strip()] and f"{first} and {second} would both be written to" in err
    assert not (tmp_path / "out").exists(), "nothing is written"
    assert main([str(first), str(first), "-o", str(tmp_path / "out")]) == 0, "the same file twice clashes with nothing"


@pytest.mark.parametrize("where", ["writing", "renaming"])
def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch, where):
    chapter = _instructor_copy(tmp_path)
    out_dir = tmp_path / "handout"
    if where == "writing":

        def half_then_full(nb, stream, **kwargs):
            stream.write('{"cells": [')
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(nbformat, "write", half_then_full)
    else:
        (out_dir / chapter.name).mkdir(parents=True)  # a folder in the way of the rename
    with pytest.raises(OSError):
        write_student_edition(chapter, out_dir)
    assert [p.name for p in out_dir.iterdir()] == ([] if where == "writing" else [chapter.name])
