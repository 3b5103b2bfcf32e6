"""A Sphinx directive for the instructor guide: a chapter's objectives, prerequisites and exercises.

    ```{chapter-overview} notebooks/03_softmax_regression.ipynb
    ```

reads them from the notebook itself, so the guide never repeats by hand what a
chapter says (and is rebuilt when the chapter changes).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from coursekit.student import directives


def chapter_facts(path: Path) -> dict:
    """Title, learning objectives (markdown lines), prerequisites and exercises of a chapter notebook."""
    nb = nbformat.read(path, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "markdown"]
    text = "\n\n".join(cells)
    title = cells[0].splitlines()[0].lstrip("# ").strip()
    objectives: list[str] = []
    section = re.search(r"^#+ Learning objectives\s*\n(.*?)(?=^#+ |\Z)", text, re.S | re.M)
    if section:
        for line in section.group(1).splitlines():
            if re.match(r"\s*([-*]|\d+\.)\s", line) or (objectives and line.startswith("  ")):
                objectives.append(line)
            elif objectives and not line.strip():
                break
    # The whole paragraph, which may wrap over several lines.
    prerequisites = re.search(r"\*\*Prerequisites:?\*\*:?\s*(.+?)(?:\n\s*\n|\Z)", text, re.S)
    exercises = [(d.options["label"], " ".join(d.body.split())) for d in directives(text) if d.name == "exercise" and "label" in d.options]
    return {
        "title": title,
        "objectives": objectives,
        "prerequisites": " ".join(prerequisites.group(1).split()) if prerequisites else "none",
        "exercises": exercises,
    }


def summary(text: str, limit: int = 160) -> str:
    """The exercise's first sentence, cut at a word, never inside $math$ or `code`, with an ellipsis if cut."""
    sentence = re.split(r"(?<=[.?!])\s+(?=[A-Z0-9(*])", text, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit].rsplit(" ", 1)[0]
    # An odd number of $ or ` means the cut is inside math or code: cut before it opened.
    for mark in ("$", "`"):
        if cut.count(mark) % 2:
            cut = cut[: cut.rfind(mark)].rstrip()
    return cut.rstrip(",;:") + " …"


_RELATIVE_DOC = re.compile(r"\{doc\}`(?!/)([^`<]*<)?([^`>/][^`>]*)(>?)`")


def _absolute_doc_links(text: str, folder: str) -> str:
    """Rewrite {doc}`name` and {doc}`title <name>` links relative to ``folder`` as absolute ones."""
    return _RELATIVE_DOC.sub(lambda m: "{doc}`" + (m.group(1) or "") + folder + m.group(2) + m.group(3) + "`", text)


class ChapterOverview(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        relative = self.arguments[0]
        path = Path(self.env.srcdir) / relative
        self.env.note_dependency(str(path))
        facts = chapter_facts(path)
        docname = "/" + relative.rsplit(".", 1)[0]
        # {doc} links in the chapter are relative to the chapter's folder; here they must be absolute.
        folder = "/" + relative.rsplit("/", 1)[0] + "/" if "/" in relative else "/"
        facts["objectives"] = [_absolute_doc_links(line, folder) for line in facts["objectives"]]
        facts["prerequisites"] = _absolute_doc_links(facts["prerequisites"], folder)
        lines = [f"**Chapter:** {{doc}}`{docname}`", "", "**Learning objectives:**", ""]
        lines += facts["objectives"] + ["", f"**Prerequisites:** {facts['prerequisites']}", ""]
        lines += [f"**Exercises ({len(facts['exercises'])}):**", ""]
        lines += [f"- {{numref}}`{label}`: {summary(text)}" for label, text in facts["exercises"]]
        container = nodes.container(classes=["chapter-overview"])
        self.state.nested_parse(StringList(lines, relative), self.content_offset, container)
        return [container]


def setup(app):
    app.add_directive("chapter-overview", ChapterOverview)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
