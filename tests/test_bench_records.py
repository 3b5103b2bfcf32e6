"""The chapters' stated run times come from the benchmark's record (bench/results/chapter_times.json)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from bench.chapters import BUDGETS, RESULTS, RUN_TIME_LINE, run_time_line

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_chapter_has_a_budget_and_a_measured_time():
    results = json.loads(RESULTS.read_text())
    assert sorted(BUDGETS) == CHAPTERS
    assert sorted(results["chapters"]) == CHAPTERS, "run `make bench` to measure the chapters missing from the record"
    for field in ("cpu", "cores", "threads", "torch", "date"):
        assert results["machine"].get(field), f"the record does not say the machine's {field}"
    for row in results["chapters"].values():
        assert len(row["runs_s"]) == results["repeats"] >= 3
        assert sorted(row["runs_s"])[len(row["runs_s"]) // 2] == row["median_s"]


def test_each_chapter_states_the_recorded_run_time():
    results = json.loads(RESULTS.read_text())
    for stem in CHAPTERS:
        nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
        stated = [m.group(0) for c in nb.cells if c.cell_type == "markdown" for m in RUN_TIME_LINE.finditer(c.source)]
        assert stated == [run_time_line(stem, results)], f"{stem}: run `python -m bench.chapters` to rewrite its run-time line from the record"
