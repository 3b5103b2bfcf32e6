"""Run d2l-style scripts with the real d2l 0.17.6 or with coursekit.d2l, each from the same seeds.

    python tests/d2l_scripts/run.py {d2l,coursekit} SCRIPT [SCRIPT ...] [--coursekit-data] [--plan JSON]

The scripts import ``from d2l import torch as d2l`` and are never edited: with
``coursekit``, ``coursekit.d2l.install()`` makes that import give coursekit.d2l.
Before each script Python's, NumPy's and PyTorch's generators are seeded with
0, so the two backends draw the same data and initial weights. Figures go to
matplotlib's Agg backend. Run it in a folder whose ``../data`` holds
Fashion-MNIST in torchvision's layout (``coursekit.d2l.prepare_torchvision_root``),
as d2l expects.

Several scripts run one after the other in this one process (each in fresh
globals; Python and PyTorch start once, which takes seconds). After each, the
line ``@@ end <name> ok`` (or ``failed``) goes to stdout and to stderr, so that
a caller can split the output by script; a failing script's traceback goes to
stderr and the next script still runs.

``--coursekit-data`` gives the real d2l coursekit's Fashion-MNIST loader
instead of its own, whose per-image conversion takes 5 to 15 s an epoch on a
2-core machine: the tests use it to compare the rest of d2l's functions in
seconds, from the same batches (the loaders are compared on their own). The
benchmark runs d2l unchanged.

``--plan`` maps a script's name (without ``.py``) to ``{"env": {...}}``,
environment variables set while it runs (``NUM_EPOCHS``, say), and
``"own_data": true`` to let that script use d2l's own loader in spite of
``--coursekit-data``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import runpy
import sys
import traceback
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # before anything imports matplotlib

END = "@@ end"


def _use_coursekit_loader(d2l_torch) -> None:
    import coursekit

    def load_data_fashion_mnist(batch_size, resize=None):
        return coursekit.load_data_fashion_mnist(batch_size, resize)

    d2l_torch.load_data_fashion_mnist = load_data_fashion_mnist


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backend", choices=["d2l", "coursekit"])
    parser.add_argument("scripts", type=Path, nargs="+")
    parser.add_argument("--coursekit-data", action="store_true", help="real d2l, but coursekit's Fashion-MNIST loader")
    parser.add_argument("--plan", type=json.loads, default={}, help='{"name": {"env": {...}, "own_data": true}}')
    args = parser.parse_args()

    import numpy as np
    import torch
    from matplotlib import pyplot as plt

    if args.backend == "coursekit":
        import coursekit.d2l

        coursekit.d2l.install()
    else:
        import d2l.torch

        own_loader = d2l.torch.load_data_fashion_mnist

    failed = []
    for script in args.scripts:
        plan = args.plan.get(script.stem, {})
        if args.backend == "d2l":
            d2l.torch.load_data_fashion_mnist = own_loader
            if args.coursekit_data and not plan.get("own_data"):
                _use_coursekit_loader(d2l.torch)
        saved_env = dict(os.environ)
        os.environ.update(plan.get("env", {}))
        random.seed(0)
        np.random.seed(0)
        torch.manual_seed(0)
        sys.argv = [str(script)]
        status = "ok"
        try:
            runpy.run_path(str(script), run_name="__main__")
        except Exception:  # report it, and go on with the next script
            traceback.print_exc()
            status = "failed"
            failed.append(script.stem)
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            plt.close("all")
        for stream in (sys.stdout, sys.stderr):
            print(f"{END} {script.stem} {status}", file=stream, flush=True)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
