"""Build the book: `jupyter-book build . -W -n --keep-going`, with an execution cache that follows coursekit.

    python tools/build_book.py [--all]

Jupyter Book re-executes a notebook only when its own code changes. The chapters
import coursekit, so a change there must re-execute them too: the cache is
stamped with a hash of every file in coursekit/, and when the hash differs the
cache is cleared and every page is rebuilt. The stamp is written after a
successful build only.

Sphinx itself skips a build in which no page changed, static files included:
a change to the book's own assets (book/_static, book/_ext) alone would never
reach the site. They are stamped too, and a change rebuilds every page (the
executed notebooks still come from the cache).

The repository, issue and launch (Binder, Colab) buttons need a repository
URL: they are turned on only when `repository.url` is set in _config.yml.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"
STAMP = CACHE / "coursekit.sha256"
ASSETS_STAMP = BUILD / "book-assets.sha256"
ASSETS = ("book/_static", "book/_ext")


def tree_hash(*folders: str) -> str:
    """sha256 over the paths and contents of every file below the folders (caches excluded)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def coursekit_hash() -> str:
    """The hash of coursekit/, the code every chapter imports."""
    return tree_hash("coursekit")


def assets_changed(current: str) -> bool:
    """True if the book's own assets differ from those of the last build (or it is unknown)."""
    return not ASSETS_STAMP.exists() or ASSETS_STAMP.read_text().strip() != current


def invalidate_if_coursekit_changed(current: str) -> bool:
    """Clear the execution cache if it was filled with another coursekit; True if cleared."""
    if not CACHE.exists():
        return False
    previous = STAMP.read_text().strip() if STAMP.exists() else "(unknown)"
    if previous == current:
        return False
    print(f"coursekit changed ({previous[:12]} -> {current[:12]}): clearing the execution cache, every chapter re-executes")
    shutil.rmtree(CACHE)
    return True


LAUNCH_BUTTONS = {
    "notebook_interface": "jupyterlab",
    "binderhub_url": "https://mybinder.org",
    "colab_url": "https://colab.research.google.com",
}


def config_path() -> Path:
    """_config.yml, or a copy with the repository and launch buttons on when a repository URL is set."""
    config_file = ROOT / "_config.yml"
    config = yaml.safe_load(config_file.read_text())
    if not (config.get("repository") or {}).get("url"):
        return config_file
    config.setdefault("html", {}).update(use_repository_button=True, use_issues_button=True)
    config["launch_buttons"] = {**LAUNCH_BUTTONS, **(config.get("launch_buttons") or {})}
    # Jupyter Book resolves local extensions relative to the config file, which moves.
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {
        name: str((ROOT / folder).resolve()) for name, folder in (sphinx.get("local_extensions") or {}).items()
    }
    derived = BUILD / "_config.with-repository.yml"
    BUILD.mkdir(exist_ok=True)
    derived.write_text(yaml.safe_dump(config, sort_keys=False))
    return derived


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="rebuild every page (the cache still serves unchanged notebooks)")
    args = parser.parse_args()
    current = coursekit_hash()
    assets = tree_hash(*ASSETS)
    rebuild_all = invalidate_if_coursekit_changed(current) | assets_changed(assets) | args.all
    # Whatever this build adds to the cache, even if it fails later, is computed with this coursekit.
    CACHE.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(current + "\n")
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going"]
    command += ["--config", str(config_path())]
    if rebuild_all:
        command.append("--all")
    print("$", " ".join(command), flush=True)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        print(f"the book build failed (exit status {result.returncode}); see the messages above", file=sys.stderr)
        return result.returncode
    ASSETS_STAMP.write_text(assets + "\n")
    print(f"built in {time.perf_counter() - start:.0f} s; open {BUILD / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
