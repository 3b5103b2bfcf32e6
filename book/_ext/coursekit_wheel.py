"""Publish coursekit's wheel with the book, so that a chapter runs outside the repository.

Every chapter's first code cell installs coursekit when it is missing (Colab, a
notebook downloaded from the book) from the URL in ``COURSEKIT_WHEEL``, an
environment variable that defaults to this wheel's address on the published
site. This extension, after each HTML build:

- builds the wheel from the checkout into ``_static/wheels/`` (offline: build,
  setuptools and wheel come from requirements.txt, so no build isolation);
- when ``html.baseurl`` is set in _config.yml (the address the book is published
  at), writes the wheel's full URL as that default into the notebooks the
  download button serves (``_sources/**/*.ipynb``). Without it, the downloaded
  notebook installs coursekit from the package index, under the distribution
  name in pyproject.toml.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WHEELS = Path("_static") / "wheels"
# Every chapter's first code cell, word for word (tests/test_notebooks.py checks it). %pip
# installs into the kernel's own environment, which is what Colab and Jupyter need.
INSTALL_CELL = """\
# coursekit, the course's helper package, comes with the course's repository. Anywhere
# else (Colab, a notebook downloaded from the book) this cell installs it first. It
# keeps the torch, numpy and matplotlib already installed when they are recent enough.
import importlib.util
import os

COURSEKIT_WHEEL = os.environ.get("COURSEKIT_WHEEL", "")
if importlib.util.find_spec("coursekit") is None:
    # The book's own wheel when the page gives one, else the package index.
    requirement = "coursekit-classification[notebook]"
    if COURSEKIT_WHEEL:
        requirement += f" @ {COURSEKIT_WHEEL}"
    %pip install --quiet "{requirement}"
    importlib.invalidate_caches()
    # %pip reports a failure but does not raise.
    if importlib.util.find_spec("coursekit") is None:
        raise RuntimeError("installing coursekit failed: see pip's messages above")"""
# The line of INSTALL_CELL that holds the default URL.
DEFAULT_LINE = 'COURSEKIT_WHEEL = os.environ.get("COURSEKIT_WHEEL", "")'
# What the wheel is built from: the package and what its pyproject.toml reads.
PACKAGE_FILES = ("pyproject.toml", "README.md", "coursekit")


def build_wheel(root: Path, out: Path) -> Path:
    """Build coursekit's wheel from ``root`` into ``out`` (emptied first); returns its path."""
    (wheel,) = build(root, out, "--wheel")
    return wheel


def build(root: Path, out: Path, *formats: str) -> list[Path]:
    """Build coursekit from ``root`` into ``out`` (emptied first) with ``python -m build`` and ``formats``
    (``--wheel``, ``--sdist``; none: both), as the release does; returns the files built."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        # A copy, so that setuptools' build/ and egg-info never land in the checkout.
        for name in PACKAGE_FILES:
            source = root / name
            if source.is_dir():
                shutil.copytree(source, Path(tmp) / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, Path(tmp) / name)
        # The release's own builder (.github/workflows/release.yml), without network.
        command = [sys.executable, "-m", "build", *formats, "--no-isolation", "--outdir", str(out), tmp]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"building coursekit failed:\n{result.stdout}{result.stderr}")
    return sorted(out.iterdir())


def set_default_url(notebook: Path, url: str) -> bool:
    """Write ``url`` as the install cell's default in a published notebook; True if it had the cell."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in data["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and DEFAULT_LINE in source:
            cell["source"] = source.replace(DEFAULT_LINE, DEFAULT_LINE.replace('""', json.dumps(url)))
            notebook.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            return True
    return False


def _build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    wheel = build_wheel(Path(app.srcdir), outdir / WHEELS)
    base = (app.config.html_baseurl or "").strip()
    if base:
        url = base.rstrip("/") + "/" + (WHEELS / wheel.name).as_posix()
        for notebook in (outdir / "_sources").rglob("*.ipynb"):
            set_default_url(notebook, url)


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
