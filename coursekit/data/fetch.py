"""Make a data set's files available in the data directory: find, verify, copy.

Sources are tried in order until one gives a file whose decompressed content
has the expected sha256:

1. the local mirrors in ``COURSEKIT_MIRRORS`` (folders or base URLs, separated
   by ``os.pathsep``), laid out as ``<mirror>/<data set>/<file>.gz``;
2. the folders a system package installs (Debian's ``dataset-fashion-mnist``);
3. the publishers' URLs that torchvision uses.

Every write goes to a temporary file in the target folder and is renamed into
place only once verified, so an interrupted copy never leaves a file that later
passes as complete, and two processes fetching at once cannot corrupt it.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .resources import DATASETS, DatasetSpec

__all__ = ["data_dir", "mirrors", "raw_folder", "ensure_dataset", "verify_file", "DataUnavailableError"]

CHUNK = 1 << 20
URL_TIMEOUT_S = 30
_REPO_ROOT = Path(__file__).resolve().parents[2]


class DataUnavailableError(RuntimeError):
    """No source could provide a verified copy of a data file; the message says how to fix it.

    Used in: the loaders (chapters 3 and 5), when the data cannot be found.
    """


class VerificationError(ValueError):
    """A file's content is not what the checksum table expects."""


def _user_cache_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "coursekit" / "data"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "coursekit"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "coursekit"


def _inside_repository() -> bool:
    return (_REPO_ROOT / "pyproject.toml").is_file() and (_REPO_ROOT / "notebooks").is_dir()


def data_dir() -> Path:
    """The one data directory, whatever folder the code runs from.

    ``COURSEKIT_DATA`` if set; else ``data/`` at the course repository's root
    when coursekit runs from a checkout (``pip install -e .``); else a user
    cache folder (``~/.cache/coursekit`` on Linux, ``~/Library/Caches/coursekit``
    on macOS, ``%LOCALAPPDATA%\\coursekit\\data`` on Windows).

    Used in: every chapter that loads data, through the loaders.
    """
    configured = os.environ.get("COURSEKIT_DATA")
    if configured:
        return Path(configured).expanduser().resolve()
    if _inside_repository():
        return _REPO_ROOT / "data"
    return _user_cache_dir()


def mirrors() -> list[str]:
    """The local mirrors named in ``COURSEKIT_MIRRORS`` (folders or base URLs), in order.

    Entries are separated by ``os.pathsep`` (``:`` on Linux and macOS, ``;`` on
    Windows); on Linux and macOS the ``:`` of a URL's scheme or port does not split.
    """
    value = os.environ.get("COURSEKIT_MIRRORS", "")
    if os.pathsep == ":":
        parts = re.split(r":(?!//)(?!\d+(?:/|$))", value)
    else:
        parts = value.split(os.pathsep)
    return [part.strip() for part in parts if part.strip()]


def raw_folder(spec: DatasetSpec, root: str | Path | None = None) -> Path:
    """``<root>/<folder>/raw``: where torchvision's MNIST classes look for the files."""
    return Path(root if root is not None else data_dir()) / spec.folder / "raw"


# ---------------------------------------------------------------- sources ---


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://", "file://"))


@dataclass(frozen=True)
class Source:
    """A place that may hold ``<file>.gz``: a folder or a base URL."""

    location: str
    kind: str  # "mirror", "system package" or "upstream"

    def __str__(self) -> str:
        return f"{self.kind} {self.location}"

    @contextmanager
    def open(self, filename: str) -> Iterator[tuple[BinaryIO, int | None]]:
        """Open ``filename`` here; yield (stream, size in bytes or None). FileNotFoundError if absent."""
        if _is_url(self.location):
            url = self.location.rstrip("/") + "/" + filename
            try:
                response = urllib.request.urlopen(url, timeout=URL_TIMEOUT_S)  # noqa: S310 (fixed schemes)
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    raise FileNotFoundError(f"{url}: HTTP 404") from error
                raise
            except urllib.error.URLError as error:
                if isinstance(error.reason, FileNotFoundError):  # a file:// URL
                    raise FileNotFoundError(f"{url}: no such file") from error
                raise
            with response:
                size = response.headers.get("Content-Length")
                yield response, int(size) if size else None
        else:
            path = Path(self.location).expanduser() / filename
            with open(path, "rb") as stream:
                yield stream, path.stat().st_size


def _mirror_source(mirror: str, spec: DatasetSpec) -> Source:
    if _is_url(mirror):
        return Source(mirror.rstrip("/") + "/" + spec.name, "mirror")
    return Source(str(Path(mirror).expanduser().resolve() / spec.name), "mirror")


def sources_for(spec: DatasetSpec) -> list[Source]:
    """The sources to try for ``spec``, in order: mirrors, system package, upstream."""
    return (
        [_mirror_source(m, spec) for m in mirrors()]
        + [Source(str(d), "system package") for d in spec.system_dirs]
        + [Source(url, "upstream") for url in spec.upstream]
    )


# ----------------------------------------------------------- verification ---


def sha256_of(path: Path) -> str:
    """sha256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, expected_sha256: str) -> bool:
    """True if ``path`` exists and its content has the expected sha256."""
    return path.is_file() and sha256_of(path) == expected_sha256


def _progress(total: int | None, desc: str, enabled: bool):  # -> tqdm or a no-op
    if not enabled:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc)


class _NoProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _copy_verified(
    stream: BinaryIO, size: int | None, dest: Path, expected_sha256: str, compressed: bool, progress: bool
) -> None:
    """Write ``stream`` (decompressed if ``compressed``) to ``dest`` atomically, if it verifies."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    bar = _progress(size, dest.name, progress)
    counted = _CountingReader(stream, bar)
    try:
        with os.fdopen(handle, "wb") as out:
            reader = gzip.GzipFile(fileobj=counted) if compressed else counted
            try:
                for chunk in iter(lambda: reader.read(CHUNK), b""):
                    digest.update(chunk)
                    out.write(chunk)
            except EOFError as error:
                raise VerificationError(f"truncated gzip file ({error})") from error
            except (gzip.BadGzipFile, zlib.error) as error:
                # BadGzipFile's message can quote hundreds of raw bytes: keep its start.
                raise VerificationError(f"not a valid gzip file ({str(error)[:60]})") from error
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the data is not private
        actual = digest.hexdigest()
        if actual != expected_sha256:
            raise VerificationError(
                f"content sha256 is {actual[:16]}..., expected {expected_sha256[:16]}... "
                "(a corrupt, truncated or different file)"
            )
        _replace(tmp, dest, expected_sha256)
    finally:
        bar.close()
        tmp.unlink(missing_ok=True)


def _replace(tmp: Path, dest: Path, expected_sha256: str) -> None:
    try:
        os.replace(tmp, dest)
    except PermissionError:
        # Windows refuses to replace a file another process has open; if that
        # process already put the verified file there, the work is done.
        if not verify_file(dest, expected_sha256):
            raise


class _CountingReader:
    """A read-only stream that reports bytes read to a progress bar."""

    def __init__(self, stream: BinaryIO, bar) -> None:
        self._stream, self._bar = stream, bar

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        self._bar.update(len(data))
        return data


# ----------------------------------------------------------------- fetch ---


class _Unreachable(Exception):
    """A URL source could not be reached at all (no route, refused, timed out)."""


def _try_source(source: Source, filename: str, expected: str, dest: Path) -> str | None:
    """Copy ``filename`` (``.gz`` or plain) from ``source`` to ``dest``; None if done, else why not.

    Raises _Unreachable (with the reason) when a URL source cannot be reached.
    """
    for name, compressed in ((filename + ".gz", True), (filename, False)):
        try:
            with source.open(name) as (stream, size):
                _copy_verified(stream, size, dest, expected, compressed, progress=_is_url(source.location))
            return None
        except FileNotFoundError:
            continue
        except VerificationError as error:
            return f"{name} from {source}: rejected, {error}"
        except urllib.error.URLError as error:  # before OSError: URLError is one
            raise _Unreachable(f"{name} from {source}: {error.reason}") from error
        except (OSError, http.client.HTTPException) as error:  # time-out, cut off, I/O error
            return f"{name} from {source}: {type(error).__name__}: {error}"
    return f"{filename}(.gz) not found at {source}"


def _fetch_file(
    filename: str, expected: str, dest: Path, sources: list[Source], unreachable: set[Source], verbose: bool
) -> list[str]:
    """Try each source for ``filename`` in turn; return why each failed ([] once one succeeds).

    A URL source found unreachable is added to ``unreachable`` and not tried
    again for the other files: behind a firewall that drops packets, every
    attempt would wait out its time-out.
    """
    failures = []
    for source in sources:
        if source in unreachable:
            failures.append(f"{filename}: {source} skipped (unreachable)")
            continue
        try:
            reason = _try_source(source, filename, expected, dest)
        except _Unreachable as error:
            unreachable.add(source)
            reason = str(error)
        if reason is None:
            if verbose:
                print(f"coursekit: {dest.name} <- {source} (sha256 verified)")
            return []
        failures.append(reason)
        if verbose and "not found at" not in reason:
            print(f"coursekit: {reason}; trying the next source")
    return failures


def ensure_dataset(name: str, root: str | Path | None = None, verbose: bool = True) -> Path:
    """Make every file of the data set ``name`` present and verified; return its folder.

    Files already in ``<root>/<folder>/raw`` are checked by sha256 and kept if
    they match; missing or failing files are fetched from the sources in order
    (see the module's docstring).

    Args:
        name: ``"mnist"`` or ``"fashion-mnist"``.
        root: the data directory (default: :func:`data_dir`).
        verbose: print where each fetched file came from and why a source was skipped.

    Raises:
        DataUnavailableError: some file could not be found anywhere; the
            message names the files and the ways to provide them.

    Used in: the loaders; ``python -m coursekit.data``.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}")
    spec = DATASETS[name]
    folder = raw_folder(spec, root)
    sources = sources_for(spec)
    unreachable: set[Source] = set()
    missing: dict[str, list[str]] = {}
    for filename, expected in spec.sha256.items():
        dest = folder / filename
        if verify_file(dest, expected):
            continue
        if dest.exists() and verbose:
            print(f"coursekit: {dest} fails its sha256 check; fetching it again")
        failures = _fetch_file(filename, expected, dest, sources, unreachable, verbose)
        if failures:
            missing[filename] = failures
    if missing:
        raise DataUnavailableError(_unavailable_message(spec, folder, missing))
    return folder


def _unavailable_message(spec: DatasetSpec, folder: Path, missing: dict[str, list[str]]) -> str:
    lines = [
        f"The {spec.name} files {', '.join(sorted(missing))} are not in {folder} "
        "and no source could provide a verified copy.",
        "Fix it in one of these ways:",
        f"  1. point COURSEKIT_MIRRORS at a folder (or URL) holding {spec.name}/<file>.gz, "
        "for example: export COURSEKIT_MIRRORS=/path/to/datasets",
    ]
    if spec.system_dirs:
        lines.append(
            "  2. install the system package: sudo apt-get install dataset-fashion-mnist "
            f"(it puts the files in {spec.system_dirs[0]})"
        )
    else:
        lines.append("  2. (no system package provides this data set)")
    lines.append(
        f"  3. download the four upstream files ({', '.join(f + '.gz' for f in spec.files)}) "
        f"from {spec.upstream[0]} and put them into {folder}"
    )
    lines.append("What was tried:")
    for filename in sorted(missing):
        lines.extend(f"  - {reason}" for reason in missing[filename])
    return "\n".join(lines)
