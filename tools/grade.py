"""Grade a folder of submitted notebooks with otter-grader, each in a sandbox (`make grade`).

    python tools/grade.py --chapter 03 SUBMISSIONS [-o grades.csv] [--timeout 300] [--jobs 2] [--no-scan] [--unsafe]

Every entry of SUBMISSIONS (except hidden files and the outputs of this tool) is
a submission. Each ``.ipynb`` is graded by otter's non-containerized grader
(what ``otter run`` does) in a subprocess of its own, in a bubblewrap sandbox,
with a time limit: the notebook is executed top to bottom in a fresh kernel with
this environment, and then every test of the assignment, public and hidden, is run.
The tests then run once more in a fresh process that never runs the submission's
code, against the answers' calls recorded in the kernel (tools/replay.py): a question
scores what both runs give it, so rebinding ``torch.allclose`` in the kernel earns nothing.

The result is ``grades.csv`` (by default in SUBMISSIONS): one row per
submission, with its ``status``, the score of each auto-graded question, an
empty column for each question graded by hand, the ``total`` and ``possible``
points, and a ``reason``. A submission never stops the run:

=================  ====================================================================
status             meaning
=================  ====================================================================
``graded``         graded; ``reason`` names the cells that raised, if any (they score
                   what their tests give, often 0)
``error``          grading failed (the kernel died, the notebook is for another
                   assignment...): 0 points, ``reason`` says why
``timeout``        stopped after ``--timeout`` seconds: 0 points
``not-a-notebook`` not a readable ``.ipynb``: 0 points
``flagged``        the tests otter ran were not the assignment's (the submission changed
                   them), a question passed in the kernel but not outside it, or its
                   code reaches for the grading machinery (see ``scan``): total 0 until
                   you review it
=================  ====================================================================

Otter's report for each submission (every test's message, hidden ones
included) is written to ``feedback/NAME.txt`` beside the CSV.

The assignment comes from ``make assignments`` (``_build/assignments/NN_name/``);
it is built first if missing. Grading is offline: the chapters' data come from
coursekit's data folder or ``COURSEKIT_MIRRORS``.

Security: each submission runs in a bubblewrap sandbox (Debian's ``bubblewrap``; see
``sandboxed``): no network, the system read-only, a scratch folder of its own as the only
writable place, the course's repository, the instructor's home and the other submissions
hidden, and every process it starts ended with it. Without bubblewrap the tool refuses to
grade unless given ``--unsafe``, which runs the students' code with your rights. What the
sandbox does not stop is in "Grading: the sandbox and its limits" in book/instructors.md.
"""

from __future__ import annotations

import argparse
import csv
import hmac
import io
import json
import os
import re
import secrets
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from coursekit._files import atomic_write

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "_build" / "assignments"
REPLAY = Path(__file__).resolve().with_name("replay.py")
DEFAULT_TIMEOUT = 300
JUDGE_TIMEOUT = 120  # the judge runs the tests against recorded answers: seconds, not minutes
RECORD_LIMIT = 200 * 2**20  # bytes: a record larger than this is not read
# The last cell of every graded notebook: the tests run again with the answers' calls written down (tools/replay.py).
RECORD_CELL = "import runpy\nrunpy.run_path({replay!r})['record'](globals(), 'tests', {record!r})"
# Names that the answers of these assignments never need, and that tampering with the grader does:
# otter's own classes, introspection, the file system and processes. `grader` is allowed in calls
# grader.check(...) only. A cell of the student notebook left as it was handed out is not scanned.
SUSPICIOUS = frozenset(
    """otter Checker GradingResults TestFile ExceptionTestFile OKTestFile test_case
    __import__ __builtins__ builtins importlib globals locals vars getattr setattr delattr exec eval compile
    open os sys subprocess shutil pathlib Path io gc inspect ctypes atexit signal threading multiprocessing
    pickle dill marshal get_ipython""".split()
)
ALLOWED_DUNDERS = frozenset({"__init__", "__call__", "__len__", "__getitem__", "__repr__", "__name__", "__main__"})


@dataclass
class Grade:
    """One row of grades.csv."""

    submission: str
    status: str
    scores: dict[str, float] = field(default_factory=dict)  # auto-graded question -> points
    reason: str = ""
    seconds: float = 0.0  # wall time of the grading subprocess (not written to the CSV)

    @property
    def total(self) -> float:
        return sum(self.scores.values())


def find_assignment(chapter: str, assignments: Path = ASSIGNMENTS) -> Path:
    """The built assignment folder of a chapter (``03`` or ``03_softmax_regression``); built if missing."""
    matches = sorted(p for p in assignments.glob(f"{chapter}*") if (p / "autograder.zip").is_file())
    if not matches:
        print(f"no assignment for chapter {chapter} in {assignments}: building it (make assignments)", file=sys.stderr)
        subprocess.run([sys.executable, str(ROOT / "tools" / "assignments.py"), chapter, "-o", str(assignments)], check=True)
        matches = sorted(p for p in assignments.glob(f"{chapter}*") if (p / "autograder.zip").is_file())
    if len(matches) != 1:
        raise ValueError(f"chapter {chapter!r} names {len(matches)} assignments in {assignments}: give its number, e.g. 03")
    return matches[0]


def scan(nb: nbformat.NotebookNode, handed_out: set[str]) -> list[str]:
    """What in a submission's own code reaches for the grading machinery: one line per finding.

    Only code cells that differ from the student notebook as handed out (``handed_out``: their
    sources, stripped) are read. A finding is a name of ``SUSPICIOUS``, a
    dunder name outside ``ALLOWED_DUNDERS``, ``grader`` used other than as ``grader.check(...)``,
    a shell or magic line (``!``, ``%``), or code that Python cannot tokenize. This is a
    screen for review, not a proof: code can be written to get past it.
    """
    findings = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell.source.strip() in handed_out:
            continue
        where = f"cell {index}"
        if any(line.lstrip().startswith(("!", "%")) for line in cell.source.splitlines()):
            findings.append(f"{where}: a shell or magic line (! or %)")
            continue
        try:
            tokens = [t for t in tokenize.generate_tokens(io.StringIO(cell.source).readline) if t.type not in (tokenize.NL, tokenize.NEWLINE)]
        except (tokenize.TokenError, SyntaxError) as error:  # IndentationError is a SyntaxError
            findings.append(f"{where}: not readable as Python ({error})")
            continue
        names = set()
        for i, tok in enumerate(tokens):
            if tok.type != tokenize.NAME:
                continue
            if tok.string in SUSPICIOUS or (tok.string.startswith("__") and tok.string.endswith("__") and tok.string not in ALLOWED_DUNDERS):
                names.add(tok.string)
            elif tok.string == "grader":
                follow = [t.string for t in tokens[i + 1 : i + 4]]
                if follow != [".", "check", "("]:
                    names.add("grader")
        if names:
            findings.append(f"{where}: uses {', '.join(sorted(names))}")
    return findings


def _kill_tree(process: subprocess.Popen) -> None:
    """End a grading subprocess and everything it started (the kernel runs in a session of its own)."""
    import psutil

    try:
        parent = psutil.Process(process.pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        family = []
    for proc in family:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)
    process.wait()


def bubblewrap() -> str | None:
    """The path of bubblewrap (Debian's package ``bubblewrap``) if it can make a sandbox here, else None."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None
    probe = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"], capture_output=True)
    return bwrap if probe.returncode == 0 else None


def sandboxed(command: list[str], scratch: Path, hidden: list[Path], bwrap: str) -> list[str]:
    """``command`` run by bubblewrap: the system read-only, no network, ``scratch`` the only writable folder.

    ``hidden`` (the course's repository with its solutions and built assignments, the folder
    of submissions, the instructor's home) are covered by empty folders; Python, coursekit and
    the data sets are bound back, read-only. The processes the command starts live in a PID
    namespace of their own and end with it; no capability is kept (bubblewrap's default).
    """
    import coursekit
    from coursekit.data import data_dir

    keep = {Path(sys.prefix), Path(sys.base_prefix), Path(coursekit.__file__).resolve().parent, data_dir().resolve()}
    keep |= {Path(__file__).resolve(), REPLAY}
    keep |= {Path(p).resolve() for p in os.environ.get("COURSEKIT_MIRRORS", "").split(os.pathsep) if p}
    temporary = Path("/tmp")  # other gradings' folders: replaced as a whole
    hidden = sorted({p.resolve() for p in hidden if p.exists() and not p.resolve().is_relative_to(temporary)})
    hidden = [h for h in hidden if not any(h != o and h.is_relative_to(o) for o in hidden)]  # inside another: covered
    args = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", str(temporary)]
    args += ["--unshare-all", "--die-with-parent", "--new-session"]
    for folder in hidden:
        args += ["--tmpfs", str(folder)]
    covered = [temporary, *hidden]
    for path in sorted(k for k in keep if k.exists() and any(k.is_relative_to(h) for h in covered)):
        args += ["--ro-bind", str(path), str(path)]
    args += ["--bind", str(scratch), str(scratch), "--chdir", str(scratch), "--setenv", "HOME", str(scratch)]
    return args + ["--", *command]


def out_of_sight(submissions: Path, assignment: Path) -> list[Path]:
    """What a sandbox hides, the submission's and the judge's alike: the course's repository, the
    folder of submissions, the built assignment and the instructor's home."""
    return [ROOT, submissions.resolve(), assignment.resolve(), Path.home()]


def grade_submission(
    path: Path,
    assignment: Path,
    timeout: float = DEFAULT_TIMEOUT,
    check_code: bool = True,
    feedback: Path | None = None,
    bwrap: str | None = None,
    judge: Judge | None = None,
) -> Grade:
    """Grade one submission against a built assignment folder (see the module docstring for the statuses).

    With ``bwrap`` (see ``bubblewrap``), the submission runs in a sandbox that sees neither the
    instructor's files nor the other submissions; without it, with this user's rights. ``judge``
    (one for a folder) runs the tests again outside the submission's process; one is started if not given.
    """
    manifest = json.loads((assignment / "assignment.json").read_text())
    auto = [q["name"] for q in manifest["questions"] if not q["manual"]]
    zeros = dict.fromkeys(auto, 0.0)
    if path.is_symlink():
        # Not followed: its target (any file the grader can read) must not reach the reason column.
        return Grade(path.name, "not-a-notebook", zeros, "a symbolic link, not a notebook: submit the .ipynb file itself")
    if path.is_dir():
        return Grade(path.name, "not-a-notebook", zeros, "a folder, not a notebook")
    if path.suffix.lower() != ".ipynb":
        return Grade(path.name, "not-a-notebook", zeros, f"not a notebook (a {path.suffix or 'file without extension'}): submit the .ipynb file")
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # whatever a broken file raises, it gets a row
        return Grade(path.name, "not-a-notebook", zeros, f"not a readable notebook: {type(error).__name__}: {str(error)[:200]}")
    findings = scan(nb, set(manifest["student_code_cells"])) if check_code else []
    hidden = out_of_sight(path.parent, assignment)

    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        # The submission under a plain name: otter reads the one .ipynb of its folder.
        # A notebook without the assignment's name (a new notebook, the cells pasted in) is graded as
        # this assignment; one named for another assignment is refused by otter.
        submission = Path(tmp) / "submission.ipynb"
        nb.metadata.setdefault("otter", {}).setdefault("assignment_name", manifest["name"])
        record = Path(tmp) / "answers.pt"
        nb.cells.append(nbformat.v4.new_code_cell(RECORD_CELL.format(replay=str(REPLAY), record=str(record))))
        nbformat.write(nb, submission)
        # TMPDIR: the worker's own temporary folders (otter's, with the hidden tests) go in this one,
        # which is removed below even when the worker is killed at the time limit.
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore", "TMPDIR": tmp}
        env.pop("JPY_SESSION_NAME", None)
        # The worker reads its own copy of the autograder: the instructor's stays out of the sandbox.
        autograder = Path(shutil.copy(assignment / "autograder.zip", Path(tmp) / "autograder.zip"))
        # The result comes back through a pipe, not a file of the scratch folder, signed with a key
        # that the worker reads from its stdin before any of the submission runs: the submission's
        # processes can write into the pipe (the sandbox's first process holds it too) but not sign.
        read_end, write_end = os.pipe()
        key = secrets.token_bytes(32)
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(submission), str(autograder), str(write_end)]
        if bwrap is not None:
            command = sandboxed(command, Path(tmp), hidden, bwrap)
        start = time.perf_counter()
        received: list[bytes] = []
        with open(Path(tmp) / "log.txt", "w+") as log, os.fdopen(read_end, "rb") as pipe:
            try:
                process = subprocess.Popen(
                    command,
                    cwd=tmp,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    pass_fds=(write_end,),
                )
            finally:
                os.close(write_end)
            process.stdin.write(key.hex().encode() + b"\n")
            process.stdin.close()
            # Read while the worker runs: a long report would fill the pipe and block it.
            reader = threading.Thread(target=lambda: received.append(pipe.read()), daemon=True)
            reader.start()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_tree(process)
                reader.join(timeout=10)  # the pipe's last holders are gone: it reads to its end
                reason = f"stopped after {timeout:g} s, the per-submission limit (an endless loop, or training too long?)"
                return Grade(path.name, "timeout", zeros, reason, time.perf_counter() - start)
            seconds = time.perf_counter() - start
            reader.join()
            log.seek(0)
            output = log.read()
        result = signed_result(received[0] if received else b"", key)
        if process.returncode != 0 or result is None:
            last = [line for line in output.strip().splitlines() if line.strip()][-1:] or ["no output"]
            message = re.sub(r"^[\w.]*(Error|Exception): ", "", last[0])  # otter.run...OtterRuntimeError: Received ...
            if process.returncode == 0:
                message = "the grader's signed result is missing (the submission's processes wrote into its pipe?)"
            return Grade(path.name, "error", zeros, f"grading failed: {message[:300]}", seconds)
        if judge is None:
            with Judge(assignment / "autograder.zip", bwrap, hidden) as own:
                checked, judge_report = own(record)
        else:
            checked, judge_report = judge(record)
        seconds = time.perf_counter() - start

    if feedback is not None:
        feedback.mkdir(parents=True, exist_ok=True)
        (feedback / f"{path.stem}.txt").write_text(f"{result['report']}\n\nThe tests again, outside the notebook's process:\n{judge_report}")
    scores = {q: float(result["scores"].get(q, 0.0)) for q in auto}
    unknown = sorted(set(result["scores"]) - set(auto))
    forged = [q for q in auto if scores[q] > checked.get(q, 0.0)]
    if result["tampered"] or unknown:
        changed = result["tampered"] + [f"a test {q!r} that the assignment does not have was run" for q in unknown]
        reason = "the tests that ran were changed: " + "; ".join(changed) + "; total withheld, review by hand"
        return Grade(path.name, "flagged", zeros, reason, seconds)
    if forged:
        outside = ", ".join(f"{q} {checked.get(q, 0.0):g}" for q in auto)
        why = next((line.strip() for line in judge_report.splitlines() if re.match(r"\s*\w+(Error|Mismatch): ", line)), judge_report[:200])
        reason = (
            f"{', '.join(forged)} passed in the notebook's process but not when checked outside it (checked outside: {outside}; "
            f"first failure: {why[:300]}); total withheld, review by hand"
        )
        return Grade(path.name, "flagged", zeros, reason, seconds)
    if findings:
        computed = ", ".join(f"{q} {s:g}" for q, s in scores.items())
        return Grade(
            path.name,
            "flagged",
            zeros,
            f"review by hand, the code reaches for the grader: {'; '.join(findings)} (otter computed {computed}; rerun with --no-scan once reviewed)",
            seconds,
        )
    raised = "cells that raised: " + "; ".join(result["errors"]) if result["errors"] else ""
    return Grade(path.name, "graded", scores, raised, seconds)


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet shows it, not as a formula it runs: a leading = + - @ tab or CR is quoted with '."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(grades: list[Grade], assignment: Path, out: Path) -> None:
    """grades.csv: submission, status, one column per question (empty for those graded by hand), total, possible, reason.

    Written whole to a temporary file beside ``out`` and then renamed, so that the file an
    instructor opens is never half written. Submission names and reasons come from students:
    they pass through ``spreadsheet_safe``.
    """
    questions = json.loads((assignment / "assignment.json").read_text())["questions"]
    auto = [q for q in questions if not q["manual"]]
    header = ["submission", "status"]
    header += [q["name"] if not q["manual"] else f"{q['name']} (by hand, {q['points']:g})" for q in questions]
    header += ["total", "possible", "reason"]
    possible = sum(q["points"] for q in auto)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out, newline="", permissions=0o600) as f:  # grades: for the instructor's eyes only
        writer = csv.writer(f)
        writer.writerow(header)
        for grade in grades:
            row = [spreadsheet_safe(grade.submission), grade.status]
            row += [f"{grade.scores.get(q['name'], 0.0):g}" if not q["manual"] else "" for q in questions]
            row += [f"{grade.total:g}", f"{possible:g}", spreadsheet_safe(grade.reason)]
            writer.writerow(row)


def submissions_in(folder: Path, skip: set[str]) -> list[Path]:
    """Every entry of the folder except hidden ones and ``skip`` (this tool's outputs), by name."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.name not in skip)


def grade_folder(
    folder: Path,
    assignment: Path,
    out: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int | None = None,
    check_code: bool = True,
    quiet: bool = False,
    bwrap: str | None = None,
) -> list[Grade]:
    """Grade every submission of ``folder``, write ``out`` (default folder/grades.csv) and feedback/; return the grades.

    Each submission in a sandbox when ``bwrap`` is given (see ``grade_submission``); the CSV is
    written once, after the last sandbox has ended.
    """
    out = out or folder / "grades.csv"
    feedback = out.parent / "feedback"
    paths = submissions_in(folder, {out.name, feedback.name})
    if not paths:
        raise ValueError(f"no submission in {folder}")
    jobs = jobs or max(1, min(len(paths), os.cpu_count() or 1))

    def one(path: Path) -> Grade:
        grade = grade_submission(path, assignment, timeout, check_code, feedback, bwrap, judge)
        if not quiet:
            print(f"{grade.submission}: {grade.status}, {grade.total:g} points {grade.reason}".rstrip(), flush=True)
        return grade

    with Judge(assignment / "autograder.zip", bwrap, out_of_sight(folder, assignment)) as judge, ThreadPoolExecutor(jobs) as pool:
        grades = list(pool.map(one, paths))
    write_csv(grades, assignment, out)
    return grades


class Judge:
    """One process that runs the tests against the answers' recorded calls (``tools/replay.py --serve``).

    It never runs a submission's code and reads each record as data only; with ``bwrap``, in a
    sandbox of its own. One judge serves a whole folder (torch is imported once); calls are
    answered one at a time. A record is read only if it is a plain file under ``RECORD_LIMIT``
    (not a link, not a pipe); without one every question scores 0.
    """

    def __init__(self, autograder_zip: Path, bwrap: str | None, hidden: list[Path]) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="grade-judge-")
        self._zip = Path(shutil.copy(autograder_zip, Path(self._folder.name) / "autograder.zip"))
        self._bwrap, self._hidden = bwrap, hidden
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = self._start()  # now: its imports overlap the first notebooks

    def _start(self) -> subprocess.Popen:
        tmp = self._folder.name
        command = [sys.executable, str(REPLAY), "--serve", str(self._zip)]
        if self._bwrap is not None:
            command = sandboxed(command, Path(tmp), self._hidden, self._bwrap)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore", "TMPDIR": tmp}
        with open(Path(tmp) / "judge.log", "ab") as log:  # the process keeps its own descriptor
            return subprocess.Popen(command, cwd=tmp, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)

    def __call__(self, record: Path) -> tuple[dict[str, float], str]:
        """The score of each question against ``record``, and the judge's report."""
        try:
            fd = os.open(record, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as error:
            return {}, f"no record of the answers' calls ({error.strerror}): the notebook's last cell did not run"
        with os.fdopen(fd, "rb") as source:
            info = os.fstat(source.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > RECORD_LIMIT:
                return {}, f"the record of the answers' calls is not a plain file of at most {RECORD_LIMIT >> 20} MB"
            data = source.read(RECORD_LIMIT + 1)
        with self._lock:
            copy = Path(self._folder.name) / "answers.pt"
            copy.write_bytes(data)
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
            self._process.stdin.write(f"{copy}\n")
            self._process.stdin.flush()
            ready, _, _ = select.select([self._process.stdout], [], [], JUDGE_TIMEOUT)
            line = self._process.stdout.readline() if ready else ""
            if not line:  # hung or died: the next record gets a fresh judge
                self._stop()
                log = (Path(self._folder.name) / "judge.log").read_text(errors="replace").strip().splitlines()
                return {}, f"the judge gave no answer in {JUDGE_TIMEOUT} s: {(log or ['no output'])[-1][:300]}"
        judged = json.loads(line)
        if "error" in judged:
            return {}, f"the record of the answers' calls could not be read: {judged['error']}"
        return {q: r["score"] for q, r in judged.items()}, "\n\n".join(r["report"] for r in judged.values())

    def _stop(self) -> None:
        """End the judge's process (at once if it does not end on its own) and close its pipes."""
        if self._process is None:
            return
        self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _kill_tree(self._process)
        self._process.stdout.close()
        self._process = None

    def close(self) -> None:
        self._stop()
        self._folder.cleanup()

    def __enter__(self) -> Judge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- the worker: one submission, in a subprocess of its own ---------------------------------


def signed_result(received: bytes, key: bytes) -> dict | None:
    """The worker's result: the last line of ``received`` that carries a valid HMAC-SHA256 under ``key``."""
    for line in reversed(received.splitlines()):
        mac, _, body = line.partition(b" ")
        if hmac.compare_digest(mac, hmac.new(key, body, "sha256").hexdigest().encode()):
            return json.loads(body)
    return None


def _keep_to_itself(fd: int) -> None:
    """The result pipe ``fd`` and this process's memory (the signing key) stay its own: the pipe is
    not inherited by the kernel, and a process that is not "dumpable" can be inspected
    (/proc/PID/mem, /proc/PID/fd) only with CAP_SYS_PTRACE, which the sandbox does not grant."""
    os.set_inheritable(fd, False)
    if sys.platform == "linux":
        import ctypes

        pr_set_dumpable = 4
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 0, 0, 0, 0)


def _worker(submission: str, autograder_zip: str, result_fd: str) -> None:
    """Grade one notebook with otter's public API (``otter.api.grade_submission``, what ``otter run``
    does), and check that the tests it ran are the assignment's.

    Writes to the pipe ``result_fd`` (JSON): the score of each question, the cells that raised, the tests
    that were changed, added or removed before they ran, and otter's report.
    """
    fd = int(result_fd)
    _keep_to_itself(fd)
    key = bytes.fromhex(sys.stdin.readline().strip())
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # the kernel inherits an empty stdin, not the key's pipe
    import contextlib

    from otter.api import grade_submission

    with zipfile.ZipFile(autograder_zip) as zf:
        tests = {Path(n).stem: zf.read(n).decode() for n in zf.namelist() if n.startswith("tests/") and n.endswith(".py")}
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        results = grade_submission(submission, autograder_zip)
    # Each test file otter ran carries the source it was read from: a test the submission rewrote
    # shows here even if the file was put back before grading ended.
    ran = {name: getattr(test_file, "source", None) for name, test_file in results.results.items()}
    tampered = [f"tests/{name}.py changed" for name in sorted(tests) if name in ran and ran[name] != tests[name]]
    tampered += [f"tests/{name}.py removed" for name in sorted(set(tests) - set(ran)) if results.results]
    tampered += [f"tests/{name}.py added" for name in sorted(set(ran) - set(tests))]
    errors = []
    for cell in results.notebook.cells if results.notebook is not None else []:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first = next((line for line in cell.source.splitlines() if line.strip()), "")
                errors.append(f"{output['ename']}: {output['evalue'][:120]} (in the cell that starts `{first[:60]}`)")
    summary = results.summary() if results.results else "no test ran"
    outcome = {
        "scores": {name: tf.score for name, tf in results.results.items()},
        "errors": errors,
        "tampered": tampered,
        "report": f"{summary}\n\n{report.getvalue()}",
    }
    body = json.dumps(outcome).encode()
    with os.fdopen(fd, "wb") as result:
        result.write(b"\n" + hmac.new(key, body, "sha256").hexdigest().encode() + b" " + body + b"\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(*argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("--chapter", required=True, help="the chapter's number (03) or name (03_softmax_regression)")
    parser.add_argument("-o", "--output", type=Path, help="the CSV to write (default: SUBMISSIONS/grades.csv)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help=f"seconds per submission (default {DEFAULT_TIMEOUT})")
    parser.add_argument("--jobs", type=int, help="submissions graded at once (default: one per CPU core)")
    parser.add_argument("--no-scan", dest="check_code", action="store_false", help="do not flag code that reaches for the grader (after review)")
    parser.add_argument("--assignments", type=Path, default=ASSIGNMENTS, help="where `make assignments` wrote them")
    parser.add_argument("--unsafe", action="store_true", help="grade without a sandbox, with your rights (see book/instructors.md)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    bwrap = None if args.unsafe else bubblewrap()
    if bwrap is None and not args.unsafe:
        parser.error(
            "no sandbox to grade in: bubblewrap is missing or cannot create namespaces here. Install it "
            "(apt-get install bubblewrap), or pass --unsafe to run the students' code with your rights"
        )
    print(f"sandbox: {'bubblewrap (' + bwrap + ')' if bwrap else 'none (--unsafe): submissions run with your rights'}", flush=True)
    assignment = find_assignment(args.chapter, args.assignments)
    grades = grade_folder(args.submissions, assignment, args.output, args.timeout, args.jobs, args.check_code, bwrap=bwrap)
    out = args.output or args.submissions / "grades.csv"
    counts = {status: sum(g.status == status for g in grades) for status in dict.fromkeys(g.status for g in grades)}
    print(f"{len(grades)} submissions ({', '.join(f'{n} {s}' for s, n in counts.items())}) -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
