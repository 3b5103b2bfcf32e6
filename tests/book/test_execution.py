"""The build's execution report: every chapter ran within its time budget, and the guide shows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "_build" / ".jupyter_cache"
# Run-time budgets on a 2-core CPU, from each chapter's issue (seconds).
BUDGETS = {
    "01_autograd": 60,
    "02_logistic_regression": 60,
    "03_softmax_regression": 90,
    "04_loss_functions": 90,
    "05_mlp_mnist": 120,
}


def test_every_chapter_has_a_budget():
    assert sorted(BUDGETS) == sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("stem", sorted(BUDGETS))
def test_chapter_ran_within_its_budget(stem):
    if not CACHE.exists():
        pytest.fail("no execution cache in _build: build the book first (python tools/build_book.py)")
    record = get_cache(str(CACHE)).match_cache_file(str(ROOT / "notebooks" / f"{stem}.ipynb"))
    seconds = record.data["execution_seconds"]
    print(f"{stem}: {seconds:.1f} s (budget {BUDGETS[stem]} s)")
    assert seconds <= BUDGETS[stem]


def test_instructor_guide_shows_the_measured_times():
    """The guide's table is the build's execution report: it shows the times the cache recorded."""
    html = (ROOT / "_build" / "html" / "book" / "instructors.html").read_text()
    table = re.search(r"<table.*?Run Time.*?</table>", html, re.S)
    assert table, "the instructor guide has no run-time table"
    cache = get_cache(str(CACHE))
    for stem in BUDGETS:
        row = re.search(rf'<tr[^>]*><td><p><a [^>]*href="../notebooks/{stem}.html".*?</tr>', table.group(0), re.S)
        assert row, f"no row for {stem} in the instructor guide's run-time table"
        cells = re.findall(r"<td><p>(.*?)</p></td>", row.group(0))
        recorded = cache.match_cache_file(str(ROOT / "notebooks" / f"{stem}.ipynb")).data["execution_seconds"]
        assert float(cells[-2]) == round(recorded, 2), (stem, cells)
