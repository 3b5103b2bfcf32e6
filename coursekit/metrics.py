"""Counting correct predictions and averaging over a data set."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn

from .utils import Batches, batches_on, eval_mode, forward, net_device

__all__ = [
    "Accumulator",
    "accuracy",
    "Evaluation",
    "evaluate",
    "evaluate_accuracy",
    "evaluate_loss",
]


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
            raise ValueError(f"Accumulator.add got {len(args)} values but this Accumulator keeps {len(self.data)} sums; pass one value per sum")
        self.data = [a + float(b) for a, b in zip(self.data, args, strict=True)]

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
            prediction), or predicted class indices of shape ``(batch,)`` as an
            integer tensor. One float per example is a score, never a class
            index, even when it is a whole number: threshold it first (at 0 for
            logits, 0.5 for probabilities); a ``ValueError`` says so.
        y: true class indices, shape ``(batch,)``.

    Divide by ``len(y)`` for the fraction correct.

    Raises:
        ValueError: what it cannot rank or compare: a 0-d tensor, scores of
            more than two dimensions, NaN or infinite scores, one float score
            per example, or shapes that do not match.

    Used in: chapter 3; coursekit's training and evaluation loops.
    """
    if y_hat.dim() == 0 or y.dim() == 0:
        raise ValueError(
            f"accuracy: got a 0-d tensor (y_hat of shape {tuple(y_hat.shape)}, y of shape {tuple(y.shape)}), "
            "one number instead of a batch; for a single example add the batch dimension: y_hat[None], y[None]"
        )
    if y_hat.dim() > 2:
        # The arg-max over dim 1 would be compared position by position and the count
        # divided by the batch size: an "accuracy" above 1.
        raise ValueError(
            f"accuracy: y_hat has shape {tuple(y_hat.shape)}, which it cannot rank: pass scores of shape "
            "(batch, num_classes) or class indices of shape (batch,). For a prediction per position "
            "(a sequence, an image), move the classes last and flatten the rest into the batch: "
            "y_hat.movedim(1, -1).reshape(-1, num_classes) and y.reshape(-1)"
        )
    if y_hat.shape[0] != y.shape[0]:
        raise ValueError(
            f"accuracy: y_hat holds {y_hat.shape[0]} predictions but y holds {y.shape[0]} labels; pass the predictions and labels of the same batch"
        )
    if y_hat.is_floating_point() and not bool(torch.isfinite(y_hat).all()):
        # The arg-max ranks a NaN above every number: an all-NaN model would be counted right
        # on every example of class 0.
        bad = int((~torch.isfinite(y_hat)).sum())
        raise ValueError(
            f"accuracy: y_hat holds {bad} non-finite score{'s' if bad > 1 else ''} (NaN or inf) of {y_hat.numel()}, "
            "which cannot be ranked: the model's outputs are not finite. Check that the inputs are scaled "
            "(for example to [0, 1]) and that training did not diverge (a learning rate too large); "
            "torch.isfinite(y_hat) shows where they are"
        )
    predictions = _predicted_classes(y_hat)
    if predictions.is_floating_point():
        # One float per example is a binary classifier's score (or a regression's
        # output), even when it happens to be a whole number, as a zero-initialized
        # model's 0.0 is. d2l would cast it to a class index and count nonsense;
        # which threshold is right depends on what it is, so say so instead of guessing.
        raise ValueError(
            "accuracy: y_hat holds one float per example, which is a score, not a class index: "
            "threshold it first, (y_hat > 0).long() for logits or (y_hat > 0.5).long() for "
            "probabilities; class indices must be an integer tensor (use .long())"
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


class Evaluation(NamedTuple):
    """What :func:`evaluate` measures: the mean loss per example (``None`` without a loss) and the accuracy.

    Used in: what :func:`evaluate` returns (chapters 3 and 5 through ``evaluate_accuracy`` and ``evaluate_loss``).
    """

    loss: float | None
    accuracy: float | None


def evaluate(
    net: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    data_iter: Batches,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    device: torch.device | str | None = None,
) -> Evaluation:
    """Mean loss and accuracy of ``net`` over ``data_iter``, in one pass over the data.

    ``loss`` may reduce with ``'none'``, ``'mean'`` or ``'sum'``: the loss
    reported is the mean per example in every case. Batches move to ``device``
    (default: the device of ``net``'s parameters); an ``nn.Module`` is
    evaluated in eval mode and put back in the mode it was in.

    Returns:
        ``Evaluation(loss, accuracy)``, a named tuple: ``loss, acc = evaluate(...)``.

    Raises:
        ValueError: scores :func:`accuracy` cannot rank (NaN or infinite ones,
            or of more than two dimensions), or ``data_iter`` yielded nothing.

    Used in: chapter 5; chapter 3 through :func:`evaluate_accuracy` and :func:`evaluate_loss`.
    """
    return _evaluate(net, data_iter, loss, device, measure_accuracy=True)


def _evaluate(net, data_iter: Batches, loss, device, *, measure_accuracy: bool) -> Evaluation:
    """:func:`evaluate`'s pass; without ``measure_accuracy`` (a regression's outputs have none) the accuracy is ``None``."""
    device = device if device is not None else net_device(net)
    metric = Accumulator(3)  # summed loss, correct predictions, examples
    with eval_mode(net), torch.no_grad():
        for X, y in batches_on(data_iter, device):
            y_hat = forward(net, X)
            n = y.shape[0]
            total = loss_sum(loss(y_hat, y), n, loss) if loss is not None else 0.0
            metric.add(total, accuracy(y_hat, y) if measure_accuracy else 0.0, n)
    if metric[2] == 0:
        raise ValueError("evaluate: data_iter yielded no examples (a generator that was already read?)")
    return Evaluation(
        metric[0] / metric[2] if loss is not None else None,
        metric[1] / metric[2] if measure_accuracy else None,
    )


def evaluate_accuracy(
    net: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    data_iter: Batches,
    device: torch.device | str | None = None,
) -> float:
    """Fraction of correct predictions of ``net`` over ``data_iter`` (d2l's ``evaluate_accuracy``).

    :func:`evaluate` without a loss; batches move to ``device`` as there.

    Used in: chapters 3 and 5.
    """
    return evaluate(net, data_iter, None, device).accuracy


def evaluate_loss(
    net: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    data_iter: Batches,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device | str | None = None,
) -> float:
    """Mean loss of ``net`` over ``data_iter``, per example, whatever ``loss``'s reduction.

    :func:`evaluate`'s loss, without an accuracy, so that it also measures a
    regression; use :func:`evaluate` when the accuracy is wanted too (one pass, not two).

    Used in: no chapter since the second edition (chapter 5 calls :func:`evaluate`);
    d2l's name, kept for code written against d2l.
    """
    return _evaluate(net, data_iter, loss, device, measure_accuracy=False).loss


# sums_over_batch and loss_sum: shared with train.py, outside __all__ (not exported).
def sums_over_batch(loss: Callable) -> bool:
    """True if ``loss`` reduces a batch to its sum (a loss module built with ``reduction='sum'``)."""
    return getattr(loss, "reduction", None) == "sum"


def loss_sum(values: torch.Tensor, batch_size: int, loss: Callable | None = None) -> torch.Tensor:
    """The summed loss of a batch, whatever the reduction that produced ``values``.

    ``values`` holds one loss per example (``reduction='none'``), or one number:
    the batch's sum if ``loss`` is a module with ``reduction='sum'``, else its
    mean (``reduction='mean'``, and any plain function that returns one number).
    """
    if values.dim() > 0:
        return values.sum()
    return values if loss is not None and sums_over_batch(loss) else values * batch_size
