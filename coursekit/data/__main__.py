"""``python -m coursekit.data``: fetch and verify the course's data sets.

Run it once online (or with ``COURSEKIT_MIRRORS`` set) and the chapters then
run offline. Exit status 1, with the reasons, if a data set cannot be provided.
"""

from __future__ import annotations

import argparse
import sys

from .fetch import DataUnavailableError, data_dir, ensure_dataset, mirrors
from .resources import DATASETS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.data", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=sorted(DATASETS), help=f"data sets (default: all of {sorted(DATASETS)})")
    parser.add_argument("--root", default=None, help="data directory (default: COURSEKIT_DATA or the documented default)")
    args = parser.parse_args(argv)
    root = args.root or data_dir()
    print(f"data directory: {root}")
    print(f"mirrors (COURSEKIT_MIRRORS): {mirrors() or 'none'}")
    for name in args.names:
        try:
            folder = ensure_dataset(name, root)
        except (DataUnavailableError, ValueError) as error:
            print(f"\n{error}", file=sys.stderr)
            return 1
        print(f"{name}: verified in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
