"""The linear-regression helpers of d2l's chapter 3 (and the weight-decay section of chapter 4).

Each draws its random numbers in d2l's order, from PyTorch's global generator,
so a seeded script gets the same data and batches with ``coursekit.d2l`` as
with d2l.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils import data

__all__ = ["synthetic_data", "linreg", "squared_loss", "load_array"]


def synthetic_data(w: torch.Tensor, b: float | torch.Tensor, num_examples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Examples of ``y = Xw + b + noise``: features from N(0, 1), noise from N(0, 0.01²).

    Args:
        w: weights, shape ``(num_inputs,)`` (or ``(num_inputs, 1)``, which
            the weight-decay section uses).
        b: the bias.
        num_examples: how many rows to draw.

    Returns:
        ``X`` of shape ``(num_examples, num_inputs)`` and ``y`` of shape ``(num_examples, 1)``.

    Used in: d2l sections 3.2, 3.3 and 4.5.
    """
    if not isinstance(w, torch.Tensor) or w.dim() not in (1, 2):
        raise TypeError(f"synthetic_data: w must be a 1-d tensor of weights, such as torch.tensor([2, -3.4]); got {w!r}")
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)  # the noise is drawn after X, as d2l draws it
    return X, y.reshape((-1, 1))


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear model ``Xw + b``; ``X`` is ``(batch, num_inputs)``, ``w`` is ``(num_inputs, 1)``.

    Used in: d2l sections 3.2 and 4.5.
    """
    return torch.matmul(X, w) + b


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Half the squared error of each example, ``(y_hat - y)² / 2``, with ``y`` reshaped to ``y_hat``'s shape.

    Not averaged: one value per example, as ``d2l.sgd`` expects.

    Used in: d2l sections 3.2 and 4.5.
    """
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def load_array(data_arrays: Sequence[torch.Tensor], batch_size: int, is_train: bool = True) -> data.DataLoader:
    """A PyTorch ``DataLoader`` over tensors of equal length, shuffled every pass when ``is_train``.

    A real ``DataLoader``, so that it draws the same random order as d2l's from the same seed.

    Args:
        data_arrays: tensors whose first dimension indexes the examples, such as ``(features, labels)``.
        batch_size: examples per batch (the last batch may be smaller).
        is_train: shuffle.

    Used in: d2l sections 3.3, 4.4 and 4.5.
    """
    lengths = {len(array) for array in data_arrays}
    if len(lengths) != 1:
        raise ValueError(f"load_array: the arrays must hold the same number of examples, got lengths {sorted(lengths)}")
    return data.DataLoader(data.TensorDataset(*data_arrays), batch_size, shuffle=is_train)
