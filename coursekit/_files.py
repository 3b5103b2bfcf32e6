"""Writing a file whole or not at all, for coursekit's data, coursekit.d2l's copies and the student tool."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", *, permissions: int = 0o644, **kwargs) -> Iterator[IO]:
    """Open a new file beside ``path`` for writing; on success it replaces ``path`` in one step.

    A reader never sees half a file, a failed write (a full disk, Ctrl-C) leaves
    nothing behind and ``path`` as it was, and a hard link to the old file keeps
    the old content. ``mode`` is ``"w"`` or ``"wb"``; ``kwargs`` go to ``open``
    (``encoding``, ``newline``). The file gets ``permissions`` (0644 by default: readable by
    all, as ``open`` makes a file under the usual umask).
    """
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(mode, dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False, **kwargs)
    try:
        with handle:
            yield handle
        os.chmod(handle.name, permissions)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
