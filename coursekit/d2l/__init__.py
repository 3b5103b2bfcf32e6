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
lists every difference from d2l and from coursekit proper. With
:func:`install` (and so with ``python -m coursekit.d2l``), code that builds
``torchvision.datasets.FashionMNIST`` or ``MNIST`` itself with
``download=True`` gets coursekit's verified files instead of the web.

Importing it does nothing else (no downloads, no seeds, no matplotlib
settings, no change to torchvision); ``import coursekit`` does not import it.
"""

from __future__ import annotations

import sys
import types

from ..train import sgd
from ..utils import Timer, try_all_gpus, try_gpu
from . import data, plotting, regression, tensors, training
from .data import *  # noqa: F403 - each submodule's __all__ is the one list of its names
from .plotting import *  # noqa: F403
from .regression import *  # noqa: F403
from .tensors import *  # noqa: F403
from .training import *  # noqa: F403

# d2l's names, by the d2l sections that define them: plotting (2.4, 3.6), linear regression
# (3.2, 3.3), Fashion-MNIST (3.5), softmax regression and after (3.6 to 4.6), then names
# coursekit proper provides (the timer, minibatch SGD, devices), this module's install(),
# and d2l's tensor aliases.
__all__ = [
    *plotting.__all__,
    *regression.__all__,
    *data.__all__,
    *training.__all__,
    "Timer",
    "sgd",
    "try_gpu",
    "try_all_gpus",
    "install",
    *tensors.__all__,
]


def install() -> None:
    """Make ``from d2l import torch as d2l`` give this module, in this Python process.

    For a notebook or script written for d2l, run once before its code (in
    its first cell, say)::

        import coursekit.d2l
        coursekit.d2l.install()

    The real d2l package, if installed, is not touched on disk; this process
    just imports ``coursekit.d2l`` under the names ``d2l`` and ``d2l.torch``.
    It also makes ``torchvision.datasets.FashionMNIST`` and ``MNIST`` (those
    two classes, not their subclasses) with ``download=True`` copy
    coursekit's verified files into ``<root>/<class name>/raw`` (see
    ``prepare_torchvision_root``) instead of downloading, so that d2l's
    code that builds them runs offline. Calling it again changes nothing.
    ``python -m coursekit.d2l script.py`` does this, then runs the script.

    Raises:
        RuntimeError: d2l was already imported in this process; restart the
            kernel and call ``install()`` before anything imports d2l.

    Later, building ``FashionMNIST`` or ``MNIST`` with ``download=True``
    raises coursekit's ``DataUnavailableError`` (which says how to provide
    the files) where coursekit has no verified copy and no source of one.

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
    data._serve_torchvision_downloads()
