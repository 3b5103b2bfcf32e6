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

Each edition writes these sentences in its own language (``TEXT`` below). They are
generated, so they are kept out of the translators' catalogs: a new record would
otherwise mark a translated sentence outdated.
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
# The generated sentences of each edition; a language without its own gets the English ones.
TEXT = {
    "en": {
        "line": "**Run time:** {median:.0f} s, the median of {repeats} runs by `make bench` on {cores} cores of an {cpu} "
        "with PyTorch {torch} ({date}); budget {budget} s.",
        "header": "| Chapter | Run time (median) | Budget |",
        "row": "| {{doc}}`/notebooks/{stem}` | {median:.0f} s | {budget} s |",
        "machine": "Measured by `make bench` on {date}: each chapter executed {repeats} times in a fresh kernel on {cores} "
        "cores of an {cpu} ({threads} PyTorch threads, {kernels} kernels), PyTorch {torch}, Python {python}, {system}.",
    },
    "zh_CN": {
        "line": "**运行时间：** {median:.0f} 秒，即 `make bench` 在 {cpu} 的 {cores} 个核心上运行 {repeats} 次的中位数"
        "（PyTorch {torch}，{date}）；预算 {budget} 秒。",
        "header": "| 章节 | 运行时间（中位数） | 预算 |",
        "row": "| {{doc}}`/notebooks/{stem}` | {median:.0f} 秒 | {budget} 秒 |",
        "machine": "由 `make bench` 于 {date} 测得：每章在新的内核中执行 {repeats} 次，机器为 {cpu} 的 {cores} 个核心"
        "（PyTorch 线程 {threads} 个，{kernels} 内核），PyTorch {torch}，Python {python}，{system}。",
    },
}
# How each edition's run-time line starts (its bold label), to keep the line out of the catalogs.
GENERATED = tuple(words["line"].split("**")[1] for words in TEXT.values())


def text(language: str | None) -> dict[str, str]:
    """The generated sentences for an edition's ``language``."""
    return TEXT.get(language or "en", TEXT["en"])


def run_time_line(stem: str, results: dict, language: str | None = "en") -> str:
    """The "Run time" line of a chapter's opening, from the benchmark's results."""
    m, row = results["machine"], results["chapters"][stem]
    return text(language)["line"].format(median=row["median_s"], repeats=results["repeats"], budget=row["budget_s"], **m)


def with_run_time(notebook: str, stem: str, results: dict, language: str | None = "en") -> str:
    """The notebook's JSON text with its one "**Run time:**" line written from ``results``."""
    data = json.loads(notebook)
    found = 0
    for cell in data["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            # A function as replacement: the line is text, never a pattern (it holds backslashes in no language yet).
            new, n = RUN_TIME_LINE.subn(lambda _: run_time_line(stem, results, language), source)
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
        source[0] = with_run_time(source[0], stem, _load(app.srcdir), app.config.language)


def _keep_out_of_catalogs(app, doctree) -> None:
    """Mark the generated run-time sentences untranslatable, so that the catalogs never hold them."""
    for node in doctree.findall(nodes.TextElement):
        if node.get("run-times") or (isinstance(node, nodes.paragraph) and node.astext().startswith(GENERATED)):
            for inner in node.findall(nodes.TextElement):
                inner["translatable"] = False


def _build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    results = _load(app.srcdir)
    # The served notebook is the English one in every edition (its text is not translated): English line too.
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
        words = text(self.config.language)
        # Three columns: a fourth (every run's time) does not fit a phone; the record has them.
        lines = [words["header"], "| --- | --- | --- |"]
        lines += [words["row"].format(stem=stem, median=median, budget=budget) for stem, median, budget in run_time_rows(results)]
        lines += ["", words["machine"].format(repeats=results["repeats"], **results["machine"])]
        container = nodes.container(classes=["chapter-run-times"])
        self.state.nested_parse(StringList(lines, str(RESULTS)), self.content_offset, container)
        for node in container.findall(nodes.TextElement):
            node["run-times"] = True
        return [container]


def setup(app):
    app.add_directive("chapter-run-times", ChapterRunTimes)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _keep_out_of_catalogs)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
