"""Static checks of every chapter notebook against ../shared/COURSE_STANDARDS.md.

Running the notebooks is the book build's job (tools/build_book.py in ``make test``;
nbval with ``make notebook-tests``); these
tests read them: stored without outputs, the required sections, exercises with
solutions, check cells, seeds, and no outdated PyTorch API in the code.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from coursekit.student import directives

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Outdated API the standards forbid in code. A cell that shows such a pitfall on purpose
# carries the tag OLD_API_DEMO (a tag, not a comment, so readers never see a lint pragma).
OLD_API_DEMO = "old-api-demo"
OLD_API = {
    "torch.autograd.Variable": re.compile(r"\bVariable\s*\("),
    "size_average=": re.compile(r"\bsize_average\s*="),
    "reduce=": re.compile(r"(?<![\w.])reduce\s*=\s*(True|False)"),
    "F.sigmoid / F.tanh": re.compile(r"\b(F|functional)\.(sigmoid|tanh)\s*\("),
    ".data to dodge autograd": re.compile(
        r"\.data\s*(\[[^\]]*\])?\s*[-+*/]?=(?!=)|\.data\.(add_|sub_|mul_|div_|copy_|zero_|fill_|normal_|uniform_)|\.grad\.data\b"
    ),
    "fig.gca(projection=...)": re.compile(r"\.gca\(\s*projection"),
    "d2l import": re.compile(r"^\s*(import d2l|from d2l\b)", re.M),
}


def test_every_chapter_exists():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def nb(request):
    notebook = nbformat.read(request.param, as_version=4)
    nbformat.validate(notebook)
    return notebook


def test_stored_without_outputs_and_clean_metadata(nb):
    for i, cell in enumerate(_code_cells(nb)):
        assert not cell.outputs and cell.execution_count is None, f"code cell {i} is stored with outputs"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, f"extra metadata: {sorted(nb.metadata)}"


def test_opening_states_objectives_prerequisites_and_time(nb):
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "the first cell is the title"
    opening = "\n".join(c.source for c in nb.cells[:4] if c.cell_type == "markdown").lower()
    assert "learning objectives" in opening
    assert "prerequisites" in opening
    # The figure itself is written from the benchmark's record by the book build (book/_ext/run_times.py;
    # tests/book/test_execution.py checks the page and the served notebook).
    assert re.search(r"^\*\*run time:\*\*", opening, re.M), "the opening has the '**Run time:**' line that the book fills in"


def test_ends_with_summary_exercises_solutions_references(nb):
    text = _markdown(nb)
    for heading in ("## Summary", "## Exercises", "## References"):
        assert heading in text, f"missing section {heading!r}"
    found = directives(text)
    exercises = [d.options.get("label") for d in found if d.name == "exercise"]
    solutions = [d for d in found if d.name in ("solution", "solution-start")]
    assert len(exercises) >= 4, f"only {len(exercises)} exercises"
    assert None not in exercises, "every exercise has a :label: for its solution to name"
    missing = set(exercises) - {d.argument for d in solutions}
    assert not missing, f"exercises without a solution: {missing}"
    for d in solutions:
        assert d.options.get("class") == "dropdown", f"the solution of {d.argument} is collapsed (:class: dropdown)"
    references = text.split("## References", 1)[1]
    assert "{cite}" in references


def test_check_cells_are_hidden_and_assert(nb):
    checks = [c for c in _code_cells(nb) if "remove-cell" in _tags(c)]
    assert len(checks) >= 5, "a chapter pins its claims down with check cells"
    for cell in checks:
        assert "assert" in cell.source, f"a check cell without an assert:\n{cell.source[:200]}"


def test_seeded_once_near_the_top(nb):
    code = [c.source for c in _code_cells(nb)]
    seeded = [i for i, src in enumerate(code) if "set_seed(" in src]
    assert seeded and seeded[0] <= 2, "coursekit.set_seed is called in one of the first code cells"


def test_every_code_cell_follows_prose(nb):
    # A code cell follows a markdown cell, or one other code cell of the same
    # step; three code cells in a row means a sentence is missing.
    run = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            run = 0
        elif "remove-cell" not in _tags(cell):
            run += 1
            assert run <= 2, f"three code cells in a row without a sentence between:\n{cell.source[:200]}"


def test_no_outdated_pytorch_api(nb):
    for cell in _code_cells(nb):
        if OLD_API_DEMO in _tags(cell):
            continue
        for line in cell.source.splitlines():
            for name, pattern in OLD_API.items():
                assert not pattern.search(line), f"outdated API ({name}): {line.strip()}"


def test_old_api_demos_follow_a_pitfall(nb):
    # The tag exempts a cell only where the prose just before it is a pitfall that names the mistake.
    last_markdown = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            last_markdown = cell.source
        elif OLD_API_DEMO in _tags(cell):
            assert "Common pitfall" in last_markdown, f"an {OLD_API_DEMO} cell without a pitfall before it:\n{cell.source[:200]}"
        assert "noqa" not in cell.source, f"a lint pragma in reader-facing code:\n{cell.source[:200]}"


def test_imports_helpers_from_coursekit(nb):
    assert any("import coursekit" in c.source or "from coursekit" in c.source for c in _code_cells(nb))


def test_links_glossary_and_cites(nb):
    text = _markdown(nb)
    assert "{term}`" in text, "link glossary terms where first used"
    assert "{cite}`" in text


# A pitfall is an admonition titled "Common pitfall: ..." (the title shows in the box's header,
# not run into its body), all of one class: two colours (warning for a mistake that changes the
# results, note for one that only warns) told readers of a difference no page explained.
PITFALL = re.compile(r"^(```|:::)\{admonition\} Common pitfall: \S[^\n]*\n:class: warning pitfall\n", re.M)


def test_every_pitfall_is_a_titled_admonition(nb):
    text = _markdown(nb)
    mentions = text.count("Common pitfall")
    titled = PITFALL.findall(text)
    assert mentions >= 1, "every chapter names at least one common pitfall"
    # CommonMark ends a backtick fence's info string at a backtick: MyST would print the box as text.
    assert not re.search(r"^```\{admonition\}[^\n]*`", text, re.M), "a title with `code` needs a ::: fence"
    assert len(titled) == mentions, (
        f"{mentions - len(titled)} 'Common pitfall' mention(s) are not of the form "
        "```{admonition} Common pitfall: <title>\\n:class: warning pitfall"
    )


def test_code_lines_fit_the_page(nb):
    # `make lint` formats and checks the chapters with notebooks/ruff.toml; this says where a line is
    # too long even where ruff is not run (its E501 skips nothing a reader sees: code, comments, strings).
    (width,) = map(int, re.findall(r"^line-length = (\d+)$", (NOTEBOOKS[0].parent / "ruff.toml").read_text(), re.M))
    long = [(i, line) for i, cell in enumerate(_code_cells(nb)) for line in cell.source.splitlines() if len(line) > width]
    assert not long, f"{len(long)} code lines over {width} characters, first in code cell {long[0][0]}: {long[0][1]!r}"


def test_first_code_cell_installs_coursekit_outside_the_repository(nb, load_source):
    # Word for word the cell of book/_ext/coursekit_wheel.py, whose default URL the build fills in
    # (tests/book/test_outside_repository.py runs it in an environment without coursekit).
    first = _code_cells(nb)[0]
    assert first.source == load_source("book/_ext/coursekit_wheel.py").INSTALL_CELL, "the first code cell must be coursekit_wheel.INSTALL_CELL"


def test_install_cell_installs_the_distribution_named_in_pyproject(load_source):
    # "coursekit" on the package index is another project: the cell must ask for ours.
    (name,) = re.findall(r'^name = "([^"]+)"', (NOTEBOOKS[0].parents[1] / "pyproject.toml").read_text(), re.M)
    cell = load_source("book/_ext/coursekit_wheel.py").INSTALL_CELL
    assert name != "coursekit"
    assert re.findall(r'requirement = "([\w-]+)\[notebook\]"', cell) == [name]
