"""coursekit: the helpers of the course "Classification with PyTorch".

The names follow the d2l book (``load_data_fashion_mnist``, ``Accumulator``,
``train_ch3``, ...) with the same call signatures, written to run offline, fast
and headless. Importing coursekit does nothing else: no downloads, no seeds, no
matplotlib settings.
"""

from . import data, metrics, plotting, train, utils
from .data import *
from .metrics import *
from .plotting import *
from .train import *
from .utils import *

__version__ = "0.1.0"

# The public API is each module's own __all__, listed once there: this package
# re-exports all of them, and book/api.md documents them in this order
# (book/_ext/api_page.py). coursekit.student is apart: it needs nbformat.
_API_MODULES = (data, metrics, plotting, train, utils)
__all__ = [name for module in _API_MODULES for name in module.__all__]
