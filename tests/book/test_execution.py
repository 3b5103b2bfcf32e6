"""The book states the run times the chapter benchmark measured, not what one build happened to see.

Nothing here times anything: wall-clock time depends on the machine and its
load, so it is measured by `make bench` (bench/chapters.py) and only read here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tools.serve_book import HTML

ROOT = Path(__file__).resolve().parents[2]
RESULTS = json.loads((ROOT / "bench" / "results" / "chapter_times.json").read_text())


def test_instructor_guide_shows_the_benchmark_figures():
    html = (HTML / "book" / "instructors.html").read_text()
    table = re.search(r"<table.*?Run time \(median\).*?</table>", html, re.S)
    assert table, "the instructor guide has no run-time table"
    for stem, row in RESULTS["chapters"].items():
        found = re.search(rf'<tr[^>]*>\s*<td><p><a [^>]*href="../notebooks/{stem}.html".*?</tr>', table.group(0), re.S)
        assert found, f"no row for {stem} in the instructor guide's run-time table"
        cells = re.findall(r"<td><p>(.*?)</p></td>", found.group(0), re.S)
        assert cells[1] == f"{row['median_s']:.0f} s" and cells[2] == f"{row['budget_s']} s", (stem, cells)
    machine = RESULTS["machine"]
    assert machine["cpu"] in html and f"PyTorch {machine['torch']}" in html, "the guide names the machine measured on"


def test_each_chapter_page_and_served_notebook_show_its_benchmark_figure():
    for stem, row in RESULTS["chapters"].items():
        text = re.sub(r"<[^>]+>", "", (HTML / "notebooks" / f"{stem}.html").read_text())
        assert re.search(rf"Run time:\s*{row['median_s']:.0f} s, the median of", text), stem
        # The notebook the download button serves carries the figure too (the repository's does not).
        served = json.loads((HTML / "_sources" / "notebooks" / f"{stem}.ipynb").read_text())
        opening = "".join(c["source"] if isinstance(c["source"], str) else "".join(c["source"]) for c in served["cells"][:3])
        assert f"**Run time:** {row['median_s']:.0f} s, the median of" in opening, stem
