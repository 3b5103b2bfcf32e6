"""bench/: each benchmark's usage line is a command that runs it (they import ``bench.common``, so as modules)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = [path for path in sorted((ROOT / "bench").glob("*.py")) if path.stem not in ("__init__", "common")]


def test_every_usage_line_runs_the_benchmark_as_a_module():
    assert BENCHMARKS, "no benchmark found"
    for path in BENCHMARKS:
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        commands = [line.split() for line in re.findall(r"^\s+(python\s.*)$", doc, re.M)]
        assert commands, f"{path.name}: the docstring shows no `python ...` usage line"
        for command in commands:
            # `python bench/x.py` puts bench/ on sys.path, not the repository: `import bench` then fails.
            assert command[:3] == ["python", "-m", f"bench.{path.stem}"], f"{path.name}: {' '.join(command)}"
