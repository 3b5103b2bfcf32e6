"""d2l's framework-neutral tensor names, for PyTorch (``d2l.reshape``, ``d2l.reduce_sum``, ...).

The d2l book writes its code once for MXNet, PyTorch and TensorFlow and maps
these names to each framework. For PyTorch most are PyTorch's own functions;
the others are one-line methods, written out here with their PyTorch meaning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = [
    "ones", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos", "cosh", "tanh",
    "linspace", "exp", "log", "normal", "rand", "matmul", "int32", "float32", "concat",
    "stack", "abs", "eye", "numpy", "size", "reshape", "to", "reduce_sum", "argmax",
    "astype", "transpose",
]  # fmt: skip

# PyTorch's own functions and dtypes, under d2l's names.
ones = torch.ones
zeros = torch.zeros
tensor = torch.tensor
arange = torch.arange
meshgrid = torch.meshgrid
sin = torch.sin
sinh = torch.sinh
cos = torch.cos
cosh = torch.cosh
tanh = torch.tanh
linspace = torch.linspace
exp = torch.exp
log = torch.log
normal = torch.normal
rand = torch.rand
matmul = torch.matmul
int32 = torch.int32
float32 = torch.float32
concat = torch.cat
stack = torch.stack
abs = torch.abs  # noqa: A001 (d2l's name shadows the builtin inside this module only)
eye = torch.eye


def numpy(x: torch.Tensor, *args: Any, **kwargs: Any) -> np.ndarray:
    """``x`` as a NumPy array, detached from autograd (``x.detach().numpy()``); a GPU tensor is copied to the CPU first.

    Used in: d2l sections 2.6 and 3.2 (plots of tensors).
    """
    return x.detach().cpu().numpy(*args, **kwargs)


def size(x: torch.Tensor, *args: Any, **kwargs: Any) -> int:
    """The number of elements of ``x`` (``x.numel()``), not its shape.

    Used in: d2l section 3.6 (counting examples).
    """
    return x.numel(*args, **kwargs)


def reshape(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """``x.reshape(shape)``.

    Used in: d2l sections 2.1, 2.3, 3.2, 3.6 and 4.4.
    """
    return x.reshape(*args, **kwargs)


def to(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """``x.to(device or dtype)``.

    Used in: d2l's sections on GPUs (5.6 and after).
    """
    return x.to(*args, **kwargs)


def reduce_sum(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """``x.sum(...)``: the sum of all elements, or along ``axis``/``dim``.

    Used in: d2l sections 2.3 and 3.6.
    """
    return x.sum(*args, **kwargs)


def argmax(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """``x.argmax(...)`` (d2l passes ``axis=1``, which PyTorch accepts for ``dim``).

    Used in: d2l section 3.6 (predicted classes).
    """
    return x.argmax(*args, **kwargs)


def astype(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """``x.type(dtype)``: ``x`` converted to ``dtype`` (a float is truncated when cast to an integer type).

    Used in: d2l section 3.6 (``accuracy``).
    """
    return x.type(*args, **kwargs)


def transpose(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """``x.t()``: the transpose of a matrix (at most 2 dimensions).

    Used in: d2l section 2.3 and later ones.
    """
    return x.t(*args, **kwargs)
