"""``python -m coursekit.data``: fetch and verify the course's data sets.

Run it once online (or with ``COURSEKIT_MIRRORS`` set) and the chapters then
run offline. Every data set named is tried; exit status 1, with the reasons,
if any of them cannot be provided; 2, with one line, if the data directory
itself cannot be used (an empty ``--root``, a loop of symbolic links).
"""

from __future__ import annotations

import argparse
import sys

from .fetch import DataDirectoryError, DataUnavailableError, data_dir, ensure_dataset, mirrors
from .resources import DATASETS


def main(argv: list[str] | None = None) -> int:
    """Fetch and verify the data sets named in ``argv`` (default: all); return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m coursekit.data", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=sorted(DATASETS), help=f"data sets (default: all of {sorted(DATASETS)})")
    parser.add_argument("--root", default=None, help="data directory (default: COURSEKIT_DATA or the documented default)")
    args = parser.parse_args(argv)
    if args.root == "":  # an unset shell variable, as in --root "$DATA": not the current folder
        print(f"{parser.prog}: --root is empty; give the data directory's path, or leave --root out for the default", file=sys.stderr)
        return 2
    try:
        root = data_dir(args.root)
    except DataDirectoryError as error:  # a symbolic link loop
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 2
    print(f"data directory: {root}")
    print(f"mirrors (COURSEKIT_MIRRORS): {mirrors() or 'none'}")
    failed = []
    for name in args.names:
        try:
            folder = ensure_dataset(name, root)
        except (DataUnavailableError, DataDirectoryError, ValueError) as error:
            print(f"\n{error}\n", file=sys.stderr)
            failed.append(name)
            continue
        print(f"{name}: verified in {folder}")
    if failed:
        print(f"coursekit: could not provide {', '.join(failed)} (the reasons are above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
