"""Run a script written for d2l with coursekit.d2l in d2l's place: ``python -m coursekit.d2l script.py [args]``."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from . import install


def main(argv: list[str] | None = None) -> None:
    """Run ``argv[0]`` as ``__main__`` with ``from d2l import torch as d2l`` giving ``coursekit.d2l``.

    Used in: ``python -m coursekit.d2l script.py``, to run d2l's chapter code unchanged.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        raise SystemExit(0 if argv else 2)
    script = Path(argv[0])
    if not script.is_file():
        raise SystemExit(f"python -m coursekit.d2l: no such script: {script}")
    install()
    sys.argv = argv
    sys.path.insert(0, str(script.resolve().parent))  # as `python script.py` would
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
