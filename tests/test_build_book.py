"""tools/build_book.py: the execution cache follows coursekit's content."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def build_book(tmp_path, monkeypatch, load_source):
    module = load_source("tools/build_book.py")
    (tmp_path / "coursekit").mkdir()
    (tmp_path / "coursekit" / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(module, "ROOT", tmp_path)  # every other path is derived from it
    return module


def test_every_path_follows_root(build_book, tmp_path):
    paths = [build_book.build_dir(), build_book.cache_dir(), build_book.coursekit_stamp(), build_book.assets_stamp(), build_book.assignments_stamp()]
    assert all(path.is_relative_to(tmp_path) for path in paths), paths


def test_hash_changes_with_any_file_in_coursekit(build_book, tmp_path):
    before = build_book.coursekit_hash()
    (tmp_path / "coursekit" / "a.py").write_text("x = 2\n")
    changed = build_book.coursekit_hash()
    (tmp_path / "coursekit" / "sub").mkdir()
    (tmp_path / "coursekit" / "sub" / "b.txt").write_text("data")
    added = build_book.coursekit_hash()
    (tmp_path / "coursekit" / "__pycache__").mkdir()
    (tmp_path / "coursekit" / "__pycache__" / "a.pyc").write_bytes(b"\0")
    assert len({before, changed, added}) == 3 and build_book.coursekit_hash() == added


def test_cache_is_cleared_only_when_coursekit_changed(build_book):
    cache, stamp = build_book.cache_dir(), build_book.coursekit_stamp()
    assert build_book.invalidate_if_coursekit_changed(build_book.coursekit_hash()) is False  # no cache yet
    cache.mkdir(parents=True)
    (cache / "global.db").write_text("executed notebooks")
    stamp.write_text(build_book.coursekit_hash() + "\n")
    assert build_book.invalidate_if_coursekit_changed(build_book.coursekit_hash()) is False
    assert (cache / "global.db").exists()
    (build_book.ROOT / "coursekit" / "a.py").write_text("x = 3\n")
    assert build_book.invalidate_if_coursekit_changed(build_book.coursekit_hash()) is True
    assert not cache.exists()


def test_a_change_to_the_books_assets_rebuilds_every_page(build_book, tmp_path):
    (tmp_path / "book" / "_static").mkdir(parents=True)
    css = tmp_path / "book" / "_static" / "course.css"
    css.write_text("pre { white-space: pre; }")
    assets = build_book.tree_hash(*build_book.ASSETS)
    assert build_book.assets_changed(assets)  # never built
    build_book.assets_stamp().parent.mkdir(parents=True)
    build_book.assets_stamp().write_text(assets + "\n")
    assert not build_book.assets_changed(assets)
    css.write_text("pre { white-space: pre-wrap; }")
    assert build_book.assets_changed(build_book.tree_hash(*build_book.ASSETS))


def test_assignments_are_rebuilt_only_when_their_sources_change(build_book, tmp_path):
    # A stand-in for tools/assignments.py that counts its runs.
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "assignments.py").write_text(
        "from pathlib import Path\nruns = Path(__file__).parent / 'runs'\nruns.write_text(str(int(runs.read_text()) + 1) if runs.exists() else '1')\n"
    )
    for folder in ("assignments", "notebooks"):
        (tmp_path / folder).mkdir()
    (tmp_path / "notebooks" / "01_a.ipynb").write_text("{}")
    runs = tmp_path / "tools" / "runs"
    assert build_book.build_assignments() is True and runs.read_text() == "1"
    assert build_book.build_assignments() is False and runs.read_text() == "1"
    (tmp_path / "notebooks" / "01_a.ipynb").write_text('{"changed": 1}')  # a chapter's exercise text
    assert build_book.build_assignments() is True and runs.read_text() == "2"
    (tmp_path / "assignments" / "01_a.py").write_text("# %%\n")
    assert build_book.build_assignments() is True and runs.read_text() == "3"


def test_the_math_renderer_is_installed_only_when_missing_or_older_than_its_lock(build_book, tmp_path, monkeypatch):
    folder = tmp_path / build_book.MATH_PACKAGES
    (folder / "node_modules").mkdir(parents=True)
    (folder / "package-lock.json").write_text("{}")
    monkeypatch.setattr(build_book.shutil, "which", lambda name: None)  # no npm on this "machine"
    with pytest.raises(FileNotFoundError, match="install Node.js 18 or later with npm"):
        build_book.install_math_packages()  # never installed
    installed = folder / "node_modules" / ".package-lock.json"
    installed.write_text("{}")
    assert build_book.install_math_packages() is False  # installed after the lock was written
    os.utime(installed, (0, 0))
    with pytest.raises(FileNotFoundError):
        build_book.install_math_packages()  # the lock file changed since


def test_two_callers_at_once_install_the_packages_once(build_book, tmp_path, monkeypatch):
    # The Lighthouse checks audit two pages at once, and each asks for its packages: two
    # `npm ci` in one folder delete each other's files (CI failed with npm's ENOTEMPTY).
    folder = tmp_path / "tools" / "lighthouse"
    folder.mkdir(parents=True)
    (folder / "package-lock.json").write_text("{}")
    runs = tmp_path / "runs"
    npm = tmp_path / "npm"
    # A stand-in npm that takes a while, as the real one does, then writes npm's install marker.
    npm.write_text(f"#!/bin/sh\necho run >> {runs}\nsleep 1\nmkdir -p {folder}/node_modules\ntouch {folder}/node_modules/.package-lock.json\n")
    npm.chmod(0o755)
    monkeypatch.setattr(build_book.shutil, "which", lambda name: str(npm))
    with ThreadPoolExecutor(2) as pool:
        ran = list(pool.map(lambda _: build_book.install_node_packages("tools/lighthouse", "a test"), range(2)))
    assert sorted(ran) == [False, True] and runs.read_text() == "run\n"


def test_the_assets_hash_leaves_out_installed_packages(build_book, tmp_path):
    (tmp_path / "tools" / "mathml" / "node_modules").mkdir(parents=True)
    (tmp_path / "tools" / "mathml" / "render.js").write_text("// renderer")
    before = build_book.tree_hash(*build_book.ASSETS)
    (tmp_path / "tools" / "mathml" / "node_modules" / "x.js").write_text("// a package file")
    assert build_book.tree_hash(*build_book.ASSETS) == before
    (tmp_path / "tools" / "mathml" / "render.js").write_text("// renderer, changed")
    assert build_book.tree_hash(*build_book.ASSETS) != before
