"""``from coursekit import d2l``: d2l 0.17.6's PyTorch names for its chapters 2 to 4, offline and fast.

Code written for the d2l book (``from d2l import torch as d2l``) runs with this
module in its place: change that import to ``from coursekit import d2l``, or
run the file unchanged with ``python -m coursekit.d2l script.py`` (or call
:func:`install` first in a notebook). It covers the preliminaries, linear and
softmax regression, the Fashion-MNIST data, multilayer perceptrons, model
selection, weight decay and dropout. The functions return d2l's values and
types (``train_ch3`` returns ``None``, ``accuracy`` counts a regression's
outputs as about 0), and they are coursekit's underneath: its verified offline
data, its training loop and its Animator. The book's page "coursekit and d2l"
lists every difference from d2l and from coursekit proper.

Importing it does nothing else (no downloads, no seeds, no matplotlib
settings); ``import coursekit`` does not import it.
"""

from __future__ import annotations

import sys
import types

from ..train import sgd
from ..utils import Timer, try_all_gpus, try_gpu
from .data import get_dataloader_workers, get_fashion_mnist_labels, load_data_fashion_mnist, prepare_torchvision_root
from .plotting import Animator, plot, plt, set_axes, set_figsize, show_images, use_svg_display
from .regression import linreg, load_array, squared_loss, synthetic_data
from .tensors import *  # noqa: F403 (d2l's tensor names, listed in tensors.__all__)
from .tensors import __all__ as _tensor_names
from .training import Accumulator, accuracy, evaluate_accuracy, evaluate_loss, predict_ch3, train_ch3, train_epoch_ch3

__all__ = [
    # plotting (d2l sections 2.4, 3.6)
    "plt",
    "use_svg_display",
    "set_figsize",
    "set_axes",
    "plot",
    "show_images",
    "Animator",
    # linear regression (3.2, 3.3)
    "Timer",
    "synthetic_data",
    "linreg",
    "squared_loss",
    "sgd",
    "load_array",
    # Fashion-MNIST (3.5)
    "get_fashion_mnist_labels",
    "get_dataloader_workers",
    "load_data_fashion_mnist",
    "prepare_torchvision_root",
    # softmax regression and after (3.6 to 4.6)
    "Accumulator",
    "accuracy",
    "evaluate_accuracy",
    "evaluate_loss",
    "train_epoch_ch3",
    "train_ch3",
    "predict_ch3",
    # devices (5.6), for code that asks
    "try_gpu",
    "try_all_gpus",
    # running d2l's code unchanged
    "install",
    *_tensor_names,
]


def install() -> None:
    """Make ``from d2l import torch as d2l`` give this module, in this Python process.

    For a notebook or script written for d2l, run once before its code (in
    its first cell, say)::

        import coursekit.d2l
        coursekit.d2l.install()

    The real d2l package, if installed, is not touched on disk; this process
    just imports ``coursekit.d2l`` under the names ``d2l`` and ``d2l.torch``.
    ``python -m coursekit.d2l script.py`` does this, then runs the script.

    Raises:
        RuntimeError: d2l was already imported in this process; restart the
            kernel and call ``install()`` before anything imports d2l.

    Used in: running d2l's chapter code unchanged.
    """
    this = sys.modules[__name__]
    current = sys.modules.get("d2l.torch")
    if current is this:
        return
    if current is not None or "d2l" in sys.modules:
        raise RuntimeError(
            "coursekit.d2l.install(): d2l is already imported in this process, so code that imported it "
            "keeps the real one. Restart the kernel (or the script) and call install() before importing d2l."
        )
    package = types.ModuleType("d2l", "coursekit.d2l standing in for the d2l package (coursekit.d2l.install()).")
    package.torch = this  # type: ignore[attr-defined]
    package.__path__ = []  # a package, so that `import d2l.torch` works too
    sys.modules["d2l"] = package
    sys.modules["d2l.torch"] = this
