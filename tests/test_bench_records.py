"""The chapters' run times: the benchmark's record (bench/results/chapter_times.json), and the one line
of each chapter that the book build writes from it (book/_ext/run_times.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.chapters import BUDGETS, RESULTS

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


def test_the_build_writes_each_chapters_run_time_line_from_the_record(load_source):
    run_times = load_source("book/_ext/run_times.py")
    results = json.loads(RESULTS.read_text())
    for stem in CHAPTERS:
        source = (ROOT / "notebooks" / f"{stem}.ipynb").read_text()
        original, written = json.loads(source), json.loads(run_times.with_run_time(source, stem, results))
        stated, lines = (
            [m for c in nb["cells"] if c["cell_type"] == "markdown" for m in run_times.RUN_TIME_LINE.findall("".join(c["source"]))]
            for nb in (original, written)
        )
        assert len(stated) == 1 and "make bench" in stated[0], f"{stem}: one '**Run time:**' line, saying where the figure comes from"
        row = results["chapters"][stem]
        assert lines == [run_times.run_time_line(stem, results)]
        assert f"**Run time:** {row['median_s']:.0f} s, the median of {results['repeats']} runs" in lines[0]
        assert f"budget {row['budget_s']} s." in lines[0] and results["machine"]["cpu"] in lines[0]
        # Nothing else of the notebook changes.
        assert [c["source"] for c in written["cells"] if "**Run time:**" not in "".join(c["source"])] == [
            c["source"] for c in original["cells"] if "**Run time:**" not in "".join(c["source"])
        ]


def test_a_notebook_without_its_run_time_line_is_refused(load_source):
    run_times = load_source("book/_ext/run_times.py")
    results = json.loads(RESULTS.read_text())
    stem = CHAPTERS[0]
    notebook = {"cells": [{"cell_type": "markdown", "source": "no line here", "metadata": {}}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    with pytest.raises(ValueError, match="found 0"):
        run_times.with_run_time(json.dumps(notebook), stem, results)
    notebook["cells"][0]["source"] = "**Run time:** a\n**Run time:** b"
    with pytest.raises(ValueError, match="found 2"):
        run_times.with_run_time(json.dumps(notebook), stem, results)
