"""The chapters' run times, as the benchmark measured them, on the pages and in the served notebooks.

bench/results/chapter_times.json, which `make bench` (bench/chapters.py) writes,
is the one home of the figures. The book build reads it:

- each chapter's "**Run time:**" line (one per notebook; the source says where the
  figure is) is written from the record into the page, and into the notebook the
  download button serves (``_sources/``), so that neither the notebooks in the
  repository nor a test has to keep a copy;
- the instructor guide's table comes from the directive

      ```{chapter-run-times}
      ```

  which also names the machine the figures come from.

The book build never times anything itself: what one build on a busy machine saw
is not what a student will see.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

RESULTS = Path("bench") / "results" / "chapter_times.json"
RUN_TIME_LINE = re.compile(r"^\*\*Run time:\*\*.*$", re.M)


def run_time_line(stem: str, results: dict) -> str:
    """The "Run time" line of a chapter's opening, from the benchmark's results."""
    m, row = results["machine"], results["chapters"][stem]
    return (
        f"**Run time:** {row['median_s']:.0f} s, the median of {results['repeats']} runs by `make bench` "
        f"on {m['cores']} cores of an {m['cpu']} with PyTorch {m['torch']} ({m['date']}); budget {row['budget_s']} s."
    )


def with_run_time(notebook: str, stem: str, results: dict) -> str:
    """The notebook's JSON text with its one "**Run time:**" line written from ``results``."""
    data = json.loads(notebook)
    found = 0
    for cell in data["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            new, n = RUN_TIME_LINE.subn(run_time_line(stem, results), source)
            if n:
                cell["source"], found = new, found + n
    if found != 1:
        raise ValueError(f"{stem}: expected one markdown line starting '**Run time:**', found {found}")
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _load(srcdir: str) -> dict:
    path = Path(srcdir) / RESULTS
    if not path.exists():
        raise FileNotFoundError(f"{RESULTS} is missing: run `make bench` (python -m bench.chapters) to measure the chapters")
    return json.loads(path.read_text())


def _source_read(app, docname: str, source: list[str]) -> None:
    stem = Path(docname).name
    if docname.startswith("notebooks/") and Path(app.env.doc2path(docname)).suffix == ".ipynb":
        app.env.note_dependency(str(Path(app.srcdir) / RESULTS))
        source[0] = with_run_time(source[0], stem, _load(app.srcdir))


def _build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    results = _load(app.srcdir)
    for notebook in (Path(app.outdir) / "_sources" / "notebooks").glob("*.ipynb"):
        notebook.write_text(with_run_time(notebook.read_text(encoding="utf-8"), notebook.stem, results), encoding="utf-8")


def run_time_rows(results: dict) -> list[tuple[str, float, int]]:
    """(chapter stem, median seconds, budget seconds) for each chapter measured."""
    return [(stem, row["median_s"], row["budget_s"]) for stem, row in sorted(results["chapters"].items())]


class ChapterRunTimes(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(Path(self.env.srcdir) / RESULTS))
        try:
            results = _load(self.env.srcdir)
        except FileNotFoundError as error:
            raise self.error(str(error)) from error
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
    app.connect("source-read", _source_read)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
