"""d2l 0.17.6 against coursekit.d2l on the same chapter scripts: wall time and final numbers.

    python -m bench.d2l_compat [--repeats 3] [--scripts softmax_concise mlp_concise ...]

Each script of ``tests/d2l_scripts/`` (d2l's chapters 2 to 4, written in its
style, with the book's epochs) runs in a fresh Python process, once with the
real d2l, unchanged (its own Fashion-MNIST loader, 4 worker processes), and
once with coursekit.d2l in its place, from the same seeds; the runs take turns
so that a slow spell of the machine hits both alike. A run's time is the
whole process, start-up included, as a reader running the chapter sees it.
The table gives the medians and each script's last numbers from both, which
agree within noise (the two loaders shuffle differently, so the numbers
differ a little where Fashion-MNIST is trained on).

Takes 15 to 20 minutes a repeat on a 2-core machine (about an hour with the
default 3 repeats), most of it d2l's per-image conversion of Fashion-MNIST. Run it on a quiet machine; the results, with the machine,
go to ``bench/results/d2l_compat.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import machine
from coursekit import d2l as ck

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "tests" / "d2l_scripts"
RUNNER = SCRIPTS / "run.py"
RESULTS = ROOT / "bench" / "results" / "d2l_compat.json"
BACKENDS = ("d2l", "coursekit")


def all_scripts() -> list[str]:
    """The chapter scripts, by name, in the book's order of sections."""
    order = ["preliminaries", "linreg_scratch", "linreg_concise", "fashion_data", "softmax_scratch", "softmax_concise",
             "mlp_scratch", "mlp_concise", "polynomial", "weight_decay", "dropout"]  # fmt: skip
    found = sorted(p.stem for p in SCRIPTS.glob("*.py") if p.name != "run.py")
    return [name for name in order if name in found] + [name for name in found if name not in order]


def run_once(backend: str, script: str, folder: Path) -> tuple[float, object]:
    """Run one script in a fresh process; return (seconds, the JSON of its last line before the end marker)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(RUNNER), backend, str(SCRIPTS / f"{script}.py")], cwd=folder, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed with {backend}:\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if line.strip() and not line.startswith("@@ end")]
    return seconds, json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each script with each backend (medians are reported)")
    parser.add_argument("--scripts", nargs="+", default=None, help="names of scripts in tests/d2l_scripts (default: all)")
    args = parser.parse_args()
    scripts = args.scripts or all_scripts()
    unknown = set(scripts) - set(all_scripts())
    if unknown:
        raise SystemExit(f"no such script in {SCRIPTS}: {', '.join(sorted(unknown))}")

    with tempfile.TemporaryDirectory(prefix="d2l_compat_") as tmp:
        ck.prepare_torchvision_root(Path(tmp) / "data")  # where d2l's code looks: ../data
        folder = Path(tmp) / "work"
        folder.mkdir()
        rows = {}
        for script in scripts:
            runs: dict[str, list[float]] = {backend: [] for backend in BACKENDS}
            numbers: dict[str, object] = {}
            for _ in range(args.repeats):
                for backend in BACKENDS:
                    seconds, numbers[backend] = run_once(backend, script, folder)
                    runs[backend].append(round(seconds, 2))
            medians = {backend: statistics.median(times) for backend, times in runs.items()}
            rows[script] = {
                "d2l_median_s": medians["d2l"],
                "coursekit_median_s": medians["coursekit"],
                "speed-up": round(medians["d2l"] / medians["coursekit"], 2),
                "runs_s": runs,
                "final": numbers,
            }
            print(f"{script:16s} d2l {medians['d2l']:7.1f} s   coursekit.d2l {medians['coursekit']:7.1f} s   "
                  f"x{rows[script]['speed-up']:.1f}", flush=True)  # fmt: skip

    record = {"machine": machine(), "repeats": args.repeats, "scripts": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    print()
    print(table(record))
    print(f"\nrecorded in {RESULTS.relative_to(ROOT)}")


def table(record: dict) -> str:
    """The record as a Markdown table: medians, speed-up and each side's final numbers."""
    m = record["machine"]
    lines = [
        f"{m['cpu']}, {m['cores']} cores, {m['threads']} threads, torch {m['torch']}, {m['date']}; median of {record['repeats']} runs, whole process",
        "",
        "| script | d2l 0.17.6 (s) | coursekit.d2l (s) | speed-up | final numbers, d2l / coursekit.d2l |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for script, row in record["scripts"].items():
        final = " / ".join(_brief(row["final"][backend]) for backend in BACKENDS)
        lines.append(f"| {script} | {row['d2l_median_s']:.1f} | {row['coursekit_median_s']:.1f} | {row['speed-up']:.1f}x | {final} |")
    return "\n".join(lines)


def _brief(numbers: object) -> str:
    """The accuracies and losses of a script's last line, rounded, for the table."""
    if isinstance(numbers, dict):
        picked = {k: v for k, v in numbers.items() if isinstance(v, (dict, float)) and ("acc" in k or "loss" in k or isinstance(v, dict))}
        return ", ".join(f"{k} {_brief(v)}" for k, v in picked.items())
    return f"{numbers:.4g}" if isinstance(numbers, float) else str(numbers)


if __name__ == "__main__":
    main()
