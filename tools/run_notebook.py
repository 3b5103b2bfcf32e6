"""Execute chapter notebooks in fresh kernels, as the book build does, and report on them.

    python tools/run_notebook.py notebooks/03_softmax_regression.ipynb [...]

For each notebook: the total run time, the slowest cells, and every error or
stderr output (a warning, a progress bar), which the course standards forbid.
Exit status 1 if any notebook failed, wrote to stderr or has stored outputs.
The notebook file itself is not modified.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def stored_output_problems(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"cell {i} is stored with outputs or an execution count"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]


def run(path: Path, timeout: int) -> tuple[float, list[tuple[float, int, str]], list[str]]:
    """Execute ``path``; return (seconds, [(cell seconds, index, first line)], problems)."""
    nb = nbformat.read(path, as_version=4)
    problems = stored_output_problems(nb)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}, record_timing=True)
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        problems.append(f"execution failed:\n{error}")
    seconds = time.perf_counter() - start
    timings = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("execution", {})
        began, ended = meta.get("iopub.execute_input"), meta.get("shell.execute_reply")
        if began and ended:
            dt = (datetime.fromisoformat(ended.replace("Z", "+00:00")) - datetime.fromisoformat(began.replace("Z", "+00:00"))).total_seconds()
            timings.append((dt, i, cell.source.splitlines()[0] if cell.source else ""))
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                problems.append(f"cell {i} wrote to stderr:\n{output.get('text', '')}")
    return seconds, sorted(timings, reverse=True), problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--slowest", type=int, default=5, help="how many of the slowest cells to list")
    args = parser.parse_args()
    failed = False
    for path in args.notebooks:
        seconds, timings, problems = run(path, args.timeout)
        print(f"{path}: {seconds:.1f} s in a fresh kernel")
        for dt, i, first in timings[: args.slowest]:
            print(f"    {dt:6.1f} s  cell {i}: {first[:70]}")
        for problem in problems:
            print(f"  PROBLEM: {problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
