"""A chapter downloaded from the book runs where there is no repository, with only the published wheel.

This is what a reader who clicks the download button (or opens the chapter in
Colab) does: a Python environment that has PyTorch and Jupyter but not
coursekit, a folder with nothing in it but the notebook, and the book's website.
The environment is a new virtual environment that sees the test environment's
packages (so no download is needed; pip runs with --no-index), except coursekit.
The notebook's first cell must install coursekit from the wheel the site serves;
coursekit then fetches and verifies the data into the user cache of a fresh account,
and the chapter leaves nothing in the reader's folder but itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from tools.serve_book import HTML

ROOT = Path(__file__).resolve().parents[2]
# It reads its data set through coursekit (Fashion-MNIST). Chapter 5 (MNIST) runs from the
# installed wheel in a bare folder in CI's oldest environment (tools/matrix.py).
CHAPTER = "03_softmax_regression.ipynb"


def _environment_without_coursekit(where: Path) -> Path:
    """A new venv whose site-packages sees this one's packages, coursekit excepted; returns its python."""
    # Without its own pip and setuptools, which would shadow the newer ones the shared packages need.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True, capture_output=True, text=True
    ).stdout.strip()
    shared = where / "shared-packages"
    shared.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if "coursekit" in entry.name.lower() or entry.suffix == ".pth":
            continue
        (shared / entry.name).symlink_to(entry)
    (Path(purelib) / "shared-packages.pth").write_text(f"{shared}\n")
    return python


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.skipif(sys.platform == "win32", reason="the test builds a POSIX venv layout")
def test_a_downloaded_chapter_runs_with_only_the_published_wheel(site, tmp_path, load_source):
    wheels = sorted((HTML / "_static" / "wheels").glob("*.whl"))
    assert len(wheels) == 1, "the book build publishes exactly one coursekit wheel in _static/wheels/"
    python = _environment_without_coursekit(tmp_path / "venv")
    outside = subprocess.run([str(python), "-c", "import coursekit"], cwd=tmp_path, capture_output=True, text=True)
    assert outside.returncode != 0, "the new environment must not see coursekit before the notebook installs it"

    work = tmp_path / "downloads"
    work.mkdir()
    with urllib.request.urlopen(f"{site}_sources/notebooks/{CHAPTER}") as response:
        notebook = json.loads(response.read())
    (work / CHAPTER).write_text(json.dumps(notebook))
    # What the build writes into the served notebooks when the book is published at an address
    # (html.baseurl; on GitHub Actions, its Pages address): that address's wheel as the default.
    wheel_url = f"{site}_static/wheels/{wheels[0].name}"
    assert load_source("book/_ext/coursekit_wheel.py").set_default_url(work / CHAPTER, wheel_url)

    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV", "COURSEKIT_WHEEL", "COURSEKIT_DATA"}}
    env.update(
        XDG_CACHE_HOME=str(tmp_path / "cache"),  # a fresh account's: coursekit fetches and verifies the data into it
        PIP_NO_INDEX="1",  # everything but coursekit is installed already; nothing is downloaded
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter"),  # no kernel spec but the new environment's own python
        PATH=f"{python.parent}{os.pathsep}{env['PATH']}",
    )
    assert env.get("COURSEKIT_MIRRORS"), "the data come from the mirror (make test sets COURSEKIT_MIRRORS)"
    _run(
        [
            str(python),
            "-m",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--output",
            "executed.ipynb",
            "--output-dir",
            str(tmp_path),
            "--ExecutePreprocessor.timeout=900",
            "--ExecutePreprocessor.kernel_name=python3",
            CHAPTER,
        ],
        cwd=work,
        env=env,
    )

    where = _run([str(python), "-c", "import coursekit; print(coursekit.__file__)"], cwd=tmp_path, env=env).stdout
    assert Path(where.strip()).is_relative_to(tmp_path / "venv"), f"coursekit was not installed from the wheel: {where}"
    assert any((tmp_path / "cache" / "coursekit").rglob("*-ubyte*")), "coursekit fetched the data into the user cache"
    assert [p.name for p in work.iterdir()] == [CHAPTER], "the chapter left files in the reader's folder"
    executed = json.loads((tmp_path / "executed.ipynb").read_text())
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
