"""Build the autograded assignments of the chapters with otter-grader (`make assignments`).

    python tools/assignments.py [03 ...] [-o _build/assignments]

One source per chapter, nothing typed twice:

* ``assignments/NN_name.py`` holds the assignment in otter's master-notebook
  format, written as a jupytext "percent" script (``# %%`` starts a code cell,
  ``# %% [markdown]`` and ``# %% [raw]`` the others), so that it reads, diffs
  and lints like Python and opens as a notebook in JupyterLab or VS Code;
* the text of each exercise stays in the chapter: a markdown line
  ``<!-- exercise: ch3-ex4 -->`` is replaced, at build time, by the body of the
  chapter's ``{exercise}`` directive with that label (MyST roles such as
  ``{term}`` turned into plain Markdown, which Jupyter shows);
* otter's assignment configuration, the first code cell (which finds the
  public tests from any working directory) and the "How to work" paragraph
  (which replaces a line ``<!-- how-to-work -->``) are written here, once for
  all chapters.

For each chapter, ``otter assign`` then checks every test against the
solutions and writes, under the output folder (git-ignored)::

    NN_name/student/NN_name.ipynb      the student notebook: no solutions, public tests in tests/,
                                       requirements.txt (what it imports, for pip)
    NN_name-student.zip                the same folder, zipped, to hand out
    NN_name/solutions/NN_name.ipynb    the solutions, with every test (public and hidden) in tests/
    NN_name/autograder.zip             otter's autograder configuration, for `make grade`
    NN_name/assignment.json            questions, points, which are graded by hand; the student
                                       notebook's code cells (tools/grade.py compares submissions with them)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jupytext
import nbformat
import yaml

from coursekit.student import directives

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "assignments"
CHAPTERS = ROOT / "notebooks"
OUTPUT = ROOT / "_build" / "assignments"

# A line of a markdown cell of the source: replaced by the text of the chapter's exercise.
EXERCISE_MARKER = re.compile(r"^<!--[ \t]*exercise:[ \t]*(?P<label>[\w-]+)[ \t]*-->[ \t]*$", re.M)
# A line of a markdown cell of the source: replaced by HOW_TO_WORK.
HOW_TO_WORK_MARKER = re.compile(r"^<!--[ \t]*how-to-work[ \t]*-->[ \t]*$", re.M)
HOW_TO_WORK = (
    "**Before you start.** This notebook imports PyTorch, coursekit and otter-grader; the file\n"
    "`requirements.txt` beside it lists them. Where one is missing (a new environment, Colab),\n"
    "run `%pip install -r requirements.txt` in a cell, or `pip install -r requirements.txt` in a\n"
    "terminal, from this folder; packages you already have are kept when recent enough.\n\n"
    "**How to work.** Run the cells from the top. Write your answer where you see `...`, run the\n"
    "cell, then run the `grader.check(...)` cell below it: it runs the question's *public* tests\n"
    "and says what was expected when one fails. Your grade also counts *hidden* tests, so make\n"
    "sure your function is right in general, not just on the public examples. A question earns\n"
    "its points only when all of its tests pass. Questions marked *graded by hand* are answered in\n"
    "words, in the Markdown cell below them. Submit this notebook (the `.ipynb` file)."
)
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}  # the chapters'
# A MyST role: {term}`text <target>`, {cite}`key`, {numref}`label`, ...
_ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<content>[^`]*)`")

# Otter's configuration, the same for every chapter (see otter-grader's documentation of `otter assign`).
ASSIGNMENT_CONFIG = """\
# ASSIGNMENT CONFIG
name: {name}
# The first code cell (INIT_CELL below) replaces otter's: it finds tests/ from any working directory.
init_cell: false
check_all_cell: false
export_cell: false
# otter assign runs every test against the solutions: a wrong test stops the build.
run_tests: true
solutions_pdf: false
# Tests in files (tests/qN.py), written as plain Python functions whose asserts explain a failure.
tests:
  files: true
  ok_format: false
generate:
  pdf: false
  show_stdout: false
  show_hidden: false
"""

INIT_CELL = """\
# Otter-grader checks your answers: grader.check("{first}") runs the public tests of question
# {first}, kept in the folder tests/ beside this notebook (found from any working directory).
from pathlib import Path

import otter

_notebook = globals().get("__vsc_ipynb_file__") or globals().get("__session__") or ""
_tests = [d for d in (Path(_notebook).parent / "tests", Path("tests")) if (d / "{first}.py").is_file()]
if not _tests:
    raise FileNotFoundError(
        "The public tests of this assignment are in the folder tests/ beside the notebook: keep "
        "them together, and open the notebook from that folder (or os.chdir() to it) before this cell."
    )
grader = otter.Notebook(tests_dir=str(_tests[0]))"""


def chapter_of(source: Path) -> Path:
    """The chapter notebook an assignment source belongs to (same file name, .ipynb)."""
    chapter = CHAPTERS / f"{source.stem}.ipynb"
    if not chapter.is_file():
        raise FileNotFoundError(f"{source}: no chapter {chapter.relative_to(ROOT)} to take its exercises from")
    return chapter


def chapter_exercises(chapter: nbformat.NotebookNode) -> dict[str, tuple[int, str]]:
    """Every ``{exercise}`` of a chapter: label -> (its number in the chapter, its body in MyST)."""
    found = [d for c in chapter.cells if c.cell_type == "markdown" for d in directives(c.source) if d.name == "exercise"]
    # Every exercise counts, labelled or not, as the book numbers them.
    return {d.options["label"]: (number, d.body.strip()) for number, d in enumerate(found, 1) if "label" in d.options}


def _plain_role(match: re.Match) -> str:
    role, content = match.group("role"), match.group("content")
    text, _, target = content.partition(" <")
    if role == "cite":
        return f"[{content}]"
    if target:  # {term}`words <glossary term>`, {ref}`words <label>`: keep the words
        return text.strip()
    return content


def myst_to_markdown(text: str) -> str:
    """MyST roles as Jupyter shows them: {term}`a <b>` -> a, {cite}`key` -> [key], {ref}`x` -> x."""
    return _ROLE.sub(_plain_role, text)


def exercise_block(label: str, exercises: dict[str, tuple[int, str]], chapter_number: int) -> str:
    """The markdown that replaces ``<!-- exercise: label -->``: the chapter's exercise, quoted."""
    if label not in exercises:
        known = ", ".join(sorted(exercises)) or "none"
        raise KeyError(f"the chapter has no exercise labelled {label!r} (it has: {known})")
    number, body = exercises[label]
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in myst_to_markdown(body).splitlines())
    return f"*From the chapter: exercise {number} of chapter {chapter_number}.*\n\n{quoted}"


def master_notebook(source: Path) -> nbformat.NotebookNode:
    """Otter's master notebook for one assignment: the source, its exercises filled in, config and init cell added."""
    chapter_path = chapter_of(source)
    exercises = chapter_exercises(nbformat.read(chapter_path, as_version=4))
    chapter_number = int(source.stem.split("_", 1)[0])
    nb = jupytext.read(source, fmt="py:percent")
    for cell in nb.cells:
        cell.metadata.pop("lines_to_next_cell", None)  # jupytext's layout hint
        if cell.cell_type == "markdown":
            cell.source = EXERCISE_MARKER.sub(lambda m: exercise_block(m.group("label"), exercises, chapter_number), cell.source)
            cell.source = HOW_TO_WORK_MARKER.sub(lambda m: HOW_TO_WORK, cell.source)
    questions = question_configs(nb)
    auto = [q["name"] for q in questions if not q.get("manual")]
    if not auto:
        raise ValueError(f"{source}: no auto-graded question")
    first_code = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    nb.cells.insert(first_code, nbformat.v4.new_code_cell(INIT_CELL.format(first=auto[0])))
    nb.cells.insert(0, nbformat.v4.new_raw_cell(ASSIGNMENT_CONFIG.format(name=source.stem)))
    nb.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    }
    return nb


def question_configs(nb: nbformat.NotebookNode) -> list[dict]:
    """The configuration (name, points, manual) of every question of a master notebook, in order."""
    questions = []
    for cell in nb.cells:
        if cell.cell_type == "raw" and re.match(r"#\s+BEGIN\s+QUESTION", cell.source, re.I):
            questions.append(yaml.safe_load(cell.source.split("\n", 1)[1]) or {})
    return questions


def student_requirements() -> str:
    """What a student notebook imports, as a requirements file: coursekit under its distribution
    name (pyproject.toml) and the otter-grader the autograder was built with (requirements.in)."""
    (name,) = re.findall(r'^name = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    (otter,) = re.findall(r"^otter-grader==\S+", (ROOT / "requirements.in").read_text(), re.M)
    return f"# pip install -r requirements.txt\n{name}[notebook,student]\n{otter}\n"


def _zip_folder(folder: Path, target: Path, root: str) -> None:
    """Zip the files of ``folder`` under the folder name ``root`` (what a student unzips)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                zf.write(path, Path(root) / path.relative_to(folder))


def build(source: Path, output: Path = OUTPUT) -> Path:
    """Build one assignment into ``output/NN_name`` (see the module docstring); return that folder."""
    name = source.stem
    folder = output / name
    shutil.rmtree(folder, ignore_errors=True)
    work = folder / "otter"
    (work / "master").mkdir(parents=True)
    master = master_notebook(source)
    nbformat.write(master, work / "master" / f"{name}.ipynb")
    command = [sys.executable, "-m", "otter", "assign", f"master/{name}.ipynb", "dist"]
    run = subprocess.run(command, cwd=work, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"otter assign failed for {name}:\n{run.stdout}\n{run.stderr}")
    dist = work / "dist"
    student, solutions = folder / "student", folder / "solutions"
    shutil.copytree(dist / "student", student, ignore=shutil.ignore_patterns(".*"))
    shutil.copytree(dist / "autograder", solutions, ignore=shutil.ignore_patterns(".*", "*.zip", "otter_config.json"))
    (zip_path,) = sorted((dist / "autograder").glob("*.zip"))
    shutil.copy(zip_path, folder / "autograder.zip")
    for notebook in (student / f"{name}.ipynb", solutions / f"{name}.ipynb"):
        _clean(notebook)
    (student / "requirements.txt").write_text(student_requirements())
    _zip_folder(student, output / f"{name}-student.zip", name)
    student_nb = nbformat.read(student / f"{name}.ipynb", as_version=4)
    manifest = {
        "name": name,
        "questions": [{"name": q["name"], "points": q.get("points", 1), "manual": bool(q.get("manual", False))} for q in question_configs(master)],
        "student_code_cells": sorted({c.source.strip() for c in student_nb.cells if c.cell_type == "code"}),
    }
    (folder / "assignment.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(work)
    return folder


def _clean(path: Path) -> None:
    """Outputs and execution counts cleared, and the same kernelspec as the chapters."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata["kernelspec"] = KERNELSPEC
    nbformat.validate(nb)
    nbformat.write(nb, path)


def sources(chapters: list[str] | None = None) -> list[Path]:
    """The assignment sources, all or those whose file name starts with one of ``chapters`` (``03``, ``03_softmax``...)."""
    found = sorted(SOURCES.glob("[0-9][0-9]_*.py"))
    if not chapters:
        return found
    chosen = [path for path in found if any(path.stem.startswith(prefix) for prefix in chapters)]
    missing = [prefix for prefix in chapters if not any(path.stem.startswith(prefix) for path in found)]
    if missing:
        raise SystemExit(f"no assignment for {', '.join(missing)} in {SOURCES.relative_to(ROOT)}/")
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter numbers or names (default: every chapter)")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT, help="output folder (default: _build/assignments)")
    args = parser.parse_args(argv)
    for source in sources(args.chapters):
        folder = build(source, args.output)
        print(f"{source.relative_to(ROOT)} -> {folder}")


if __name__ == "__main__":
    main()
