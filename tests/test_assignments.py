"""The autograded assignments (issue 18): built by tools/assignments.py, graded by tools/grade.py.

The assignments of chapters 3 and 4 are built once per session (otter assign also runs
every test against the solutions); synthetic submissions (tools/submissions.py) are then
graded as `make grade` grades them: each in a fresh kernel, without Docker.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import re
import sys
import tempfile
import time
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
# The same, with the originals put back when the kernel exits, before grading ends (issue #30).
TAMPER_AND_RESTORE = """\
import atexit, pathlib
originals = {p: p.read_text() for p in pathlib.Path("tests").glob("q*.py")}
for test_file, text in originals.items():
    test_file.write_text(text.replace("assert ", "assert True or "))
atexit.register(lambda: [p.write_text(text) for p, text in originals.items()])"""


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
    # Before the notebook's grader.check cells run the tests (a change after them would change nothing).
    submissions.write(submissions.submission(folder, extra_cells={"start": TAMPER_TESTS}), subs / "edits_tests.ipynb")
    no_answers = submissions.student_notebook(folder)
    no_answers.cells.insert(1, nbformat.v4.new_code_cell(TAMPER_AND_RESTORE))
    submissions.write(no_answers, subs / "edits_and_restores_tests.ipynb")
    wrong_q3 = submissions.WRONG_ANSWERS[folder.name]["q3"]
    patched = submissions.submission(folder, {wrong_q3[0]: wrong_q3[1]}, extra_cells={wrong_q3[0]: "grader.check = lambda *args: None"})
    submissions.write(patched, subs / "patches_grader.ipynb")
    # A wrong answer with the check it fails rebound (issue #30): otter alone gives full marks.
    rebinds = submissions.submission(folder, {wrong_q3[0]: wrong_q3[1]}, extra_cells={"start": "import torch\ntorch.allclose = lambda *a, **k: True"})
    submissions.write(rebinds, subs / "rebinds_checks.ipynb")

    grades = grade.grade_folder(subs, folder, timeout=240, jobs=2, quiet=True)
    rows = rows_of(subs / "grades.csv")
    full = sum(points.values())
    assert len(grades) == len(rows) == 11
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
    restores = rows["edits_and_restores_tests.ipynb"]  # the tests otter ran are compared, not the files left over
    assert restores["status"] == "flagged" and float(restores["total"]) == 0 and "tests/q1.py changed" in restores["reason"]
    patches = rows["patches_grader.ipynb"]  # flagged by the scan of the code
    assert patches["status"] == "flagged" and float(patches["total"]) == 0 and "uses grader" in patches["reason"]
    rebound = rows["rebinds_checks.ipynb"]  # the tests again, outside its process, against its answers' calls
    assert rebound["status"] == "flagged" and float(rebound["total"]) == 0, rebound
    assert "q3 passed in the notebook's process but not when checked outside it" in rebound["reason"]
    assert "checked outside: q1 2, q2 3, q3 0" in rebound["reason"]
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


# What a student who wants the points tries from a cell of a notebook with no answers (issue #30):
# a detached process that rewrites grades.csv once grading is over; the instructor's
# autograder.zip, by its path and as found in other processes' command lines; the hidden tests
# copied out; the other submissions deleted; files written wherever the grader's user may write;
# full marks written into every pipe it can open, the grader's result pipe among them if it could.
HOSTILE = """\
import glob, os, pathlib, shutil, subprocess
subprocess.Popen(["sh", "-c", "sleep 6; echo forged > {subs}/grades.csv; touch {subs}/daemon-was-here"], start_new_session=True)
zips = {{{zip!r}}}
for cmdline in glob.glob("/proc/*/cmdline"):
    try:
        zips |= {{a for a in pathlib.Path(cmdline).read_bytes().decode().split("\\0") if a.endswith(".zip")}}
    except OSError:
        pass
for target in zips:
    try:
        pathlib.Path(target).write_bytes(b"tests that always pass")
    except OSError:
        pass
for folder in ({subs!r}, {root!r}, {home!r}, "/var/tmp"):
    for test in glob.glob("**/tests/*.py", recursive=True):
        try:
            shutil.copy(test, os.path.join(folder, "stolen-" + os.path.basename(test)))
        except OSError:
            pass
    try:
        pathlib.Path(folder, "hostile-was-here").write_text("x")
    except OSError:
        pass
fake = '{{"scores": {{"q1": 2, "q2": 3, "q3": 2}}, "errors": [], "tampered": [], "report": ""}}'
for fd in glob.glob("/proc/*/fd/*"):
    try:
        if os.readlink(fd).startswith("pipe:"):
            with open(fd, "w") as pipe:
                pipe.write(fake)
    except OSError:
        pass
for other in glob.glob({subs!r} + "/*.ipynb"):
    try:
        os.remove(other)
    except OSError:
        pass"""


@pytest.mark.skipif(grade.bubblewrap() is None, reason="bubblewrap cannot make a sandbox here (apt-get install bubblewrap; .ci/run installs it)")
def test_a_hostile_submission_in_the_sandbox_earns_nothing_and_leaves_nothing(built, tmp_path):
    import psutil

    folder = built["03_softmax_regression"]
    subs = tmp_path / "submissions"
    subs.mkdir()
    zip_digest = hashlib.sha256((folder / "autograder.zip").read_bytes()).hexdigest()
    home = Path.home()
    attack = HOSTILE.format(subs=str(subs), zip=str(folder / "autograder.zip"), root=str(ROOT), home=str(home))
    submissions.write(submissions.submission(folder), subs / "solution.ipynb")
    submissions.write(submissions.student_notebook(folder), subs / "no_answers.ipynb")
    hostile = submissions.student_notebook(folder)
    hostile.cells.insert(1, nbformat.v4.new_code_cell(attack))
    submissions.write(hostile, subs / "hostile.ipynb")
    runs_before = set(Path(tempfile.gettempdir()).glob("grade-*"))

    grade.grade_folder(subs, folder, timeout=240, jobs=2, check_code=False, quiet=True, bwrap=grade.bubblewrap())
    time.sleep(8)  # past the detached process's wake-up, had it survived

    rows = rows_of(subs / "grades.csv")
    assert float(rows["hostile.ipynb"]["total"]) == 0 == float(rows["no_answers.ipynb"]["total"]), rows["hostile.ipynb"]
    assert float(rows["solution.ipynb"]["total"]) == sum(auto_points(folder).values()), "the sandbox must not stop a right answer"
    assert sorted(p.name for p in subs.iterdir()) == ["feedback", "grades.csv", "hostile.ipynb", "no_answers.ipynb", "solution.ipynb"]
    assert hashlib.sha256((folder / "autograder.zip").read_bytes()).hexdigest() == zip_digest, "the instructor's autograder.zip changed"
    for place in (ROOT, home, Path("/var/tmp")):
        left = [p.name for p in place.iterdir() if p.name.startswith(("stolen-", "hostile-was-here"))]
        assert not left, f"the submission wrote {left} into {place}"
    left = set(Path(tempfile.gettempdir()).glob("grade-*")) - runs_before
    assert not left, f"grading scratch folders (otter's, with the hidden tests) were left behind: {left}"
    survivors = [p.pid for p in psutil.process_iter(["cmdline"]) if str(subs) in " ".join(p.info["cmdline"] or [])]
    assert not survivors, f"processes the submission started outlived its grading: {survivors}"


def test_a_submission_over_the_time_limit_is_stopped_with_its_kernel(built, tmp_path):
    import psutil

    folder = built["04_loss_functions"]
    # The kernel writes down its process id: a kernel orphaned by a killed worker would leave
    # this process's tree, so looking for children alone could not see it.
    pid_file = tmp_path / "kernel.pid"
    loop = f"import os, pathlib\npathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\nwhile True:\n    pass"
    path = submissions.write(submissions.submission(folder, extra_cells={"start": loop}), tmp_path / "loop.ipynb")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    runs_before = set(Path(tempfile.gettempdir()).glob("grade-*"))
    result = grade.grade_submission(path, folder, timeout=20)
    # otter's folder holds the hidden tests: a killed worker must not leave it behind.
    left = set(Path(tempfile.gettempdir()).glob("grade-*")) - runs_before
    assert not left, f"grading scratch folders (otter's, with the hidden tests) were left in the temporary directory: {left}"
    assert result.status == "timeout" and result.total == 0 and "20 s" in result.reason
    kernel = int(pid_file.read_text())
    assert not psutil.pid_exists(kernel) or psutil.Process(kernel).status() == psutil.STATUS_ZOMBIE, "the kernel still runs"
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert not left, f"processes left running: {left}"


def _assignment_stub(folder: Path) -> Path:
    """An assignment folder with only its manifest: enough for what is refused before grading."""
    folder.mkdir()
    questions = [{"name": "q1", "points": 2, "manual": False}, {"name": "q4", "points": 1, "manual": True}]
    (folder / "assignment.json").write_text(json.dumps({"name": "03_softmax_regression", "questions": questions, "student_code_cells": []}))
    return folder


def test_only_a_result_signed_with_the_key_counts():
    key, other = b"k" * 32, b"o" * 32

    def line(body: bytes, signer: bytes) -> bytes:
        return hmac.new(signer, body, "sha256").hexdigest().encode() + b" " + body

    real, forged = b'{"scores": {"q1": 0.0}}', b'{"scores": {"q1": 2.0}}'
    assert grade.signed_result(b"\n".join([line(real, key), line(forged, other), b"junk"]), key) == {"scores": {"q1": 0.0}}
    assert grade.signed_result(line(forged, other) + b"\n" + forged, key) is None


def test_grading_without_a_sandbox_needs_unsafe(tmp_path, monkeypatch, capsys):
    assignments = tmp_path / "assignments"
    assignments.mkdir()
    (_assignment_stub(assignments / "03_softmax_regression") / "autograder.zip").write_bytes(b"")
    subs = tmp_path / "submissions"
    subs.mkdir()
    (subs / "essay.txt").write_text("not a notebook")
    monkeypatch.setattr(grade, "bubblewrap", lambda: None)
    argv = ["--chapter", "03", str(subs), "--assignments", str(assignments)]
    with pytest.raises(SystemExit) as refused:
        grade.main(argv)
    assert refused.value.code == 2 and "apt-get install bubblewrap" in capsys.readouterr().err
    assert not (subs / "grades.csv").exists()
    assert grade.main([*argv, "--unsafe"]) == 0
    assert "sandbox: none (--unsafe)" in capsys.readouterr().out
    assert rows_of(subs / "grades.csv")["essay.txt"]["status"] == "not-a-notebook"


def test_the_csv_neutralises_cells_a_spreadsheet_would_run(tmp_path):
    assignment = _assignment_stub(tmp_path / "assignment")
    names = ["=1+1.ipynb", "+1-1.txt", "@SUM(1).txt", "-2.ipynb", "\tname.ipynb", "\rname.ipynb", "plain.ipynb"]
    grades = [grade.Grade(name, "not-a-notebook", {"q1": 0.0}, '=HYPERLINK("http://x")') for name in names]
    out = tmp_path / "grades.csv"
    grade.write_csv(grades, assignment, out)
    with open(out, newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert [row[0] for row in rows] == [f"'{n}" for n in names[:-1]] + ["plain.ipynb"]
    assert all(row[-1].startswith("'=") for row in rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assignment", "grades.csv"]
    assert out.stat().st_mode & 0o777 == 0o600, "the grades are readable by the instructor only"


def test_a_symlinked_submission_is_refused_without_reading_its_target(tmp_path):
    assignment = _assignment_stub(tmp_path / "assignment")
    secret = tmp_path / "secret.txt"
    secret.write_text("the instructor's secret")
    (tmp_path / "link.ipynb").symlink_to(secret)
    result = grade.grade_submission(tmp_path / "link.ipynb", assignment)
    assert result.status == "not-a-notebook" and "symbolic link" in result.reason and "secret" not in result.reason


def test_an_upper_case_extension_is_read_as_a_notebook(tmp_path):
    assignment = _assignment_stub(tmp_path / "assignment")
    (tmp_path / "upper.IPYNB").write_text("not json")
    result = grade.grade_submission(tmp_path / "upper.IPYNB", assignment)
    assert result.status == "not-a-notebook" and result.reason.startswith("not a readable notebook"), result.reason


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
