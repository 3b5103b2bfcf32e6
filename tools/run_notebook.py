"""Execute chapter notebooks in fresh kernels, as the book build does, under any CPU kernel set and thread count.

    python tools/run_notebook.py notebooks/03_softmax_regression.ipynb [...]
    python tools/run_notebook.py --capability native avx2 default --threads 1 2 notebooks/0*.ipynb   # make portability

For each notebook: the total run time, the slowest cells, and every error or
stderr output (a warning, a progress bar), which the course standards forbid.
Exit status 1 if any notebook failed, wrote to stderr or has stored outputs.
The notebook file itself is not modified.

Students run the chapters on CPUs of every kind. PyTorch picks its CPU kernels by
what the processor offers (``torch.backends.cpu.get_cpu_capability()``), and
``ATEN_CPU_CAPABILITY`` forces a lesser set: ``default`` gives the generic
kernels that CPUs without AVX2 (and, for PyTorch's own vectorized code, most
ARM laptops) run; ``avx2`` those of most laptops of the last decade. Different
kernels and thread counts add floating-point numbers in a different order, so
the last digits of every result change, and each chapter's check cells must hold
in every configuration. With ``--capability`` or ``--threads`` every notebook runs in
every configuration given, and a table of pass/fail and seconds closes the report
(seconds for orientation, not a benchmark: run it on a quiet machine).

`execute` is also what the environment matrix (tools/matrix.py) and the chapter
benchmarks (bench/chapters.py, bench/seed_margins.py) run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

CAPABILITIES = ("native", "avx2", "default")
# Run first in the kernel: it fixes the thread count and reports what the kernel really got.
_PROBE = """\
import json as _json, torch as _torch
{set_threads}_probe = {{"capability": _torch.backends.cpu.get_cpu_capability(), "threads": _torch.get_num_threads()}}
print("COURSEKIT-PROBE " + _json.dumps({{**_probe, "torch": _torch.__version__}}))
"""


@dataclass
class Run:
    """What one execution of a notebook gave."""

    path: Path
    seconds: float
    problems: list[str]
    timings: list[tuple[float, int, str]] = field(default_factory=list)  # (seconds, cell index, first line), slowest first
    probe: dict = field(default_factory=dict)  # capability, threads and torch version seen by the kernel
    outputs: list[str] = field(default_factory=list)  # stdout of the cells appended with `extra_cells`

    @property
    def passed(self) -> bool:
        return not self.problems


def stored_output_problems(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"cell {i} is stored with outputs or an execution count"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]


def _cell_seconds(cell: nbformat.NotebookNode) -> float | None:
    meta = cell.metadata.get("execution", {})
    began, ended = meta.get("iopub.execute_input"), meta.get("shell.execute_reply")
    if not (began and ended):
        return None
    return (datetime.fromisoformat(ended.replace("Z", "+00:00")) - datetime.fromisoformat(began.replace("Z", "+00:00"))).total_seconds()


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stdout")


def execute(
    path: Path,
    timeout: int = 600,
    *,
    env: dict[str, str] | None = None,
    threads: int | None = None,
    cwd: Path | None = None,
    edit=None,
    extra_cells: list[str] = (),
    allow_errors: bool = False,
) -> Run:
    """Execute the notebook at ``path`` in a fresh kernel; the file is not modified.

    Args:
        env: the kernel's whole environment (default: this process's).
        threads: call ``torch.set_num_threads(threads)`` before the first cell.
        cwd: the kernel's working directory (default: the notebook's folder).
        edit: a function that changes the notebook in memory before it runs.
        extra_cells: code run after the last cell; their stdout is returned in ``Run.outputs``.
        allow_errors: go on after a failing cell (the failure is still reported as a problem).
    """
    nb = nbformat.read(path, as_version=4)
    problems = stored_output_problems(nb)
    if edit is not None:
        edit(nb)
    set_threads = f"_torch.set_num_threads({threads})\n" if threads else ""
    first = len(nb.cells) + 1
    nb.cells = [nbformat.v4.new_code_cell(_PROBE.format(set_threads=set_threads))] + nb.cells
    nb.cells += [nbformat.v4.new_code_cell(code) for code in extra_cells]
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd or path.parent)}},
        record_timing=True,
        allow_errors=allow_errors,
    )
    start = time.perf_counter()
    try:
        client.execute(**({"env": env} if env is not None else {}))
    except CellExecutionError as error:
        problems.append(f"execution failed:\n{error}")
    except DeadKernelError as error:
        problems.append(f"the kernel died: {error}")
    except AssertionError as error:
        # nbclient 0.11 trips over its own cleanup after a kernel died, hiding the DeadKernelError.
        if not isinstance(error.__context__, DeadKernelError):
            raise
        problems.append(f"the kernel died: {error.__context__}")
    seconds = time.perf_counter() - start
    probe_text = _stdout(nb.cells[0])
    probe = json.loads(probe_text.split("COURSEKIT-PROBE ", 1)[1]) if "COURSEKIT-PROBE " in probe_text else {}
    timings = []
    for i, cell in enumerate(nb.cells[1:first]):
        if cell.cell_type != "code":
            continue
        dt = _cell_seconds(cell)
        if dt is not None:
            timings.append((dt, i, cell.source.splitlines()[0] if cell.source else ""))
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                problems.append(f"cell {i} wrote to stderr:\n{output.get('text', '')}")
            if allow_errors and output.get("output_type") == "error":
                problems.append(f"cell {i} raised {output.get('ename')}: {output.get('evalue')}")
    return Run(path, seconds, problems, sorted(timings, reverse=True), probe, [_stdout(c) for c in nb.cells[first:]])


def environment(capability: str, threads: int | None, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the kernel set and thread count (None: as it is) of one configuration."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k != "ATEN_CPU_CAPABILITY"}
    if capability != "native":
        env["ATEN_CPU_CAPABILITY"] = capability
    if threads is not None:
        # OpenMP and MKL read these when torch is imported; the probe cell also calls torch.set_num_threads.
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return env


def kernel_mismatch(probe: dict, capability: str | None, threads: int | None) -> str | None:
    """Why a kernel that reported ``probe`` did not run as asked (None: as asked, or nothing asked)."""
    # torch says "AVX2", "DEFAULT", ...; releases before 2.5 say "NO AVX" for the generic kernels
    probed = str(probe.get("capability", "")).lower().replace("no avx", "default")
    if probe and (capability not in (None, "native", probed) or threads not in (None, probe.get("threads"))):
        return f"the kernel ran with {probe}, not the kernels {capability or 'as set'} and {threads or 'any number of'} threads"
    return None


def execute_in(path: Path, capability: str | None, threads: int | None, timeout: int = 600) -> Run:
    """``execute`` under a kernel set and a thread count (None: as this process has them); a kernel
    that did not get them is a problem of the run."""
    run = execute(path, timeout, env=None if capability is None else environment(capability, threads), threads=threads)
    mismatch = kernel_mismatch(run.probe, capability, threads)
    if mismatch:
        run.problems.append(mismatch)
    return run


def table(rows: list[dict], stems: list[str]) -> str:
    """The runs as a Markdown table: one row per configuration, pass/fail and seconds per notebook."""
    head = ["kernels (probed)", "threads"] + [s[:2] for s in stems] + ["all"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for configuration in dict.fromkeys((r["capability"], r["threads"]) for r in rows):
        runs = [r for r in rows if (r["capability"], r["threads"]) == configuration]
        cells = [f"{'pass' if r['passed'] else 'FAIL'} {r['seconds']:.0f} s" for r in runs]
        total = f"{'pass' if all(r['passed'] for r in runs) else 'FAIL'} {sum(r['seconds'] for r in runs):.0f} s"
        probed = f"{configuration[0] or 'as set'} ({runs[0]['probe'].get('capability', '?')})"
        lines.append("| " + " | ".join([probed, str(runs[0]["probe"].get("threads", "?"))] + cells + [total]) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--slowest", type=int, default=5, help="how many of the slowest cells to list")
    parser.add_argument("--json", type=Path, help="also write a list of the runs (configuration, passed, seconds, problems) to this file")
    parser.add_argument("--capability", nargs="+", choices=CAPABILITIES, help="CPU kernel sets to run under (default: as this process has it)")
    parser.add_argument("--threads", nargs="+", type=int, help="thread counts to run with (torch.set_num_threads before the first cell)")
    args = parser.parse_args()
    rows = []
    for capability in args.capability or [None]:
        for threads in args.threads or [None]:
            for path in args.notebooks:
                run = execute_in(path, capability, threads, args.timeout)
                row = {"capability": capability, "threads": threads, "chapter": path.stem, "probe": run.probe}
                rows.append({**row, "passed": run.passed, "seconds": round(run.seconds, 1), "problems": run.problems})
                if args.json:
                    args.json.parent.mkdir(parents=True, exist_ok=True)
                    args.json.write_text(json.dumps(rows, indent=1) + "\n")
                kernel = f"{run.probe.get('capability')}, {run.probe.get('threads')} threads"
                print(f"{path}: {run.seconds:.1f} s in a fresh kernel ({kernel})", flush=True)
                for dt, i, first in run.timings[: args.slowest]:
                    print(f"    {dt:6.1f} s  cell {i}: {first[:70]}")
                for problem in run.problems:
                    print("  PROBLEM: " + problem.replace("\n", "\n    "), flush=True)
    if len(rows) > 1:
        print("\n" + table(rows, [p.stem for p in args.notebooks]))
    failed = [f"{r['chapter']} ({r['capability'] or 'as set'}, {r['probe'].get('threads', '?')} thread(s))" for r in rows if not r["passed"]]
    if failed:
        print(f"\nFAILED in {len(failed)} place(s): " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
