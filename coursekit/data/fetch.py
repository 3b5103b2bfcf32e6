"""Make a data set's files present and verified in the data directory.

A file is present once its decompressed content has the sha256 in the data
set's :class:`DatasetSpec`. A missing file comes from the first source with a
good copy, trying ``<file>.gz`` and then ``<file>`` in each:

0. the data directory itself (the published ``.gz`` files, put there by hand);
1. the mirrors in ``COURSEKIT_MIRRORS`` (see :func:`mirrors`), as ``<mirror>/<data set>/``;
2. the folder a system package installs (Debian's ``dataset-fashion-mnist``);
3. the publishers' URLs.

A file is written to ``.<file>.part`` and renamed into place once verified.
One process per data set fetches while others wait (a file lock); it first
removes the parts a killed process left behind.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import http.client
import os
import re
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs
from filelock import FileLock

from .._files import atomic_write
from .resources import DATASETS, DatasetSpec

__all__ = ["data_dir", "mirrors", "raw_folder", "ensure_dataset", "verify_file", "DataUnavailableError", "DataDirectoryError"]

CHUNK = 1 << 20
TIMEOUT_S = 10.0  # the longest wait for a host: to connect, or between two parts of its answer
RETRY_AFTER_S = 1.0  # the pause before the one retry after a 5xx, a 429 or a time-out
DEADLINE_S = 900.0  # one ensure_dataset call's network time: a slow trickle cannot go on forever
_REPO_ROOT = Path(__file__).resolve().parents[2]
_MIRROR_SYNTAX = (
    "entries separated by os.pathsep (':' on Linux and macOS, ';' on Windows); a URL keeps its "
    "'://' and ':port' (http://host:8000/data:/srv/data is a URL, then a folder); write a ':' "
    "inside a URL's path as %3A"
)
# A URL entry of COURSEKIT_MIRRORS: scheme://host[:port][/path without ':'].
_ENTRY = re.compile(r"(?P<entry>[A-Za-z][\w+.-]*://(?:\[[^\]]*\]|[^/:]*)(?::\d+)?[^:]*|[^:]*)(?::|$)")
_verified: dict[tuple[DatasetSpec, Path], tuple] = {}  # (spec, raw folder) -> its files' stat, once verified


class DataUnavailableError(RuntimeError):
    """No source could provide a verified copy of a data file; the message says how to fix it.

    Used in: chapters 3 and 5 through ``load_data_fashion_mnist`` and ``load_data_mnist``, when the data cannot be found.
    """


class DataDirectoryError(RuntimeError):
    """The data directory cannot be written (permissions, a file in the way, a full disk).

    Used in: chapters 3 and 5 through ``load_data_fashion_mnist`` and ``load_data_mnist``, when the data must be fetched.
    """


class VerificationError(ValueError):
    """A file's content is not what the checksum table expects."""


class _Unreachable(Exception):
    """A host could not be reached (refused, no route, timed out): skip it for the rest of the call."""


def data_dir(root: str | os.PathLike | None = None) -> Path:
    """The data directory, absolute: ``root`` if given (``~`` expanded), else the default.

    The default is ``COURSEKIT_DATA`` if set; else ``data/`` at the course
    repository's root when coursekit runs from a checkout (``pip install -e .``);
    else the user cache folder (``~/.cache/coursekit`` on Linux,
    ``~/Library/Caches/coursekit`` on macOS, ``%LOCALAPPDATA%\\coursekit\\Cache`` on Windows).

    Raises:
        TypeError: ``root`` is not a non-empty path.
        DataDirectoryError: the folder is a loop of symbolic links.

    Used in: every chapter that loads data, through the loaders.
    """
    if root is None:
        inside_repository = (_REPO_ROOT / "pyproject.toml").is_file() and (_REPO_ROOT / "notebooks").is_dir()
        default = _REPO_ROOT / "data" if inside_repository else platformdirs.user_cache_path("coursekit", appauthor=False)
        root = os.environ.get("COURSEKIT_DATA") or default
    if not isinstance(root, (str, os.PathLike)) or not str(root):
        raise TypeError(f"root must be a folder path (a non-empty str or pathlib.Path), got {root!r}")
    path = Path(root).expanduser()
    try:
        resolved = path.resolve()  # RuntimeError on a symlink loop before Python 3.13...
        os.stat(resolved)  # ...which passes the loop through to here: OSError ELOOP
    except (RuntimeError, OSError) as error:
        if isinstance(error, RuntimeError) or error.errno == errno.ELOOP:
            raise DataDirectoryError(
                f"the data directory {path.absolute()} is a loop of symbolic links ({error}); "
                "fix or remove the link, or set COURSEKIT_DATA (or root=, --root) to another folder"
            ) from error
        return path.resolve()  # not made yet, or unreadable: making or reading it says what is wrong
    return resolved


def mirrors() -> list[str]:
    """The mirrors named in ``COURSEKIT_MIRRORS`` (folders or URLs), in order.

    Entries are separated by ``os.pathsep`` (``:`` on Linux and macOS, ``;`` on
    Windows). A URL keeps its ``://`` and its ``:port``: its entry ends at the
    first ``:`` after the host and port, so write a ``:`` in a URL's path as ``%3A``.

    Used in: ``ensure_dataset``; ``python -m coursekit.data`` prints them.
    """
    value = os.environ.get("COURSEKIT_MIRRORS", "")
    parts = value.split(os.pathsep) if os.pathsep != ":" else [m["entry"] for m in _ENTRY.finditer(value)]
    return [part.strip() for part in parts if part.strip()]


def raw_folder(spec: DatasetSpec, root: str | os.PathLike | None = None) -> Path:
    """``<root>/<folder>/raw``: where torchvision's MNIST classes look for the files.

    Used in: ``ensure_dataset``; ``coursekit.d2l.prepare_torchvision_root``.
    """
    return data_dir(root) / spec.folder / "raw"


def verify_file(path: Path, expected_sha256: str) -> bool:
    """True if ``path`` is a file whose content has the expected sha256 (hex).

    Used in: ``ensure_dataset``; ``coursekit.d2l.prepare_torchvision_root``.
    """
    if not path.is_file():
        return False
    digest = hashlib.sha256()  # hashlib.file_digest would do this, from Python 3.11 only
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == expected_sha256


def _stat(spec: DatasetSpec, folder: Path) -> tuple | None:
    try:
        return tuple((s.st_size, s.st_mtime_ns, s.st_ino) for s in (os.stat(folder / f) for f in spec.files))
    except (FileNotFoundError, NotADirectoryError):
        return None  # a file is gone: not verified


def _local_error(path: Path, error: OSError) -> DataDirectoryError:
    """A local write failure, said as what it is, with what to do."""
    blocker = next((p for p in (path, *path.parents) if p.exists()), path)
    if error.errno == errno.ENOSPC:
        what, fix = "the disk is full", "free some space (both data sets need about 130 MB) or"
    elif not blocker.is_dir():
        what, fix = f"{blocker} is a file, not a folder", "move that file away or"
    else:
        what, fix = f"{error.strerror or error}", "make it writable or"
    return DataDirectoryError(
        f"coursekit cannot write to the data directory ({path}): {what}.\n"
        f"Fix: {fix} set COURSEKIT_DATA (or root=) to a writable folder with free space. ({type(error).__name__}: {error})"
    )


def _verified_content(read, expected: str, compressed: bool) -> bytes:
    """All that ``read(n)`` gives, decompressed if ``compressed``, if its sha256 is ``expected``."""
    raw = b"".join(iter(lambda: read(CHUNK), b""))
    try:
        content = gzip.decompress(raw) if compressed else raw
    except EOFError as error:
        raise VerificationError(f"truncated gzip file ({error})") from error
    except (gzip.BadGzipFile, zlib.error) as error:  # its message can quote raw bytes: keep the start
        raise VerificationError(f"not a valid gzip file ({str(error)[:60]})") from error
    if (actual := hashlib.sha256(content).hexdigest()) != expected:
        raise VerificationError(f"content sha256 is {actual[:16]}..., expected {expected[:16]}... (a corrupt, truncated or different file)")
    return content


def _write(dest: Path, content: bytes) -> None:
    try:
        with atomic_write(dest, "wb") as f:
            f.write(content)
    except OSError as error:
        raise _local_error(dest.parent, error) from error


def _download(url: str, expected: str, compressed: bool, deadline: float) -> bytes:
    """The verified content at ``url``; one retry after a 5xx, a 429 or a time-out."""
    from tqdm.auto import tqdm  # here, not at import: in a notebook, tqdm.auto sets up widgets

    for attempt in (1, 2):
        if (left := deadline - time.monotonic()) <= 0:
            raise _Unreachable(f"the deadline of {DEADLINE_S:g} s for fetching passed (fetch.DEADLINE_S)")
        try:
            with urllib.request.urlopen(url, timeout=min(TIMEOUT_S, left)) as response:  # noqa: S310 (http(s) only)
                size = int(response.headers.get("Content-Length") or 0) or None
                with tqdm(total=size, unit="B", unit_scale=True, unit_divisor=1024, desc=url.rsplit("/", 1)[-1]) as bar:

                    def read(n: int) -> bytes:  # what arrives, so that a trickle cannot outlast the deadline
                        if time.monotonic() > deadline:
                            raise TimeoutError(f"the deadline of {DEADLINE_S:g} s for fetching passed")
                        bar.update(len(piece := response.read1(n)))
                        return piece

                    return _verified_content(read, expected, compressed)
        except urllib.error.HTTPError as error:
            error.close()  # its body is not read
            if error.code == 404:
                raise FileNotFoundError(f"{url}: HTTP 404") from error
            if attempt == 2 or not (error.code >= 500 or error.code == 429):
                raise
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            if attempt == 2 or not isinstance(reason := getattr(error, "reason", error), TimeoutError):
                raise _Unreachable(str(reason)) from error
        time.sleep(max(0.0, min(RETRY_AFTER_S, deadline - time.monotonic())))
    raise AssertionError("not reached: the loop returns or raises")


def _sources(spec: DatasetSpec, folder: Path) -> list[tuple[str, str | Path]]:
    """(kind, folder or base URL) of every source of ``spec``, in order."""
    found: list[tuple[str, str | Path]] = [("data directory", folder)]
    for mirror in mirrors():
        if mirror.startswith("file://"):
            mirror = urllib.request.url2pathname(urlsplit(mirror).path)
        url = mirror.startswith(("http://", "https://"))
        found.append(("mirror", f"{mirror.rstrip('/')}/{spec.name}" if url else Path(mirror).expanduser().resolve() / spec.name))
    return found + [("system package", d) for d in spec.system_dirs] + [("upstream", u) for u in spec.upstream]


def _fetch_file(filename: str, expected: str, dest: Path, sources: list, unreachable: set[str], deadline: float, verbose: bool) -> list[str]:
    """Copy ``filename`` from the first source with a good copy (``.gz``, else plain); return why each other failed.

    A host found unreachable (or tried after the deadline) is skipped for the rest of the call.
    """
    failures: list[str] = []
    for kind, location in sources:
        host, tried = urlsplit(location).netloc if isinstance(location, str) else None, len(failures)
        if host in unreachable:
            failures.append(f"{filename}: {kind} {location} skipped ({host} unreachable earlier in this call)")
            continue
        for name, compressed in ((filename + ".gz", True), (filename, False)):
            where = f"{name} from {kind} {location}"
            try:
                if host:
                    content = _download(f"{location.rstrip('/')}/{name}", expected, compressed, deadline)
                elif location / name == dest:
                    if dest.is_file():  # there, but ensure_dataset found its sha256 wrong
                        failures.append(f"{name} in {kind} {location}: fails its sha256 check (corrupt or incomplete)")
                    continue
                else:
                    with open(location / name, "rb") as stream:
                        content = _verified_content(stream.read, expected, compressed)
            except FileNotFoundError:
                continue
            except _Unreachable as error:
                unreachable.add(host)
                failures.append(f"{where}: {error}")
            except VerificationError as error:  # the plain file beside a bad .gz may still be good
                failures.append(f"{where}: rejected, {error}")
            except (OSError, http.client.HTTPException) as error:  # InvalidURL is one
                failures.append(f"{where}: {type(error).__name__}: {error}")
            else:
                _write(dest, content)
                if verbose:
                    print(f"coursekit: {dest.name} <- {kind} {location} (sha256 verified)")
                return []
            if verbose:
                print(f"coursekit: {failures[-1]}; trying the next source")
            if host in unreachable:
                break
        if len(failures) == tried:
            failures.append(f"{filename}(.gz) not found at {kind} {location}")
    return failures


def ensure_dataset(name: str | DatasetSpec, root: str | os.PathLike | None = None, verbose: bool = True) -> Path:
    """Make every file of a data set present and verified; return its folder ``<root>/<folder>/raw``.

    Files already there are checked by sha256, once per process; missing or
    failing ones are fetched from the sources in order (see the module docstring).

    Args:
        name: ``"mnist"``, ``"fashion-mnist"`` or a :class:`DatasetSpec`.
        root: the data directory (default: :func:`data_dir`).
        verbose: print where each fetched file came from and why a source was skipped.

    Raises:
        DataUnavailableError: a file could not be found anywhere; the message
            names the files and the ways to provide them.
        DataDirectoryError: the data directory cannot be written.

    Used in: the loaders; ``python -m coursekit.data``.
    """
    if not isinstance(name, DatasetSpec) and name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}")
    spec = name if isinstance(name, DatasetSpec) else DATASETS[name]
    folder = raw_folder(spec, root)
    if (stat := _stat(spec, folder)) is not None and _verified.get((spec, folder)) == stat:
        return folder
    todo = [f for f, sha in spec.sha256.items() if not verify_file(folder / f, sha)]
    missing: dict[str, list[str]] = {}
    if todo:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(folder.parent / ".fetch.lock")  # beside raw/: torchvision lists raw/
            lock.acquire()
        except OSError as error:
            raise _local_error(folder, error) from error
        try:
            for part in folder.glob(".*.part"):  # a killed process's: only the lock holder writes here
                part.unlink()
            sources, unreachable, deadline = _sources(spec, folder), set(), time.monotonic() + DEADLINE_S
            for filename in todo:
                dest, expected = folder / filename, spec.sha256[filename]
                if verify_file(dest, expected):  # fetched by another process while this one waited
                    continue
                if dest.exists() and verbose:
                    print(f"coursekit: {dest} fails its sha256 check; fetching it again")
                if failures := _fetch_file(filename, expected, dest, sources, unreachable, deadline, verbose):
                    missing[filename] = failures
        finally:
            lock.release()
    if missing:
        raise DataUnavailableError(_unavailable_message(spec, folder, missing))
    _verified[(spec, folder)] = _stat(spec, folder)
    return folder


def _unavailable_message(spec: DatasetSpec, folder: Path, missing: dict[str, list[str]]) -> str:
    package = spec.system_package
    # A file that is there failed its sha256 check: saying it is "not in" the folder would send the reader looking for it.
    corrupt = [f for f in sorted(missing) if (folder / f).is_file()]
    absent = [f for f in sorted(missing) if f not in corrupt]
    where = [f"{', '.join(absent)} are not in {folder}"] if absent else []
    where += [f"{', '.join(corrupt)} are in {folder} but fail their sha256 check (corrupt or incomplete)"] if corrupt else []
    lines = [
        f"The {spec.name} files {'; '.join(where)}{',' if corrupt else ''} and no source could provide a verified copy.",
        "Fix it in one of these ways:",
        f"  1. point COURSEKIT_MIRRORS at folders or URLs holding {spec.name}/<file>.gz, for example "
        f"export COURSEKIT_MIRRORS=/path/to/datasets ({_MIRROR_SYNTAX})",
        f"  2. install the system package: sudo apt-get install {package} (it puts the files in {spec.system_dirs[0]})"
        if package
        else "  2. (no system package provides this data set)",
        f"  3. download the published files ({', '.join(f + '.gz' for f in spec.files)}) from {spec.upstream[0]} and put them into {folder}",
        "What was tried:",
    ]
    lines += [f"  - {reason}" for filename in sorted(missing) for reason in missing[filename]]
    return "\n".join(lines)
