"""The chapter-3 training loop (d2l's ``train_ch3`` and friends), returning values."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from .data.resources import get_fashion_mnist_labels
from .metrics import Accumulator, accuracy, batches_on, eval_mode, evaluate_accuracy, loss_sum
from .plotting import Animator, show_images
from .utils import Timer, net_device

__all__ = ["History", "sgd", "train_epoch_ch3", "progress_animator", "train_ch3", "predict_ch3"]

Net = nn.Module | Callable[[torch.Tensor], torch.Tensor]
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Updater = torch.optim.Optimizer | Callable[[int], None]
Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def sgd(params: Sequence[torch.Tensor], lr: float, batch_size: int) -> None:
    """Minibatch stochastic gradient descent, in place: ``p -= lr * p.grad / batch_size``.

    The gradients are those of the *summed* loss of the batch, hence the
    division; they are zeroed after the step.

    Args:
        params: tensors with ``requires_grad=True`` whose ``.grad`` is filled.
        lr: learning rate.
        batch_size: number of examples the loss was summed over.

    Used in: chapter 3.
    """
    with torch.no_grad():
        for param in params:
            if param.grad is None:
                raise RuntimeError(
                    "sgd: a parameter has no gradient; call loss.backward() before sgd(), "
                    "and create parameters with requires_grad=True"
                )
            param -= lr * param.grad / batch_size
            param.grad.zero_()


@dataclass
class History:
    """Per-epoch record of a training run: one entry per epoch in each list.

    Used in: chapter 3, as what ``train_ch3`` returns.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.train_loss)


def _learning_rate_hint(updater: Updater) -> str:
    if isinstance(updater, torch.optim.Optimizer):
        lrs = sorted({group["lr"] for group in updater.param_groups})
        return f"the learning rate ({', '.join(f'{lr:g}' for lr in lrs)}) is probably too large"
    return "the learning rate your updater uses is probably too large"


def train_epoch_ch3(
    net: Net,
    train_iter: Batches,
    loss: Loss,
    updater: Updater,
    *,
    device: torch.device | str | None = None,
    epoch: int | None = None,
) -> tuple[float, float]:
    """Train ``net`` for one pass over ``train_iter``; return (mean loss, accuracy).

    Args:
        net: an ``nn.Module`` or a function mapping ``X`` to scores of shape
            ``(batch, num_classes)``.
        train_iter: yields ``(X, y)`` batches, ``y`` of shape ``(batch,)``.
        loss: a loss with ``reduction='none'`` (one value per example) or
            ``'mean'``; either is handled.
        updater: a ``torch.optim.Optimizer`` (stepped on the mean loss) or a
            function ``updater(batch_size)`` that updates the parameters from
            the gradients of the *summed* loss, as ``sgd`` does.
        device: where to move each batch (default: ``net``'s device).
        epoch: shown in the error message if the loss stops being finite.

    Raises:
        RuntimeError: the loss became NaN or infinite; the message names the
            epoch and batch.

    Used in: chapter 3.
    """
    if isinstance(net, nn.Module):
        net.train()
    device = device if device is not None else net_device(net)
    metric = Accumulator(3)  # summed loss, correct predictions, examples
    for batch, (X, y) in enumerate(batches_on(train_iter, device), start=1):
        y_hat = net(X)
        values = loss(y_hat, y)
        n = y.shape[0]
        total = float(loss_sum(values.detach(), n))
        if not math.isfinite(total):
            where = f"epoch {epoch}, batch {batch}" if epoch is not None else f"batch {batch}"
            raise RuntimeError(
                f"The training loss became {total} at {where}: {_learning_rate_hint(updater)}. "
                "Try one 10 times smaller; also check that the inputs are scaled (for "
                "example to [0, 1]) and that a hand-written loss never takes log(0)."
            )
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            (values.mean() if values.dim() > 0 else values).backward()
            updater.step()
        else:
            loss_sum(values, n).backward()
            updater(n)
        metric.add(total, accuracy(y_hat.detach(), y), n)
    if metric[2] == 0:
        raise ValueError("train_epoch_ch3: train_iter yielded no examples")
    return metric[0] / metric[2], metric[1] / metric[2]


def progress_animator(
    num_epochs: int, ylim: tuple[float, float] | None = None, display: str = "auto"
) -> Animator:
    """The Animator ``train_ch3`` shows: train loss, train and test accuracy per epoch.

    It redraws at most once a second (each figure costs ~30 ms to draw, a
    quarter of an epoch of chapter 3's model); ``train_ch3`` flushes it at the end.

    Used in: ``train_ch3``.
    """
    return Animator(
        xlabel="epoch",
        xlim=(1, num_epochs),
        ylim=ylim,
        legend=["train loss", "train acc", "test acc"],
        display=display,
        min_interval=1.0,
    )


def train_ch3(
    net: Net,
    train_iter: Batches,
    test_iter: Batches,
    loss: Loss,
    num_epochs: int,
    updater: Updater,
    *,
    device: torch.device | str | None = None,
    animate: bool | Animator = True,
    ylim: tuple[float, float] | None = None,
) -> History:
    """Train for ``num_epochs`` and return the per-epoch history.

    Unlike d2l's version nothing is asserted: the chapters check the returned
    ``History`` themselves. With ``animate=True`` an :class:`Animator` shows the
    train loss, train accuracy and test accuracy after every epoch (in a
    notebook one figure updates in place; in a script one line per epoch is
    printed).

    Args:
        net, train_iter, loss, updater, device: as in :func:`train_epoch_ch3`.
        test_iter: batches for the test accuracy measured after every epoch.
        num_epochs: at least 1.
        animate: show progress with an :class:`Animator` (redrawn at most
            once a second, and once more at the end); or pass your own
            ``Animator`` (to save the figure, say); ``False`` shows nothing.
        ylim: y-range of the progress figure (default: fitted to the data).

    Used in: chapter 3.
    """
    if not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(f"train_ch3: num_epochs must be an int of at least 1, got {num_epochs!r}")
    device = device if device is not None else net_device(net)
    if isinstance(animate, Animator):
        animator: Animator | None = animate
    else:
        animator = progress_animator(num_epochs, ylim) if animate else None
    history = History()
    for epoch in range(1, num_epochs + 1):
        with Timer() as timer:
            train_loss, train_acc = train_epoch_ch3(
                net, train_iter, loss, updater, device=device, epoch=epoch
            )
            test_acc = evaluate_accuracy(net, test_iter, device)
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        history.test_acc.append(test_acc)
        history.seconds.append(timer.times[-1])
        if animator is not None:
            animator.add(epoch, (train_loss, train_acc, test_acc))
    if animator is not None:
        animator.flush()
    return history


def predict_ch3(
    net: Net,
    test_iter: Batches,
    n: int = 6,
    *,
    labels: Callable[[Iterable[int]], list[str]] = get_fashion_mnist_labels,
    show: bool = True,
) -> tuple[list[str], list[str]]:
    """Predict the first ``n`` examples of ``test_iter``; return (true, predicted) label names.

    With ``show=True`` the images are drawn with the true label above the
    predicted one.

    Used in: chapter 3.
    """
    if n < 1:
        raise ValueError(f"predict_ch3: n must be at least 1, got {n}")
    X, y = next(iter(test_iter))
    X, y = X[:n], y[:n]
    device = net_device(net)
    with eval_mode(net), torch.no_grad():
        scores = net(X.to(device) if device is not None else X)
    trues = labels(y.tolist())
    preds = labels(scores.argmax(dim=1).tolist())
    if show:
        titles = [f"{true}\n{pred}" for true, pred in zip(trues, preds)]
        show_images(X.reshape(len(y), *X.shape[-2:]), 1, len(y), titles=titles)
    return trues, preds
