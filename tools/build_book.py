"""Build the book: `jupyter-book build . -W -n --keep-going`, with an execution cache that follows coursekit.

    python tools/build_book.py [--all]

Jupyter Book re-executes a notebook only when its own code changes. The chapters
import coursekit, so a change there must re-execute them too: the cache is
stamped with a hash of every file in coursekit/, and when the hash differs the
cache is cleared and every page is rebuilt. The stamp is written after a
successful build only.

Sphinx itself skips a build in which no page changed, static files included:
a change to the book's own assets (book/_static, book/_ext, tools/mathml) alone would never
reach the site. They are stamped too, and a change rebuilds every page (the
executed notebooks still come from the cache).

After a successful build, files that no page uses any more are removed from
the site: figures of earlier builds in ``_images/`` and the error reports of
earlier failed executions in ``reports/`` (Sphinx adds, never removes).

Before Sphinx runs, the autograded assignments are built (tools/assignments.py,
about 40 s) when their sources or the chapters changed: each chapter's
Exercises section links to its student zip, which the book publishes.

The math is rendered during the build by Node.js packages (book/_ext/mathml.py):
they are installed from tools/mathml/package-lock.json (`npm ci`) when missing
or older than the lock file.

Then each translated edition (``sphinx.config.editions`` in _config.yml) is built
from the same sources into its folder of the site (``_build/html/zh``): the English
messages are extracted (Sphinx's gettext builder), the edition's catalogs in locales/
updated with them by sphinx-intl (a message whose English changed is marked
outdated, a new one missing; both show in English until translated), the counts
printed, and the pages built with ``language`` set. Its notebooks come from the
English build's execution cache: the build refuses to start if a chapter is not
there, so a second language never executes the notebooks again.

Everything else about the book, its buttons included, is configured in
_config.yml; this script writes no configuration of its own (the editions' builds
read a copy of it with their language set).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]
# The math renderer's script and its package versions are assets too (not its node_modules).
MATH_PACKAGES = "tools/mathml"
ASSETS = ("book/_static", "book/_ext", MATH_PACKAGES)


# Every path below is derived from ROOT when it is used, so that a test that
# points ROOT at a temporary folder cannot touch the real _build.
def build_dir() -> Path:
    return ROOT / "_build"


def cache_dir() -> Path:
    """Jupyter Book's execution cache."""
    return build_dir() / ".jupyter_cache"


def coursekit_stamp() -> Path:
    """The hash of the coursekit the cached notebooks were executed with."""
    return cache_dir() / "coursekit.sha256"


def assets_stamp() -> Path:
    """The hash of the book's assets at the last successful build."""
    return build_dir() / "book-assets.sha256"


def tree_hash(*folders: str) -> str:
    """sha256 over the paths and contents of every file below the folders (caches excluded)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and not {"__pycache__", "node_modules"} & set(path.parts):
                digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def assignments_stamp() -> Path:
    """The hash of the assignments' sources at their last successful build."""
    return build_dir() / "assignments" / "sources.sha256"


def coursekit_hash() -> str:
    """The hash of coursekit/, the code every chapter imports."""
    return tree_hash("coursekit")


def assets_changed(current: str) -> bool:
    """True if the book's own assets differ from those of the last build (or it is unknown)."""
    stamp = assets_stamp()
    return not stamp.exists() or stamp.read_text().strip() != current


def invalidate_if_coursekit_changed(current: str) -> bool:
    """Clear the execution cache if it was filled with another coursekit; True if cleared."""
    cache, stamp = cache_dir(), coursekit_stamp()
    if not cache.exists():
        return False
    previous = stamp.read_text().strip() if stamp.exists() else "(unknown)"
    if previous == current:
        return False
    print(f"coursekit changed ({previous[:12]} -> {current[:12]}): clearing the execution cache, every chapter re-executes")
    shutil.rmtree(cache)
    return True


def build_assignments() -> bool:
    """Build the assignments (tools/assignments.py) if their sources changed; True if built."""
    # The assignments take their exercise texts from the chapters, and the build script is a source too.
    current = tree_hash("assignments", "notebooks") + hashlib.sha256((ROOT / "tools" / "assignments.py").read_bytes()).hexdigest()
    stamp = assignments_stamp()
    if stamp.exists() and stamp.read_text().strip() == current:
        return False
    print("$ python tools/assignments.py", flush=True)
    subprocess.run([sys.executable, str(ROOT / "tools" / "assignments.py")], cwd=ROOT, check=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
    return True


def install_math_packages() -> bool:
    """``npm ci`` in tools/mathml if its packages are missing or older than its lock file; True if run."""
    return install_node_packages(MATH_PACKAGES, "the book's math is rendered at build time with Node.js (book/_ext/mathml.py)")


def install_node_packages(folder_name: str, needed_for: str) -> bool:
    """``npm ci`` in ``folder_name`` (below ROOT) if its packages are missing or older than its lock file; True if run.

    Callers may race (the Lighthouse checks audit two pages at once): two ``npm ci``
    in one folder delete each other's files (npm exits with ENOTEMPTY), so the check
    and the install hold a file lock, and whoever comes second finds the packages there.
    """
    folder = ROOT / folder_name
    # npm writes node_modules/.package-lock.json when it installs.
    installed = folder / "node_modules" / ".package-lock.json"
    # The lock lives in _build, not in the folder, whose files are hashed as the book's assets.
    build_dir().mkdir(exist_ok=True)
    with FileLock(build_dir() / f"npm-ci-{folder.name}.lock"):
        if installed.exists() and installed.stat().st_mtime >= (folder / "package-lock.json").stat().st_mtime:
            return False
        npm = shutil.which("npm")
        if npm is None:
            raise FileNotFoundError(
                f"npm is missing: {needed_for}; install Node.js 18 or later with npm (https://nodejs.org, or your package manager's nodejs and npm)"
            )
        command = [npm, "ci", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error"]
        print("$", " ".join(command), flush=True)
        subprocess.run(command, cwd=ROOT, check=True)
        return True


def prune_stale_files(html: Path) -> list[Path]:
    """Remove figures no page references and old execution reports; returns what was removed."""
    referenced = set()
    for page in html.rglob("*.html"):
        referenced.update(re.findall(r"_images/([^\"'#?)\s]+)", page.read_text(encoding="utf-8")))
    stale = [p for p in (html / "_images").glob("*") if p.is_file() and p.name not in referenced]
    stale += [p for p in (html / "reports").rglob("*") if p.is_file()]
    for path in stale:
        path.unlink()
    return stale


def jupyter_book() -> str:
    """The jupyter-book command of this environment."""
    return str(Path(sys.executable).parent / "jupyter-book")


def editions() -> dict[str, dict]:
    """The editions _config.yml lists: language -> folder of the site, name, ..."""
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]["editions"]


def site_folders() -> list[str]:
    """Where each edition's pages are, below the site's root: "" for English, then "zh/", ..."""
    return [edition["folder"] + "/" if edition["folder"] else "" for edition in editions().values()]


def derived_config(folder: Path, language: str | None = None) -> list[str]:
    """The options of a second build of the book: copies of _config.yml and _toc.yml in ``folder``.

    The copies' paths still name the book's files (a configuration file's extension
    paths are read from its own folder), and the build shares the English build's
    execution cache. With a ``language``, they hold that edition's language, title and captions.
    """
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]
    sphinx["local_extensions"] = {name: str(ROOT / path) for name, path in sphinx["local_extensions"].items()}
    config["execute"]["cache"] = str(cache_dir())
    if language:
        edition = sphinx["config"]["editions"][language]
        sphinx["config"]["language"] = language
        config["title"] = edition.get("title", config["title"])
        for part in toc.get("parts", []):
            part["caption"] = edition.get("captions", {}).get(part["caption"], part["caption"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (folder / "_toc.yml").write_text(yaml.safe_dump(toc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return ["--config", str(folder / "_config.yml"), "--toc", str(folder / "_toc.yml"), "--path-output", str(folder)]


def update_catalogs(language: str) -> None:
    """Extract the English messages and bring ``language``'s catalogs up to date with them (sphinx-intl)."""
    out = build_dir() / "gettext"
    command = [jupyter_book(), "build", str(ROOT), *derived_config(out), "-q"]
    subprocess.run([*command, "--builder", "custom", "--custom-builder", "gettext"], cwd=ROOT, check=True)
    intl = str(Path(sys.executable).parent / "sphinx-intl")
    subprocess.run([intl, "update", "-p", str(out / "_build" / "gettext"), "-d", str(ROOT / "locales"), "-l", language], cwd=ROOT, check=True)


def check_executed() -> None:
    """Raise unless every chapter's current code is in the execution cache (a second edition must not execute it)."""
    from jupyter_cache import get_cache

    cache = get_cache(cache_dir())
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        try:
            cache.match_cache_notebook(nbformat.read(notebook, as_version=4))
        except KeyError:
            raise RuntimeError(f"{notebook.name} is not in the execution cache: the English edition must be built first") from None


def build_edition(language: str, folder: str, rebuild_all: bool) -> int:
    """Build a translated edition into _build/html/FOLDER; the exit status of its build."""
    update_catalogs(language)
    subprocess.run([sys.executable, "-m", "tools.translations", "--language", language, "--counts"], cwd=ROOT, check=True)
    check_executed()
    out = build_dir() / folder
    command = [jupyter_book(), "build", str(ROOT), *derived_config(out, language)]
    command += ["-W", "-n", "--keep-going"] + (["--all"] if rebuild_all else [])
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode == 0:
        site = build_dir() / "html" / folder
        if site.exists():
            shutil.rmtree(site)
        shutil.copytree(out / "_build" / "html", site)
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="rebuild every page (the cache still serves unchanged notebooks)")
    args = parser.parse_args()
    try:
        build_assignments()
    except subprocess.CalledProcessError as error:
        print(f"building the assignments failed (exit status {error.returncode}); see the messages above", file=sys.stderr)
        return error.returncode
    try:
        install_math_packages()
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"installing the math renderer (npm ci) failed (exit status {error.returncode}); see the messages above", file=sys.stderr)
        return error.returncode
    current = coursekit_hash()
    assets = tree_hash(*ASSETS)
    rebuild_all = invalidate_if_coursekit_changed(current) | assets_changed(assets) | args.all
    # Whatever this build adds to the cache, even if it fails later, is computed with this coursekit.
    cache_dir().mkdir(parents=True, exist_ok=True)
    coursekit_stamp().write_text(current + "\n")
    command = [jupyter_book(), "build", str(ROOT), "-W", "-n", "--keep-going"]
    if rebuild_all:
        command.append("--all")
        # Sphinx adds to _static, never removes: files of a dropped extension would stay published.
        static = build_dir() / "html" / "_static"
        if static.exists():
            shutil.rmtree(static)
    print("$", " ".join(command), flush=True)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        print(f"the book build failed (exit status {result.returncode}); see the messages above", file=sys.stderr)
        return result.returncode
    for language, edition in editions().items():
        if not edition["folder"]:
            continue
        try:
            status = build_edition(language, edition["folder"], rebuild_all)
        except (subprocess.CalledProcessError, RuntimeError) as error:
            print(f"the {edition['name']} edition could not be built: {error}; see the messages above", file=sys.stderr)
            return 1
        if status != 0:
            print(f"the {edition['name']} edition's build failed (exit status {status}); see the messages above", file=sys.stderr)
            return status
    assets_stamp().write_text(assets + "\n")
    removed = prune_stale_files(build_dir() / "html")
    if removed:
        print(f"removed {len(removed)} files no page uses: {', '.join(p.name for p in removed[:5])}{' ...' if len(removed) > 5 else ''}")
    print(f"built in {time.perf_counter() - start:.0f} s; open {build_dir() / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
