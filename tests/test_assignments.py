"""The autograded assignments (issue 18): built by tools/assignments.py, graded by tools/grade.py.

The assignments of chapters 3 and 4 are built once per session (otter assign also runs
every test against the solutions); synthetic submissions (tools/submissions.py) are then
graded as `make grade` grades them: each in a fresh kernel, without Docker.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import types
import zipfile
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from packaging.version import Version

from tools import assignments as build_tool
from tools import grade, submissions

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "assignments").glob("[0-9][0-9]_*.py"))
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Rewrites every test file it can reach, during grading, so that all of its asserts pass.
TAMPER_TESTS = """\
import pathlib
for test_file in pathlib.Path("tests").glob("q*.py"):
    test_file.write_text(test_file.read_text().replace("assert ", "assert True or "))"""


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """The assignments of chapters 3 and 4, built once: name -> folder."""
    output = tmp_path_factory.mktemp("assignments")
    return {source.stem: build_tool.build(source, output) for source in build_tool.sources(["03", "04"])}


def rows_of(csv_path: Path) -> dict[str, dict[str, str]]:
    with open(csv_path, newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def auto_points(folder: Path) -> dict[str, float]:
    manifest = json.loads((folder / "assignment.json").read_text())
    return {q["name"]: q["points"] for q in manifest["questions"] if not q["manual"]}


# ---- the sources and the build ---------------------------------------------------------------


def test_every_chapter_has_an_assignment_with_three_auto_graded_questions_and_one_by_hand():
    assert [s.stem for s in SOURCES] == CHAPTERS
    for source in SOURCES:
        master = build_tool.master_notebook(source)
        questions = build_tool.question_configs(master)
        assert sum(not q.get("manual") for q in questions) >= 3, source.name
        assert any(q.get("manual") for q in questions), f"{source.name}: no question graded by hand"
        text = "\n".join(cell.source for cell in master.cells)
        assert "<!--" not in text and "{term}`" not in text, f"{source.name}: a marker or MyST role was left"
        assert build_tool.HOW_TO_WORK in text, f"{source.name}: no How to work paragraph"
        # Every auto-graded question has public and hidden tests.
        for q in questions:
            if not q.get("manual"):
                assert f"def test_{q['name']}_hidden(" in text, f"{source.name} {q['name']}: no hidden test"


def test_exercise_text_is_taken_from_the_chapter_by_label():
    chapter = nbformat.read(ROOT / "notebooks" / "03_softmax_regression.ipynb", as_version=4)
    exercises = build_tool.chapter_exercises(chapter)
    number, body = exercises["ch3-ex4"]
    master = build_tool.master_notebook(ROOT / "assignments" / "03_softmax_regression.py")
    quoted = next(c.source for c in master.cells if f"exercise {number} of chapter 3" in c.source)
    first_line = build_tool.myst_to_markdown(body).splitlines()[0]
    assert f"> {first_line}" in quoted
    with pytest.raises(KeyError, match="no exercise labelled 'ch3-ex99'"):
        build_tool.exercise_block("ch3-ex99", exercises, 3)


def test_myst_roles_become_plain_markdown():
    text = "a {term}`hyperparameter`, the {term}`chain rule <chain rule>`, see {cite}`glorot2010understanding`"
    assert build_tool.myst_to_markdown(text) == "a hyperparameter, the chain rule, see [glorot2010understanding]"


def test_student_edition_has_no_solutions_and_no_hidden_tests(built):
    folder = built["03_softmax_regression"]
    student = (folder / "student" / "03_softmax_regression.ipynb").read_text()
    assert "log_sum_exp" not in student and "BEGIN SOLUTION" not in student
    assert "log_sum_exp" in (folder / "solutions" / "03_softmax_regression.ipynb").read_text()
    for name in auto_points(folder):
        assert "hidden=True" not in (folder / "student" / "tests" / f"{name}.py").read_text()
        assert "hidden=True" in (folder / "solutions" / "tests" / f"{name}.py").read_text()
    with zipfile.ZipFile(folder / "autograder.zip") as zf:
        assert "hidden=True" in zf.read("tests/q1.py").decode()
    with zipfile.ZipFile(folder.parent / "03_softmax_regression-student.zip") as zf:
        names = zf.namelist()
        requirements = zf.read("03_softmax_regression/requirements.txt").decode()
    assert "03_softmax_regression/03_softmax_regression.ipynb" in names and "03_softmax_regression/tests/q1.py" in names
    # What the notebook imports, for a student's own environment: our distribution, not the index's "coursekit".
    assert re.search(r"^coursekit-\S+\[notebook,student\]$", requirements, re.M)
    assert re.search(r"^otter-grader==\d", requirements, re.M)
    nb = nbformat.read(folder / "student" / "03_softmax_regression.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert "requirements.txt" in nb.cells[0].source + nb.cells[1].source, "the notebook says how to install what it imports"


# ---- grading ---------------------------------------------------------------------------------


def _write_solution_and_wrong_answers(folder, subs) -> None:
    """The solution, and one submission per question with only that question answered wrongly."""
    submissions.write(submissions.submission(folder), subs / "solution.ipynb")
    for q, (name, code) in submissions.WRONG_ANSWERS[folder.name].items():
        submissions.write(submissions.submission(folder, {name: code}), subs / f"wrong_{q}.ipynb")


def test_grades_of_synthetic_submissions_chapter_3(built, tmp_path):
    folder = built["03_softmax_regression"]
    points = auto_points(folder)
    subs = tmp_path / "submissions"
    _write_solution_and_wrong_answers(folder, subs)
    submissions.write(submissions.submission(folder, extra_cells={"start": "1 / 0"}), subs / "raises.ipynb")
    submissions.write(nbformat.v4.new_notebook(), subs / "empty.ipynb")
    (subs / "essay.txt").write_text("not a notebook")
    submissions.write(submissions.submission(folder, extra_cells={"end": TAMPER_TESTS}), subs / "edits_tests.ipynb")
    wrong_q3 = submissions.WRONG_ANSWERS[folder.name]["q3"]
    patched = submissions.submission(folder, {wrong_q3[0]: wrong_q3[1]}, extra_cells={wrong_q3[0]: "grader.check = lambda *args: None"})
    submissions.write(patched, subs / "patches_grader.ipynb")

    grades = grade.grade_folder(subs, folder, timeout=240, jobs=2, quiet=True)
    rows = rows_of(subs / "grades.csv")
    full = sum(points.values())
    assert len(grades) == len(rows) == 9
    assert (subs / "feedback" / "solution.txt").read_text().strip()

    assert rows["solution.ipynb"]["status"] == "graded" and float(rows["solution.ipynb"]["total"]) == full
    assert float(rows["solution.ipynb"]["possible"]) == full
    for q in points:  # one wrong answer: exactly that question's points lost
        row = rows[f"wrong_{q}.ipynb"]
        assert row["status"] == "graded", row
        assert {k: float(row[k]) for k in points} == {k: (0.0 if k == q else p) for k, p in points.items()}, row
        assert float(row["total"]) == full - points[q]
    raises = rows["raises.ipynb"]  # graded, and the error is reported
    assert raises["status"] == "graded" and float(raises["total"]) == full
    assert "ZeroDivisionError" in raises["reason"]
    assert rows["empty.ipynb"]["status"] == "graded" and float(rows["empty.ipynb"]["total"]) == 0
    assert rows["essay.txt"]["status"] == "not-a-notebook" and float(rows["essay.txt"]["total"]) == 0
    edits = rows["edits_tests.ipynb"]  # its rewritten tests would pass anything: caught, no points
    assert edits["status"] == "flagged" and float(edits["total"]) == 0 and "tests/q1.py changed" in edits["reason"]
    patches = rows["patches_grader.ipynb"]  # flagged by the scan of the code
    assert patches["status"] == "flagged" and float(patches["total"]) == 0 and "uses grader" in patches["reason"]
    # Once reviewed (no scan), rebinding grader.check earns nothing: otter runs every test itself.
    regraded = grade.grade_submission(subs / "patches_grader.ipynb", folder, timeout=240, check_code=False)
    assert regraded.status == "graded" and regraded.scores == {k: (0.0 if k == "q3" else p) for k, p in points.items()}

    with open(subs / "grades.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["submission", "status", "q1", "q2", "q3", "q4 (by hand, 3)", "total", "possible", "reason"]


def test_grades_of_synthetic_submissions_chapter_4(built, tmp_path):
    folder = built["04_loss_functions"]
    points = auto_points(folder)
    subs = tmp_path / "submissions"
    _write_solution_and_wrong_answers(folder, subs)
    grade.grade_folder(subs, folder, timeout=240, jobs=2, quiet=True)
    rows = rows_of(subs / "grades.csv")
    assert float(rows["solution.ipynb"]["total"]) == sum(points.values())
    for q in points:
        row = rows[f"wrong_{q}.ipynb"]
        assert {k: float(row[k]) for k in points} == {k: (0.0 if k == q else p) for k, p in points.items()}, row


def test_a_submission_over_the_time_limit_is_stopped_with_its_kernel(built, tmp_path):
    import psutil

    folder = built["04_loss_functions"]
    # The kernel writes down its process id: a kernel orphaned by a killed worker would leave
    # this process's tree, so looking for children alone could not see it.
    pid_file = tmp_path / "kernel.pid"
    loop = f"import os, pathlib\npathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\nwhile True:\n    pass"
    path = submissions.write(submissions.submission(folder, extra_cells={"start": loop}), tmp_path / "loop.ipynb")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    result = grade.grade_submission(path, folder, timeout=20)
    assert result.status == "timeout" and result.total == 0 and "20 s" in result.reason
    kernel = int(pid_file.read_text())
    assert not psutil.pid_exists(kernel) or psutil.Process(kernel).status() == psutil.STATUS_ZOMBIE, "the kernel still runs"
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert not left, f"processes left running: {left}"


def test_the_scan_flags_reaching_for_the_grader_not_ordinary_answers():
    nb = nbformat.v4.new_notebook()
    handed_out = "import torch"
    nb.cells = [
        nbformat.v4.new_code_cell(handed_out),
        nbformat.v4.new_code_cell('def f(x):\n    return x.exp() / 2\ngrader.check("q1")'),
        nbformat.v4.new_code_cell("class Net(nn.Module):\n    def __init__(self):\n        super().__init__()"),
        nbformat.v4.new_code_cell("import otter\notter.Notebook.check = print"),
        nbformat.v4.new_code_cell("grader.check = print"),
        nbformat.v4.new_code_cell("x = ().__class__"),
        nbformat.v4.new_code_cell("!rm -rf tests"),
    ]
    findings = grade.scan(nb, {handed_out})
    assert [f.split(":")[0] for f in findings] == ["cell 3", "cell 4", "cell 5", "cell 6"]
    assert "otter" in findings[0] and "grader" in findings[1] and "__class__" in findings[2]


# ---- the student's side ----------------------------------------------------------------------


def run_init_cell(folder: Path, cwd: Path, monkeypatch, **names) -> str:
    """Run the student notebook's first code cell with a stand-in for otter; return the tests_dir it chose."""
    chosen = {}
    fake = types.ModuleType("otter")
    fake.Notebook = lambda tests_dir: chosen.setdefault("tests_dir", tests_dir)
    monkeypatch.setitem(sys.modules, "otter", fake)
    monkeypatch.chdir(cwd)
    nb = nbformat.read(folder / "student" / f"{folder.name}.ipynb", as_version=4)
    init = next(c.source for c in nb.cells if c.cell_type == "code")
    exec(compile(init, "init-cell", "exec"), dict(names))
    return chosen["tests_dir"]


def test_the_init_cell_finds_the_tests_from_any_working_directory(built, tmp_path, monkeypatch):
    folder = built["03_softmax_regression"]
    student = folder / "student"
    notebook = str(student / f"{folder.name}.ipynb")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert Path(run_init_cell(folder, student, monkeypatch)).resolve() == (student / "tests").resolve()  # Jupyter: cwd = the notebook's folder
    assert Path(run_init_cell(folder, elsewhere, monkeypatch, __session__=notebook)) == student / "tests"  # JupyterLab from elsewhere
    assert Path(run_init_cell(folder, elsewhere, monkeypatch, __vsc_ipynb_file__=notebook)) == student / "tests"  # VS Code
    with pytest.raises(FileNotFoundError, match="beside the notebook"):
        run_init_cell(folder, elsewhere, monkeypatch)


@pytest.mark.skipif(
    Version(metadata.version("ipykernel")) < Version("6.22"),
    reason="ipykernel tells a notebook its path (__session__, from JPY_SESSION_NAME) from 6.22 on; before, run it from its folder",
)
def test_grader_check_runs_the_public_tests_offline_from_another_directory(built, tmp_path):
    folder = built["04_loss_functions"]
    nb = submissions.submission(folder)
    path = submissions.write(nb, folder / "student" / "filled-in.ipynb")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    try:
        client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(elsewhere)}})
        env = {**os.environ, "JPY_SESSION_NAME": str(path), "OMP_NUM_THREADS": "1"}
        client.execute(env=env)
    finally:
        path.unlink()
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("grader.check(")]
    assert len(checks) == len(auto_points(folder))
    for cell in checks:
        text = "".join(str(o.get("data", {}).get("text/plain", "")) + o.get("text", "") for o in cell.outputs)
        assert "All test cases passed" in text or "passed!" in text, (cell.source, text)
