"""tools/build_book.py: the execution cache follows coursekit's content."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def build_book(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_book", ROOT / "tools" / "build_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "coursekit").mkdir()
    (tmp_path / "coursekit" / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "BUILD", tmp_path / "_build")
    monkeypatch.setattr(module, "ASSETS_STAMP", tmp_path / "_build" / "book-assets.sha256")
    monkeypatch.setattr(module, "CACHE", tmp_path / "_build" / ".jupyter_cache")
    monkeypatch.setattr(module, "STAMP", tmp_path / "_build" / ".jupyter_cache" / "coursekit.sha256")
    return module


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
    cache, stamp = build_book.CACHE, build_book.STAMP
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
    build_book.ASSETS_STAMP.parent.mkdir(parents=True)
    build_book.ASSETS_STAMP.write_text(assets + "\n")
    assert not build_book.assets_changed(assets)
    css.write_text("pre { white-space: pre-wrap; }")
    assert build_book.assets_changed(build_book.tree_hash(*build_book.ASSETS))


def test_repository_buttons_only_with_a_repository_url(build_book, tmp_path):
    (tmp_path / "_config.yml").write_text("title: T\nrepository:\n  url: ''\n")
    assert build_book.config_path() == tmp_path / "_config.yml"
    (tmp_path / "_config.yml").write_text(
        "title: T\nrepository:\n  url: https://github.com/org/course\nsphinx:\n  local_extensions:\n    ext: book/_ext\n"
    )
    import yaml

    path = build_book.config_path()
    assert path.is_relative_to(tmp_path)
    derived = yaml.safe_load(path.read_text())
    assert derived["html"]["use_repository_button"] is True
    assert derived["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    # The derived file lives in _build/: local extensions must not be relative to it.
    assert derived["sphinx"]["local_extensions"]["ext"] == str((tmp_path / "book" / "_ext").resolve())
