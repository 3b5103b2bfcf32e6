"""A Sphinx directive for the instructor guide: the chapters' run times, as the benchmark measured them.

    ```{chapter-run-times}
    ```

draws a table from bench/results/chapter_times.json, which `make bench`
(bench/chapters.py) writes, and names the machine the figures come from. The
book build never times anything itself: what one build on a busy machine saw
is not what a student will see.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

RESULTS = Path("bench") / "results" / "chapter_times.json"


def run_time_rows(results: dict) -> list[tuple[str, float, int]]:
    """(chapter stem, median seconds, budget seconds) for each chapter measured."""
    return [(stem, row["median_s"], row["budget_s"]) for stem, row in sorted(results["chapters"].items())]


class ChapterRunTimes(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        path = Path(self.env.srcdir) / RESULTS
        self.env.note_dependency(str(path))
        if not path.exists():
            raise self.error(f"{RESULTS} is missing: run `make bench` (python -m bench.chapters) to measure the chapters")
        results = json.loads(path.read_text())
        m = results["machine"]
        lines = [
            "| Chapter | Run time (median) | Budget |",
            "| --- | --- | --- |",
        ]
        # Three columns: a fourth (every run's time) does not fit a phone; the record has them.
        for stem, median, budget in run_time_rows(results):
            lines.append(f"| {{doc}}`/notebooks/{stem}` | {median:.0f} s | {budget} s |")
        lines += [
            "",
            f"Measured by `make bench` on {m['date']}: each chapter executed {results['repeats']} times in a fresh "
            f"kernel on {m['cores']} cores of an {m['cpu']} ({m['threads']} PyTorch threads, {m['kernels']} kernels), "
            f"PyTorch {m['torch']}, Python {m['python']}, {m['system']}.",
        ]
        container = nodes.container(classes=["chapter-run-times"])
        self.state.nested_parse(StringList(lines, str(RESULTS)), self.content_offset, container)
        return [container]


def setup(app):
    app.add_directive("chapter-run-times", ChapterRunTimes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
