"""A chapter runs with the repository root as its working directory.

VS Code starts a notebook's kernel in the workspace folder, not the notebook's.
A chapter downloaded from the book, alone in a folder with coursekit from the
published wheel and the data in a fresh user cache, runs in
tests/book/test_outside_repository.py.
"""

from __future__ import annotations

from pathlib import Path

from tools.run_notebook import execute

ROOT = Path(__file__).resolve().parents[1]


def test_chapter_runs_with_the_repository_root_as_working_directory():
    run = execute(ROOT / "notebooks" / "03_softmax_regression.ipynb", 900, cwd=ROOT)
    assert run.passed, "\n".join(run.problems)
