"""Grading time: submissions of chapter 3's assignment graded as `make grade` does (otter, each in a sandbox).

    python -m bench.grading [--submissions 30] [--jobs 2] [--repeats 3] [--unsafe] [--record]

Chapter 3's assignment is built first if missing (`make assignments`). The
submissions are synthetic (tools/submissions.py): the solutions, every third
one with a wrong answer, so that the failing path is timed too. Printed:

* the total wall time to grade them all, ``--jobs`` at once (2 on a 2-core CPU), and per submission;
* the overhead of grading one submission: the median time to grade it
  (subprocess, fresh kernel, otter's set-up, the notebook, every test) minus the
  median time to execute the same notebook plainly in a fresh kernel (nbclient,
  no otter), each ``--repeats`` times, one at a time, taking turns;
* what a student waits for ``grader.check("qN")``: the median and the largest
  time of a check cell, from the plain executions (run in the student folder).

Each submission is graded in bubblewrap's sandbox, as `make grade` does; ``--unsafe``
times grading without it, for comparison. With ``--record`` the figures go to
bench/results/grading.json with the machine.
Run it on a quiet machine: another PyTorch process on a 2-core CPU slows each run many times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import machine
from tools import grade, run_notebook, submissions

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "grading.json"
WRONG_Q3 = submissions.WRONG_ANSWERS["03_softmax_regression"]["q3"]  # (name, code)


def plain_run(assignment: Path, path: Path) -> tuple[float, list[float]]:
    """Write a full-marks submission to ``path`` (in the student folder, beside its tests) and execute
    it in a fresh kernel without otter's grading: (seconds, seconds of each grader.check cell)."""
    submissions.write(submissions.submission(assignment), path)
    run = run_notebook.execute(path, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if not run.passed:
        raise SystemExit(f"the plain run of {path.name} failed: {run.problems[0]}")
    return run.seconds, [seconds for seconds, _, first_line in run.timings if first_line.startswith("grader.check(")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=30, help="how many submissions to grade (default 30)")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="one-at-a-time runs for the overhead (default 3)")
    parser.add_argument("--unsafe", action="store_true", help="grade without the sandbox, as `make grade UNSAFE=1`")
    parser.add_argument("--record", action="store_true", help=f"write the figures to {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    bwrap = None if args.unsafe else grade.bubblewrap()
    if bwrap is None and not args.unsafe:
        parser.error("bubblewrap cannot make a sandbox here (apt-get install bubblewrap); --unsafe times grading without it")
    assignment = grade.find_assignment("03")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        folder = Path(tmp) / "submissions"
        for i in range(args.submissions):
            answers = dict([WRONG_Q3]) if i % 3 == 2 else {}
            submissions.write(submissions.submission(assignment, answers), folder / f"student_{i:03d}.ipynb")
        start = time.perf_counter()
        grades = grade.grade_folder(folder, assignment, jobs=args.jobs, quiet=True, bwrap=bwrap)
        total = time.perf_counter() - start
        bad = [g for g in grades if g.status != "graded"]
        if bad:
            raise SystemExit(f"{len(bad)} submissions were not graded: {bad[0].submission}: {bad[0].status} {bad[0].reason}")

        # Overhead, one submission at a time: grading against a plain execution, taking turns.
        sample = folder / "student_000.ipynb"
        student_copy = assignment / "student" / "bench-plain.ipynb"
        graded_s, plain_s, checks = [], [], []
        try:
            for _ in range(args.repeats):
                graded_s.append(grade.grade_submission(sample, assignment, bwrap=bwrap).seconds)
                seconds, check_times = plain_run(assignment, student_copy)
                plain_s.append(seconds)
                checks += check_times
        finally:
            student_copy.unlink(missing_ok=True)
    figures = {
        "submissions": args.submissions,
        "jobs": args.jobs,
        "sandbox": "bubblewrap" if bwrap else "none",
        "total_s": round(total, 2),
        "per_submission_s": round(total / args.submissions, 2),
        "grade_one_median_s": round(statistics.median(graded_s), 2),
        "plain_run_median_s": round(statistics.median(plain_s), 2),
        "overhead_median_s": round(statistics.median(graded_s) - statistics.median(plain_s), 2),
        "check_median_s": round(statistics.median(checks), 3) if checks else None,
        "check_max_s": round(max(checks), 3) if checks else None,
    }
    f = figures
    print(f"graded {args.submissions} submissions of chapter 3, {args.jobs} at once, sandbox {f['sandbox']}: {total:.1f} s")
    print(f"  {f['per_submission_s']:.2f} s per submission")
    print(f"one submission: graded in {f['grade_one_median_s']:.2f} s, run plainly in {f['plain_run_median_s']:.2f} s (medians of {args.repeats})")
    print(f"overhead of grading one submission: {figures['overhead_median_s']:.2f} s")
    if checks:
        print(f"grader.check: median {figures['check_median_s']:.3f} s, largest {figures['check_max_s']:.3f} s per question (target < 2 s)")
    if args.record:
        RESULTS.write_text(json.dumps({"machine": machine(), **figures}, indent=2) + "\n")
        print(f"recorded in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
