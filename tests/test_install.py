"""A chapter runs outside the repository, with coursekit installed from a built wheel.

This is how a student who downloads one notebook works: the notebook alone in
some folder, coursekit from a package (not this checkout), and the data in the
user cache (or wherever COURSEKIT_DATA says).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.data import fetch
from tools.run_notebook import execute

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory, load_source) -> Path:
    """coursekit built as a wheel, the way the book publishes it, and installed into a folder of its own."""
    out = tmp_path_factory.mktemp("wheel")
    wheel = load_source("book/_ext/coursekit_wheel.py").build_wheel(ROOT, out / "dist")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "--quiet"]
    subprocess.run(pip + ["install", "--no-deps", "--target", str(out / "site"), str(wheel)], check=True)
    return out / "site"


# Chapter 3 reads Fashion-MNIST; chapter 5 (MNIST) runs as downloaded from the built site, with the
# wheel the site publishes, in tests/book/test_outside_repository.py: a third run here would repeat it.
@pytest.mark.parametrize("chapter", ["03_softmax_regression"])
def test_chapter_runs_alone_in_a_folder_with_coursekit_from_a_wheel(chapter, wheel_site, tmp_path):
    folder = tmp_path / "my-homework"
    folder.mkdir()
    notebook = Path(shutil.copy(ROOT / "notebooks" / f"{chapter}.ipynb", folder))
    env = {k: v for k, v in os.environ.items() if k not in ("COURSEKIT_DATA", "PYTHONPATH")}
    env["PYTHONPATH"] = str(wheel_site)  # ahead of the checkout's editable install
    if fetch.mirrors():
        # The user cache of a fresh account, filled from the mirror on first use.
        env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
        expected_data = tmp_path / "cache" / "coursekit"
    else:  # no mirror: the data this checkout already verified, through COURSEKIT_DATA
        env["COURSEKIT_DATA"] = expected_data = str(fetch.data_dir())
    probe = "import coursekit, coursekit.data.fetch as f; print(coursekit.__file__); print(f.__file__); print(f.data_dir())"
    run = execute(notebook, 900, env=env, cwd=folder, extra_cells=[probe])
    assert run.passed, "\n".join(run.problems)
    package_file, fetch_file, data = run.outputs[0].split()
    for module_file in (package_file, fetch_file):  # every module, not only the top one, from the wheel
        assert Path(module_file).is_relative_to(wheel_site), f"the kernel imported {module_file}, not the wheel"
    assert Path(data) == Path(expected_data)
    assert sorted(p.name for p in folder.iterdir()) == [notebook.name], "the chapter left files in the student's folder"


def test_chapter_runs_with_the_repository_root_as_working_directory():
    """VS Code starts a notebook's kernel in the workspace folder, not the notebook's."""
    run = execute(ROOT / "notebooks" / "03_softmax_regression.ipynb", 900, cwd=ROOT)
    assert run.passed, "\n".join(run.problems)
