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
    html = (ROOT / "_build" / "html" / "book" / "instructors.html").read_text()
    table = html.split("Run Time", 1)[1]
    for stem in BUDGETS:
        assert re.search(rf"{stem}[\s\S]*?<td[^>]*>\s*\d+\.\d+\s*</td>", table), f"no measured time for {stem}"
