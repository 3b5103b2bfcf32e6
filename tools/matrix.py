"""The unit tests and every chapter in environments other than the lock's: `make matrix`.

    python tools/matrix.py            # every environment below
    python tools/matrix.py oldest     # one of them (CI runs this one)
    python tools/matrix.py oldest --prepare   # only build its environment (CI, while make test runs)

requirements.txt pins the one environment `make test` uses. Students bring
others: a JupyterHub with a PyTorch two years old, Colab with its own CUDA build.
Each environment below is a virtual environment created by uv and filled by pip
(as a student's is), cached under
``$XDG_CACHE_HOME/coursekit-matrix`` and rebuilt when its definition or
pyproject.toml changes (``--refresh`` rebuilds it anyway). In each:

1. what it holds before coursekit is written down (``pip freeze``);
2. coursekit's wheel is installed with pip, as a student would install it; no
   installed package may change (no forced upgrades), and the only new ones
   allowed are coursekit and its small pure-Python dependencies;
3. the unit tests run (``tests/``, less ``LOCK_ONLY_TESTS``) and every chapter
   executes in a fresh kernel, importing the installed wheel.
   In "colab" each chapter runs as a reader runs a downloaded one: from an empty
   folder, its first cell installing coursekit from the wheel, in the same kernel
   as the rest of the chapter.

Prints a table and writes ``_build/matrix/<name>.json`` (versions, pass/fail,
seconds). Exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_notebook import CAPABILITIES, environment  # noqa: E402 - tools/ is no package

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
OUT = ROOT / "_build" / "matrix"
# What a new coursekit may add to an environment beside itself: pure-Python packages.
SMALL_ADDITIONS = {"tqdm", "platformdirs", "filelock"}
# What the versions table reports for each environment.
# Tests of what runs only in requirements.txt's environment: the rendered book (`make book`), the
# grader (`make grade`), this tool (Python 3.11's tomllib), and a chapter run from the repository
# root, which this tool's own chapter runs repeat. `make test` runs them; here they would add about
# 5 minutes to CI.
LOCK_ONLY_TESTS = ("tests/book", "tests/test_assignments.py", "tests/test_install.py", "tests/test_matrix.py")
REPORTED = ("torch", "torchvision", "numpy", "matplotlib", "scikit-learn", "ipykernel")


@dataclass(frozen=True)
class Environment:
    """One cell of the matrix: a Python, and how the packages before coursekit are chosen."""

    about: str
    python: str
    # pyproject.toml's dependencies at their lower bounds, exactly; else the newest releases.
    lowest: bool = False
    # Packages the user has before coursekit, instead of pyproject.toml's dependencies (Colab's own set).
    preinstalled: tuple[str, ...] = ()
    unit_tests: bool = True
    # Each chapter from an empty folder, installing coursekit from its first cell (the wheel given by COURSEKIT_WHEEL).
    as_downloaded: bool = False


def oldest_python() -> str:
    """The oldest Python pyproject.toml admits (its requires-python, ">=3.N")."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"].removeprefix(">=")


ENVIRONMENTS = {
    "oldest": Environment("pyproject.toml's lower bounds, on the oldest admitted Python", oldest_python(), lowest=True),
    "newest": Environment("the newest releases on the package index", "3.13"),
    # Colab's kind of environment: Python 3.12, PyTorch's CUDA build older than the lock, Colab's
    # long-serving ipykernel 6.17; the chapters install coursekit into it from their first cell.
    "colab": Environment(
        "Colab, simulated: its Python, an older CUDA build of PyTorch, its ipykernel",
        "3.12",
        preinstalled=(
            "torch==2.8.0",
            "torchvision==0.23.0",
            "numpy==2.0.2",
            "matplotlib==3.10.0",
            "scikit-learn==1.6.1",
            "scipy==1.15.3",  # the scipy of that scikit-learn: a newer one warns on the options it passes
            "ipykernel==6.17.1",
            "tqdm==4.67.1",
            "platformdirs==4.3.8",
            "filelock==3.18.0",
            "nbclient",
            "nbformat",
        ),
        unit_tests=False,
        as_downloaded=True,
    ),
}


@dataclass
class Result:
    name: str
    about: str
    python: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    setup_s: float = 0.0
    changed_by_install: list[str] = field(default_factory=list)
    unit_tests: str = "not run"  # pytest's summary line
    unit_tests_s: float = 0.0
    chapters: dict[str, dict] = field(default_factory=dict)  # stem -> {"passed", "seconds", "problems"}

    @property
    def passed(self) -> bool:
        summary = self.unit_tests
        units_ok = summary == "not run" or (" passed" in summary and "failed" not in summary and "error" not in summary)
        chapters_ok = bool(self.chapters) and all(c["passed"] for c in self.chapters.values())
        return not self.changed_by_install and units_ok and chapters_ok


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def _uv() -> str:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise SystemExit("tools/matrix.py needs uv (requirements.txt installs it into .venv: run `make venv`)")
    return uv


def interpreter(version: str) -> str:
    """A Python ``version`` for ``uv venv --python``: pyenv's where it has one, else the version for uv to find.

    uv looks on the PATH and in its own installs, and downloads one where it may
    (GitHub's runners); here, with no download possible, pyenv's are the ones.
    """
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    found = sorted(Path(pyenv_root).glob(f"versions/{version}.*/bin/python{version}"))
    return str(found[-1]) if found else version


def course_requirements(lowest: bool = False) -> list[str]:
    """coursekit's dependencies, extras included (pyproject.toml); with ``lowest``, each pinned to its lower bound."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(r) for r in project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]]
    if not lowest:
        return [str(r) for r in requirements]
    return [f"{r.name}=={next(s.version for s in r.specifier if s.operator == '>=')}" for r in requirements]


def course_dependencies() -> set[str]:
    """The names of coursekit's own dependencies, extras included."""
    return {canonicalize_name(Requirement(r).name) for r in course_requirements()}


def test_tools() -> list[str]:
    """What the unit tests and the chapter runs need beside coursekit: requirements.in, less coursekit's own dependencies.

    Those come from the environment's definition, so requirements.in's pins of torch
    and torchvision do not apply. setuptools and wheel: tests build coursekit's
    wheel without build isolation.
    """
    ours = course_dependencies() | {"torch", "torchvision"}
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.in").read_text().splitlines()]
    return [line for line in lines if line and canonicalize_name(Requirement(line).name) not in ours] + ["setuptools", "wheel"]


def venv_path(name: str, env: Environment) -> Path:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [project[key] for key in ("requires-python", "dependencies", "optional-dependencies")]
    definition = json.dumps([asdict(env), wanted, (ROOT / "requirements.in").read_text()])
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "coursekit-matrix"
    return cache / f"{name}-{hashlib.sha256(definition.encode()).hexdigest()[:12]}"


def freeze(python: Path) -> dict[str, str]:
    out = _run([python, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"]).stdout
    pairs = (re.split(r"\s*(?:==| @ )\s*", line, maxsplit=1) for line in out.splitlines() if line and not line.startswith("#"))
    return {canonicalize_name(p[0]): (p[1] if len(p) > 1 else "") for p in pairs}


def build(name: str, env: Environment, refresh: bool) -> Path:
    """The environment's virtual environment, without coursekit; returns its python."""
    path = venv_path(name, env)
    python = path / "bin" / "python"
    if (path / ".complete").exists() and not refresh:
        return python
    shutil.rmtree(path, ignore_errors=True)
    # The same environment for an earlier definition (requirements.in, pyproject.toml): 5-7 GB each,
    # which filled a build machine's disk. Another checkout's definition is rebuilt when it runs.
    for stale in path.parent.glob(f"{name}-*"):
        print(f"removing {stale}: built for another definition of {name!r}", flush=True)
        shutil.rmtree(stale)
    _run([_uv(), "venv", "--quiet", "--seed", "--python", interpreter(env.python), path])
    # pip, not uv, chooses the packages, as for a student: pip then finds the environment consistent
    # (uv and pip can pick different versions in a range, which pip would "fix" when coursekit arrives).
    install = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run(install + (list(env.preinstalled) or course_requirements(env.lowest)))
    if not env.preinstalled:
        # The test tools, held to what is there: they must not move coursekit's dependencies.
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as pins:
            pins.write("\n".join(f"{k}=={v}" for k, v in freeze(python).items() if v and "/" not in v))
        try:
            _run(install + ["--constraint", pins.name] + test_tools())
        finally:
            os.unlink(pins.name)
        _run(install + ["--no-deps", "-r", str(ROOT / "requirements-d2l.txt")])  # the parity tests' reference
    (path / ".complete").write_text(name)
    return python


def wheel(into: Path) -> Path:
    """coursekit's wheel, built from this checkout as the book publishes it."""
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from coursekit_wheel import build_wheel

    return build_wheel(ROOT, into)


def run_chapters(
    python: Path, chapters: list[Path], env: dict[str, str], cwd: Path, kernels: tuple[str, int], jobs: int = 1, beside: Callable | None = None
) -> dict[str, dict]:
    """Execute ``chapters`` with ``python``'s kernel under ``kernels`` (CPU kernel set, threads; see tools/run_notebook.py),
    ``jobs`` chapters at once, the last (the longest) first; ``beside``, a function, runs in the same pool
    next to the longest chapter, and the other chapters fill in around them."""
    capability, threads = kernels
    options = ["--capability", capability, "--threads", str(threads)]

    def one(chapter: Path) -> dict[str, dict]:
        report = cwd / f"{chapter.stem}.json"
        subprocess.run([python, ROOT / "tools" / "run_notebook.py", chapter, "--json", report, *options], env=env, cwd=cwd)
        if not report.exists():
            return {chapter.stem: {"passed": False, "seconds": 0.0, "problems": ["tools/run_notebook.py wrote no report"]}}
        return {run["chapter"]: run for run in json.loads(report.read_text())}

    longest, *others = sorted(chapters, reverse=True)
    with ThreadPoolExecutor(jobs) as pool:
        runs = [pool.submit(one, longest)]
        extra = pool.submit(beside) if beside is not None else None
        runs += [pool.submit(one, chapter) for chapter in others]
        reports = [run.result() for run in runs]
        if extra is not None:
            extra.result()
    return {stem: run for report in reports for stem, run in sorted(report.items())}


def unit_tests(python: Path, env: dict[str, str], name: str, result: Result) -> None:
    """The unit tests (less LOCK_ONLY_TESTS) with ``python``; their summary line and seconds go into ``result``."""
    start = time.perf_counter()
    tests = subprocess.run(
        [python, "-m", "pytest", "tests", *(f"--ignore={t}" for t in LOCK_ONLY_TESTS), "-q", "-p", "no:cacheprovider", "--durations=10"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    result.unit_tests_s = round(time.perf_counter() - start, 1)
    (OUT / f"{name}-pytest.log").write_text(tests.stdout + tests.stderr)
    tail = [line for line in tests.stdout.splitlines() if " in " in line and ("passed" in line or "failed" in line or "error" in line)]
    result.unit_tests = tail[-1].strip("= ") if tail else f"pytest exited {tests.returncode} without a summary"


def check(name: str, env: Environment, refresh: bool, work: Path, kernels: tuple[str, int]) -> Result:
    result = Result(name, env.about)
    start = time.perf_counter()
    python = build(name, env, refresh)
    built = wheel(work / "dist")
    ours = canonicalize_name(built.name.split("-")[0])
    # The cached environment holds the wheel of the last run: without it, "before" is the user's environment.
    _run([python, "-m", "pip", "uninstall", "--quiet", "--yes", ours])
    before = freeze(python)
    result.setup_s = round(time.perf_counter() - start, 1)
    result.python = _run([python, "-c", "import platform; print(platform.python_version())"]).stdout.strip()
    run_env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    run_env["PATH"] = f"{python.parent}{os.pathsep}{run_env['PATH']}"

    if env.as_downloaded:
        downloads = work / "downloads"
        downloads.mkdir()
        chapters = [Path(shutil.copy(p, downloads)) for p in CHAPTERS]
        # A reader's fresh data directory; the chapter's first cell installs the wheel.
        notebook_env = {**run_env, "COURSEKIT_WHEEL": built.as_uri(), "COURSEKIT_DATA": str(work / "data")}
        # One at a time: each chapter's first cell installs coursekit into the same environment.
        result.chapters = run_chapters(python, chapters, notebook_env, downloads, kernels)
    else:
        _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"{built}[notebook,student]"], env=run_env)
    after = freeze(python)
    result.changed_by_install = [
        f"{k}: {before.get(k, 'absent')} -> {after.get(k, 'removed')}"
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k) and not (k == ours or (k not in before and k in SMALL_ADDITIONS))
    ]
    result.versions = {k: after.get(k, "-") for k in REPORTED}

    if env.as_downloaded:
        return result
    # As many chapters at once as the threads each gets leave cores for (one-thread runs: one per core).
    # The unit tests, held to the same threads, run beside the longest chapter and the other chapters
    # fill in around them (oldest on 2 cores: 274 s in all; 322 s with the unit tests queued last).
    jobs = max(1, (os.cpu_count() or 1) // kernels[1])
    tests = partial(unit_tests, python, environment("native", kernels[1], run_env), name, result) if env.unit_tests else None
    result.chapters = run_chapters(python, CHAPTERS, run_env, work, kernels, jobs, tests)
    return result


def table(results: list[Result]) -> str:
    head = ["environment", "Python", *REPORTED, "install changed", "unit tests", *(p.stem[:2] for p in CHAPTERS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        runs = (r.chapters.get(p.stem, {"passed": False, "seconds": 0}) for p in CHAPTERS)
        chapters = [f"{'pass' if c['passed'] else 'FAIL'} {c['seconds']:.0f} s" for c in runs]
        units = f"{r.unit_tests} ({r.unit_tests_s:.0f} s)" if r.unit_tests != "not run" else "not run"
        changed = "; ".join(r.changed_by_install) or "nothing"
        lines.append("| " + " | ".join([r.name, r.python, *(r.versions.get(k, "-") for k in REPORTED), changed, units, *chapters]) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"environments to check (default: all of {', '.join(ENVIRONMENTS)})")
    parser.add_argument("--refresh", action="store_true", help="rebuild the environments even when cached")
    parser.add_argument("--prepare", action="store_true", help="only build the environments (downloads and installs), run nothing")
    parser.add_argument("--capability", choices=CAPABILITIES, default="native", help="CPU kernels for the chapters")
    parser.add_argument("--threads", type=int, default=2, help="threads for the chapters")
    args = parser.parse_args()
    unknown = set(args.names) - set(ENVIRONMENTS)
    if unknown:
        parser.error(f"no environment named {', '.join(sorted(unknown))}; choose from {', '.join(ENVIRONMENTS)}")
    if args.prepare:
        for name in args.names or list(ENVIRONMENTS):
            print(f"{name}: ready in {build(name, ENVIRONMENTS[name], args.refresh).parent.parent}", flush=True)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.names or list(ENVIRONMENTS):
        print(f"{name}: {ENVIRONMENTS[name].about}", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"matrix-{name}-") as work:
            result = check(name, ENVIRONMENTS[name], args.refresh, Path(work), (args.capability, args.threads))
        (OUT / f"{name}.json").write_text(json.dumps({**asdict(result), "passed": result.passed}, indent=1) + "\n")
        print(f"  {'passed' if result.passed else 'FAILED'}: setup {result.setup_s:.0f} s, unit tests {result.unit_tests}", flush=True)
        log = OUT / f"{name}-pytest.log"
        if log.exists():
            for line in log.read_text().splitlines():
                if line.startswith(("FAILED ", "ERROR ")):
                    print(f"  {line}  (whole log: {log.relative_to(ROOT)})", flush=True)
        for stem, chapter in result.chapters.items():
            for problem in chapter["problems"]:
                print(f"  {stem}: {problem}", flush=True)
        for change in result.changed_by_install:
            print(f"  installing coursekit changed {change}", flush=True)
        results.append(result)
    print("\n" + table(results))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
