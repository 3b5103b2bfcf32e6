"""d2l's chapter-3 training and evaluation functions, with d2l's values and return types.

coursekit proper is stricter than d2l (it refuses a float score as a class
index, averages a loss per example, returns a ``History``); these functions
keep d2l's behaviour, because d2l's chapter code depends on it: the
polynomial-regression section of d2l (4.4) trains a regression model with
``train_epoch_ch3`` and expects an accuracy of about 0, not an error.
``train_ch3`` runs coursekit's training loop (:func:`coursekit.train.fit`),
which gives the same numbers as d2l's on the chapters' classifiers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from .. import metrics as ck_metrics
from .. import train as ck_train
from ..plotting import predict_ch3 as ck_predict_ch3
from ..utils import batches_on, net_device
from .data import get_fashion_mnist_labels

__all__ = ["Accumulator", "accuracy", "evaluate_accuracy", "evaluate_loss", "train_epoch_ch3", "train_ch3", "predict_ch3"]

Net = nn.Module | Callable[[torch.Tensor], torch.Tensor]
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Updater = torch.optim.Optimizer | Callable[[int], None]
Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


class Accumulator(ck_metrics.Accumulator):
    """Running sums of ``n`` quantities, as d2l's: ``add`` with more values than sums ignores the extra ones.

    (coursekit's :class:`~coursekit.metrics.Accumulator` refuses a wrong number
    of values instead; with fewer values, the remaining sums are dropped, as d2l drops them.)

    Used in: d2l sections 3.6 and 4.4.
    """

    def __init__(self, n: int) -> None:
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"Accumulator needs a non-negative int number of sums, got {n!r}")
        self.data = [0.0] * n

    def add(self, *args: float | int | torch.Tensor) -> None:
        """Add ``args[i]`` to sum ``i``, pairing them as d2l's ``zip`` does."""
        self.data = [a + float(b) for a, b in zip(self.data, args, strict=False)]  # d2l's pairing, on purpose


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """The number of correct predictions, with d2l's rules (a count, not a fraction).

    Scores of shape ``(batch, k)`` with ``k > 1`` become their arg-max; any
    other ``y_hat`` is cast to ``y``'s dtype and compared element by element
    (broadcasting as PyTorch does). So a regression's outputs compared with
    float targets count (almost) 0, and a binary classifier's float scores are
    truncated to integers: d2l's values, which coursekit proper refuses to
    compute (see :func:`coursekit.metrics.accuracy`).

    Used in: d2l sections 3.6 and 4.4 (through ``train_epoch_ch3``).
    """
    if y_hat.dim() > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    matches = y_hat.type(y.dtype) == y
    return float(matches.type(y.dtype).sum())


def evaluate_accuracy(net: Net, data_iter: Batches) -> float:
    """The fraction of correct predictions of ``net`` over ``data_iter``, as d2l computes it.

    As in d2l, an ``nn.Module`` is put in eval mode and left there (its next
    training epoch switches it back); the examples counted are ``y.numel()``.
    Batches are moved to ``net``'s device.

    Used in: d2l sections 3.6 and 3.7 (and through ``train_ch3``).
    """
    if isinstance(net, nn.Module):
        net.eval()
    metric = Accumulator(2)  # correct predictions, predictions
    with torch.no_grad():
        for X, y in batches_on(data_iter, net_device(net)):
            metric.add(accuracy(net(X), y), y.numel())
    return _ratio(metric, "evaluate_accuracy")


def evaluate_loss(net: Net, data_iter: Batches, loss: Loss) -> float:
    """The mean of ``loss`` over every element it returns, over ``data_iter``, as d2l computes it.

    Each ``y`` is reshaped to the output's shape, and the sum of all loss
    values is divided by their number: for a loss with ``reduction='none'``
    over outputs of shape ``(batch, 4)`` that is the mean per output
    coordinate, a quarter of coursekit's mean per example
    (:func:`coursekit.metrics.evaluate_loss`). As in d2l the model's mode is left
    alone: put a model with dropout in eval mode first.

    Used in: d2l sections 4.4 and 4.5.
    """
    metric = Accumulator(2)  # summed loss, number of loss values
    with torch.no_grad():  # d2l builds autograd graphs here; the values are the same without them
        for X, y in batches_on(data_iter, net_device(net)):
            out = net(X)
            values = loss(out, y.reshape(out.shape))
            metric.add(values.sum(), values.numel())
    return _ratio(metric, "evaluate_loss")


def _ratio(metric: Accumulator, name: str) -> float:
    if metric[1] == 0:
        raise ValueError(f"{name}: data_iter yielded no examples (a generator that was already read?)")
    return metric[0] / metric[1]


def train_epoch_ch3(net: Net, train_iter: Batches, loss: Loss, updater: Updater) -> tuple[float, float]:
    """One pass of training; return (loss per label, accuracy) as d2l does.

    An optimizer steps on the batch's mean loss; a function ``updater(batch_size)``
    (such as ``d2l.sgd`` wrapped in a lambda) updates from the gradients of the
    summed loss. The returned loss is the sum of the loss values divided by
    the number of labels (``y.numel()``), and the accuracy counts as
    :func:`accuracy` does: about 0 for a regression model, where coursekit
    proper raises.

    Used in: d2l sections 3.6 and 4.4.
    """
    if isinstance(net, nn.Module):
        net.train()
    metric = Accumulator(3)  # summed loss, correct predictions, labels
    for X, y in batches_on(train_iter, net_device(net)):
        y_hat = net(X)
        values = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            values.mean().backward()
            updater.step()
        else:
            values.sum().backward()
            updater(X.shape[0])
        metric.add(float(values.detach().sum()), accuracy(y_hat.detach(), y), y.numel())
    if metric[2] == 0:
        raise ValueError("train_epoch_ch3: train_iter yielded no examples (a generator that was already read?)")
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net: Net, train_iter: Batches, test_iter: Batches, loss: Loss, num_epochs: int, updater: Updater) -> None:
    """Train ``net`` for ``num_epochs``, plotting train loss, train and test accuracy; return ``None`` as d2l does.

    coursekit's training loop runs it (:func:`coursekit.train.fit`); its
    numbers are those of d2l's loop for the chapters' classifiers (losses with
    ``reduction='none'``). Progress is drawn as d2l draws it (y from 0.3 to
    0.9), in a notebook, or printed one line per epoch in a script. Unlike
    d2l's, it does not end with ``assert train_loss < 0.5`` and accuracies
    above 0.7 (checks of d2l's own book build, which fail on shorter runs).
    As after d2l's, an ``nn.Module`` is left in eval mode.

    Use :func:`coursekit.train.train_ch3` for the per-epoch values (it returns a ``History``).

    Used in: d2l sections 3.6, 3.7, 4.2, 4.3 and 4.6.
    """
    ck_train.train_ch3(net, train_iter, test_iter, loss, num_epochs, updater, ylim=(0.3, 0.9))
    if isinstance(net, nn.Module):
        net.eval()  # d2l's last evaluate_accuracy leaves it so; code after train_ch3 may rely on it


def predict_ch3(net: Net, test_iter: Batches, n: int = 6) -> None:
    """Show the first ``n`` test images with their true and predicted labels; return ``None`` as d2l does.

    Labels are d2l's Fashion-MNIST names (``get_fashion_mnist_labels``).
    Use :func:`coursekit.plotting.predict_ch3` for the labels as values.

    Used in: d2l sections 3.6 and 4.2.
    """
    ck_predict_ch3(net, test_iter, n, labels=get_fashion_mnist_labels, show=True)
