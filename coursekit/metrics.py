"""Counting correct predictions and averaging over a data set."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

from .utils import net_device

__all__ = [
    "Accumulator",
    "accuracy",
    "batches_on",
    "eval_mode",
    "evaluate_accuracy",
    "evaluate_loss",
    "loss_sum",
]

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


class Accumulator:
    """Running sums of ``n`` quantities (d2l's ``Accumulator``).

    >>> metric = Accumulator(2)
    >>> metric.add(3, 10); metric.add(4, 10)
    >>> metric[0] / metric[1]
    0.35

    Used in: chapters 3 and 4.
    """

    def __init__(self, n: int) -> None:
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"Accumulator needs a positive number of sums, got {n!r}")
        self.data = [0.0] * n

    def add(self, *args: float | int | torch.Tensor) -> None:
        """Add one value to each sum; exactly ``n`` values are expected."""
        if len(args) != len(self.data):
            raise ValueError(
                f"Accumulator.add got {len(args)} values but this Accumulator keeps "
                f"{len(self.data)} sums; pass one value per sum"
            )
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        """Set every sum back to zero."""
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"Accumulator({self.data})"


def _predicted_classes(y_hat: torch.Tensor) -> torch.Tensor:
    if y_hat.dim() > 1 and y_hat.shape[1] > 1:
        return y_hat.argmax(dim=1)
    return y_hat


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Number of correct predictions in a batch (a count, as in d2l, not a fraction).

    Args:
        y_hat: scores of shape ``(batch, num_classes)`` (the arg-max is the
            prediction), or predicted class indices of shape ``(batch,)``.
            A binary classifier's single score per example must be thresholded
            first (at 0 for logits, 0.5 for probabilities): a ``ValueError`` says so.
        y: true class indices, shape ``(batch,)``.

    Divide by ``len(y)`` for the fraction correct.

    Used in: chapter 3; coursekit's training and evaluation loops.
    """
    if y_hat.shape[0] != y.shape[0]:
        raise ValueError(
            f"accuracy: y_hat holds {y_hat.shape[0]} predictions but y holds "
            f"{y.shape[0]} labels; pass the predictions and labels of the same batch"
        )
    predictions = _predicted_classes(y_hat)
    if predictions.is_floating_point() and not torch.equal(predictions, predictions.round()):
        # d2l would cast these to integers and count nonsense; which threshold is
        # right depends on what they are, so say so instead of guessing.
        raise ValueError(
            "accuracy: y_hat holds one score per example, not class indices: threshold it first, "
            "(y_hat > 0).long() for logits or (y_hat > 0.5).long() for probabilities"
        )
    if predictions.shape != y.shape:
        raise ValueError(
            f"accuracy: predictions of shape {tuple(predictions.shape)} cannot be compared "
            f"with labels of shape {tuple(y.shape)}; pass one class index per example "
            "(squeeze a (batch, 1) tensor to (batch,))"
        )
    if predictions.dtype != y.dtype:
        predictions = predictions.type(y.dtype)
    return float((predictions == y).sum())


@contextmanager
def eval_mode(net: nn.Module | Callable) -> Iterator[None]:
    """Put an ``nn.Module`` in eval mode for the block, then back in the mode it was in.

    A plain function (a from-scratch model) has no mode; nothing is changed.

    Used in: coursekit's evaluation loops; chapter 5.
    """
    if not isinstance(net, nn.Module):
        yield
        return
    was_training = net.training
    net.eval()
    try:
        yield
    finally:
        net.train(was_training)


def batches_on(data_iter: Batches, device: torch.device | str | None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield the batches of ``data_iter`` moved to ``device`` (left as they are if ``None``)."""
    if device is None:
        yield from data_iter
        return
    device = torch.device(device)
    for X, y in data_iter:
        if X.device != device:  # .to() costs a few microseconds even when there is nothing to move
            X, y = X.to(device), y.to(device)
        yield X, y


def evaluate_accuracy(
    net: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    data_iter: Batches,
    device: torch.device | str | None = None,
) -> float:
    """Fraction of correct predictions of ``net`` over ``data_iter``.

    Batches are moved to ``device`` (default: the device of ``net``'s
    parameters; a plain function's batches stay where they are). An
    ``nn.Module`` is evaluated in eval mode and put back in the mode it was in.

    Used in: chapters 3 and 5.
    """
    device = device if device is not None else net_device(net)
    metric = Accumulator(2)  # correct predictions, predictions
    with eval_mode(net), torch.no_grad():
        for X, y in batches_on(data_iter, device):
            metric.add(accuracy(net(X), y), y.numel())
    if metric[1] == 0:
        raise ValueError("evaluate_accuracy: data_iter yielded no examples")
    return metric[0] / metric[1]


def evaluate_loss(
    net: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    data_iter: Batches,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device | str | None = None,
) -> float:
    """Mean loss of ``net`` over ``data_iter``, per example.

    ``loss`` may reduce with ``'none'`` (one value per example) or ``'mean'``.
    Batches move to ``device`` as in :func:`evaluate_accuracy`.

    Used in: chapter 5.
    """
    device = device if device is not None else net_device(net)
    metric = Accumulator(2)  # sum of losses, number of examples
    with eval_mode(net), torch.no_grad():
        for X, y in batches_on(data_iter, device):
            metric.add(loss_sum(loss(net(X), y), y.shape[0]), y.shape[0])
    if metric[1] == 0:
        raise ValueError("evaluate_loss: data_iter yielded no examples")
    return metric[0] / metric[1]


def loss_sum(values: torch.Tensor, batch_size: int) -> torch.Tensor:
    """The summed loss of a batch, whether ``values`` holds one loss per example or their mean.

    A 0-dimensional ``values`` is taken as the mean (``reduction='mean'``).
    """
    return values.sum() if values.dim() > 0 else values * batch_size
