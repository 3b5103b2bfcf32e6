"""MNIST and Fashion-MNIST: offline, verified by checksum, and fast."""

from . import fetch, loaders, resources
from .fetch import *
from .loaders import *
from .resources import *

# Each module lists its public names once, in its own __all__; this package re-exports them.
_API_MODULES = (fetch, loaders, resources)
__all__ = [name for module in _API_MODULES for name in module.__all__]
