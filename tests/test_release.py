"""The release: an sdist and a wheel that the package index accepts, under the course's own distribution name.

.github/workflows/release.yml builds and publishes them from a version tag; this
builds them the same way (``python -m build``, through book/_ext/coursekit_wheel.py),
offline, and checks them.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (make matrix): pytest's own dependency
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.fixture(scope="module")
def dist(tmp_path_factory, load_source) -> Path:
    """The sdist and the wheel, built as the book and the release build them (offline, no build isolation)."""
    out = tmp_path_factory.mktemp("release") / "dist"
    load_source("book/_ext/coursekit_wheel.py").build(ROOT, out)
    return out


def test_the_distribution_name_is_not_the_other_projects():
    # "coursekit" on the package index is someone else's project (tools for instructors and generative AI).
    assert PROJECT["name"] != "coursekit" and PROJECT["name"].startswith("coursekit-")


def test_twine_accepts_the_sdist_and_the_wheel(dist):
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"], files
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wheel_installs_coursekit_with_the_admitted_range(dist):
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(archive.read(metadata).decode())
    assert meta["Name"] == PROJECT["name"] and meta["Requires-Python"] == PROJECT["requires-python"]
    assert {n.split("/")[0] for n in names} == {"coursekit", metadata.split("/")[0]}, "the wheel holds the import package coursekit and nothing else"
    required = meta.get_all("Requires-Dist")
    for requirement in PROJECT["dependencies"]:
        assert requirement in required, f"{requirement} is missing from the wheel's metadata"


def test_the_sdist_holds_the_package_and_no_data(dist):
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(n.endswith("/coursekit/__init__.py") for n in names)
    assert not [n for n in names if "ubyte" in n or n.endswith(".ipynb")], "data sets and chapters stay out of the package"
