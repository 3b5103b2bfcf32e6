"""Run time of every chapter: the figures the book states, measured here and nowhere else.

    python -m bench.chapters [--repeats 3] [--chapters 03 05]

Executes each chapter ``--repeats`` times, each in a fresh kernel as a student's
"Restart and run all" does, and records the medians with the machine they were
measured on (CPU, cores, threads, kernels, PyTorch, date) in
bench/results/chapter_times.json, the one home of these figures: the book build
writes them into each chapter's page, the notebook it serves and the
instructor guide's table (book/_ext/run_times.py). No test times anything: a
busy machine must not fail the build.

A chapter over its budget is reported on stderr, and the exit status is 1.
Run it on a quiet machine: another PyTorch process on a 2-core CPU slows each
run 10-30x.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from bench.common import machine
from tools.run_notebook import execute

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "bench" / "results" / "chapter_times.json"
NOTEBOOKS = ROOT / "notebooks"
# What a chapter may take, on a 2-core CPU, executed top to bottom (seconds).
BUDGETS = {
    "01_autograd": 60,
    "02_logistic_regression": 60,
    "03_softmax_regression": 90,
    "04_loss_functions": 90,
    "05_mlp_mnist": 120,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh-kernel runs of each chapter (the median is kept)")
    parser.add_argument("--chapters", nargs="+", default=list(BUDGETS), help="chapter stems or their numbers")
    args = parser.parse_args()
    stems = [s for s in BUDGETS if any(s.startswith(c) for c in args.chapters)]
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"chapters": {}}
    if results.get("repeats", args.repeats) != args.repeats and set(stems) != set(BUDGETS):
        raise SystemExit(f"the recorded times are medians of {results['repeats']} runs; measure every chapter to change --repeats")
    results.update(machine=machine(), repeats=args.repeats)
    over = []
    for stem in stems:
        runs = []
        for i in range(args.repeats):
            run = execute(NOTEBOOKS / f"{stem}.ipynb", 1200)
            if not run.passed:
                print("\n".join(run.problems), file=sys.stderr)
                raise SystemExit(f"{stem} failed in run {i + 1}; its time is not recorded")
            runs.append(round(run.seconds, 1))
            results["machine"]["threads"] = run.probe["threads"]  # what the kernels used, not this process
            print(f"{stem}: run {i + 1} {run.seconds:.1f} s", flush=True)
        median = statistics.median(runs)
        results["chapters"][stem] = {"median_s": round(median, 1), "runs_s": runs, "budget_s": BUDGETS[stem]}
        if median > BUDGETS[stem]:
            over.append(f"{stem}: median {median:.1f} s is over its budget of {BUDGETS[stem]} s")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\n{'chapter':<26}{'median':>8}{'budget':>8}   runs")
    for stem, row in results["chapters"].items():
        print(f"{stem:<26}{row['median_s']:>7.1f}s{row['budget_s']:>7}s   {row['runs_s']}")
    print(f"measured on {results['machine']}; written to {RESULTS.relative_to(ROOT)}")
    if over:
        print("\n" + "!" * 72 + "\nOVER BUDGET:\n  " + "\n  ".join(over) + "\n" + "!" * 72, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
