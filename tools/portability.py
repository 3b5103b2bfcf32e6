"""Execute every chapter under several CPU kernel sets and thread counts: `make portability`.

    python tools/portability.py                       # the whole matrix: 3 kernel sets x 2 thread counts
    python tools/portability.py --capability default --threads 1   # one cell of it (what CI adds)

Students run the chapters on CPUs of every kind. PyTorch picks its CPU kernels by
what the processor offers (``torch.backends.cpu.get_cpu_capability()``), and
``ATEN_CPU_CAPABILITY`` forces a lesser set: ``default`` gives the generic
kernels that CPUs without AVX2 (and, for PyTorch's own vectorized code, most
ARM laptops) run; ``avx2`` those of most laptops of the last decade. Different
kernels and thread counts add floating-point numbers in a different order, so
the last digits of every result change. Each chapter's check cells must hold in
every configuration.

Prints a table of pass/fail and seconds, and writes it as JSON to
_build/portability.json. Exit status 1 if any chapter fails anywhere. Run it on
a quiet machine: the seconds are for orientation, not a benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_notebook import Run, execute

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CAPABILITIES = ("native", "avx2", "default")
THREADS = (1, 2)


def environment(capability: str, threads: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the kernel set and thread count of one configuration."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k != "ATEN_CPU_CAPABILITY"}
    if capability != "native":
        env["ATEN_CPU_CAPABILITY"] = capability
    # OpenMP and MKL read these when torch is imported; the probe cell also calls torch.set_num_threads.
    env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return env


def run_configuration(capability: str, threads: int, chapters: list[Path], timeout: int) -> list[Run]:
    runs = []
    for path in chapters:
        run = execute(path, timeout, env=environment(capability, threads), threads=threads)
        probed = str(run.probe.get("capability", "")).lower()  # torch says "AVX2", "DEFAULT", ...
        if run.probe and ((capability != "native" and probed != capability) or run.probe.get("threads") != threads):
            run.problems.append(f"the kernel ran with {run.probe}, not {capability} and {threads} threads")
        status = "pass" if run.passed else "FAIL"
        print(f"  {capability:>7} x {threads} thread(s)  {path.stem:<24} {status} {run.seconds:6.1f} s", flush=True)
        for problem in run.problems:
            print("    " + problem.replace("\n", "\n    "), flush=True)
        runs.append(run)
    return runs


def table(results: dict[tuple[str, int], list[Run]], chapters: list[Path]) -> str:
    """The matrix as a Markdown table: one row per configuration, pass/fail and seconds per chapter."""
    head = ["kernels (probed)", "threads"] + [p.stem[:2] for p in chapters] + ["all"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (capability, threads), runs in results.items():
        probed = runs[0].probe.get("capability", "?") if runs else "?"
        cells = [f"{'pass' if r.passed else 'FAIL'} {r.seconds:.0f} s" for r in runs]
        total = f"{'pass' if all(r.passed for r in runs) else 'FAIL'} {sum(r.seconds for r in runs):.0f} s"
        lines.append("| " + " | ".join([f"{capability} ({probed})", str(threads)] + cells + [total]) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capability", nargs="+", choices=CAPABILITIES, default=list(CAPABILITIES))
    parser.add_argument("--threads", nargs="+", type=int, default=list(THREADS))
    parser.add_argument("--chapters", nargs="+", type=Path, default=CHAPTERS, help="notebooks (default: every chapter)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args()
    results: dict[tuple[str, int], list[Run]] = {}
    for capability in args.capability:
        for threads in args.threads:
            results[(capability, threads)] = run_configuration(capability, threads, args.chapters, args.timeout)
    report = table(results, args.chapters)
    print("\n" + report)
    out = ROOT / "_build" / "portability.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            [
                {
                    "capability": c,
                    "threads": t,
                    "chapter": r.path.stem,
                    "probe": r.probe,
                    "passed": r.passed,
                    "seconds": round(r.seconds, 1),
                    "problems": r.problems,
                }
                for (c, t), runs in results.items()
                for r in runs
            ],
            indent=1,
        )
    )
    failed = [f"{r.path.stem} ({c}, {t} thread(s))" for (c, t), runs in results.items() for r in runs if not r.passed]
    if failed:
        print(f"\nFAILED in {len(failed)} place(s): " + ", ".join(failed), file=sys.stderr)
        return 1
    print(f"\nevery chapter passed in all {len(results)} configuration(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
