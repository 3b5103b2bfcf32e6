"""Training: ``fit``, the course's one training loop, and d2l's ``train_ch3`` and friends built on it, returning values."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Sequence

import torch
from torch import nn

from .metrics import Accumulator, accuracy, evaluate, loss_sum, sums_over_batch
from .plotting import Animator, Progress, progress_animator
from .utils import Batches, Net, Timer, batches_on, forward, net_device

__all__ = ["History", "fit", "sgd", "train_epoch_ch3", "train_ch3"]

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Updater = torch.optim.Optimizer | Callable[[int], None]


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
                    "sgd: a parameter has no gradient; call loss.backward() before sgd(), and create parameters with requires_grad=True"
                )
            param -= lr * param.grad / batch_size
            param.grad.zero_()


class History:
    """A training run's record, by name: one row per evaluation, one column per quantity.

    ``fit`` adds a row after every evaluation (each epoch, or every
    ``eval_every`` steps) with the columns ``epoch`` (fractional between
    epochs), ``step``, ``train_loss`` and ``train_acc`` (means over the steps
    since the row before), ``<name>_loss`` and ``<name>_acc`` for the
    evaluation set (``val`` or, in ``train_ch3``, ``test``), ``lr`` (an
    optimizer's learning rate at that point), ``seconds`` (training time since
    the row before) and ``eval_seconds``. Read a column as an attribute or by
    name: ``history.train_loss``, ``history["val_acc"]``; ``len(history)`` is
    the number of rows.

    Used in: chapters 3 and 5, as what ``fit`` returns.
    """

    def __init__(self) -> None:
        self.columns: dict[str, list] = {}

    def append(self, **values: float | int | None) -> None:
        """Add one row; a column missing from it gets ``None``, a new column ``None`` in the rows before."""
        rows = len(self)
        for name in values.keys() - self.columns.keys():
            self.columns[name] = [None] * rows
        for name, column in self.columns.items():
            column.append(values.get(name))

    def __getitem__(self, name: str) -> list:
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(f"History has no column {name!r}; it has {sorted(self.columns)}") from None

    def __getattr__(self, name: str) -> list:
        if name.startswith("__") or name == "columns":
            raise AttributeError(name)
        try:
            return self.columns[name]
        except KeyError:
            raise AttributeError(f"History has no column {name!r}; it has {sorted(self.columns)}") from None

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def __repr__(self) -> str:
        return f"History({len(self)} rows: {', '.join(self.columns)})"


def _learning_rate_hint(updater: Updater) -> str:
    if isinstance(updater, torch.optim.Optimizer):
        lrs = sorted({group["lr"] for group in updater.param_groups})
        return f"the learning rate ({', '.join(f'{lr:g}' for lr in lrs)}) is probably too large"
    return "the learning rate your updater uses is probably too large"


def _check_loss_and_updater(loss: Loss, updater: Updater) -> None:
    """Raise a ``TypeError`` that says what to pass, for the usual mix-ups of ``loss`` and ``updater``."""
    if isinstance(loss, type):
        raise TypeError(
            f"loss is the class {loss.__name__}, not a loss: create one first, "
            f"for example loss={loss.__name__}() (or {loss.__name__}(reduction='none'))"
        )
    if not callable(loss):
        raise TypeError(f"loss must be a loss module or a function (y_hat, y) -> loss, got {type(loss).__name__}")
    if isinstance(updater, type):
        raise TypeError(
            f"updater is the class {updater.__name__}, not an optimizer: create one first, "
            f"for example updater={updater.__name__}(net.parameters(), lr=0.1)"
        )
    if isinstance(getattr(updater, "__self__", None), torch.optim.Optimizer):
        raise TypeError(
            f"updater is the optimizer's method .{updater.__name__}, not the optimizer: pass the "
            "optimizer itself (updater=optimizer); coursekit calls zero_grad() and step() for you"
        )
    if not (isinstance(updater, torch.optim.Optimizer) or callable(updater)):
        raise TypeError(f"updater must be a torch.optim.Optimizer or a function updater(batch_size), got {type(updater).__name__}")


def _check_updater_trains(net: Net, updater: Updater) -> None:
    """Raise a ``ValueError`` if ``updater`` is an optimizer over none of ``net``'s parameters: training would change nothing."""
    # A function model's tensors, and those a function updater steps, are not known here.
    if not (isinstance(net, nn.Module) and isinstance(updater, torch.optim.Optimizer)):
        return
    own = {id(param) for param in net.parameters()}
    # A module without parameters of its own may compute with tensors held elsewhere, which the
    # optimizer may well hold; an optimizer over some of the net's parameters (the rest frozen) trains it.
    if not own or any(id(param) in own for group in updater.param_groups for param in group["params"]):
        return
    name = type(updater).__name__
    raise ValueError(
        f"updater is an optimizer ({name}) over none of net's parameters (another model's, or those of the model a "
        "copy was made from): training would leave net unchanged and its loss flat. Build the optimizer "
        f"from the net being trained: updater={name}(net.parameters(), lr={updater.param_groups[0]['lr']:g})"
    )


def _check_reusable(data_iter: Batches, name: str, passes: int) -> None:
    """Raise a ``TypeError`` if ``data_iter`` is an iterator (a generator, say) that can be read only once."""
    # Not iter(data_iter) is data_iter: iter() on a DataLoader draws a seed from the
    # global random generator, which would shift every later shuffle of the run.
    if passes > 1 and isinstance(data_iter, Iterator):
        raise TypeError(
            f"{name} is a one-pass iterator ({type(data_iter).__name__}): it is empty after the first "
            f"epoch, and this run reads it {passes} times. Pass something that can be iterated again: "
            "a loader (coursekit's or a torch DataLoader), or a list of (X, y) batches."
        )


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
        loss: a loss with ``reduction='none'`` (one value per example),
            ``'mean'`` or ``'sum'``: the reported loss is the mean per example,
            and an optimizer steps on the batch's mean, whichever it is.
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
    _check_loss_and_updater(loss, updater)
    if isinstance(net, nn.Module):
        net.train()
    device = device if device is not None else net_device(net)
    metric = Accumulator(3)  # summed loss, correct predictions, examples
    for batch, (X, y) in enumerate(batches_on(train_iter, device), start=1):
        metric.add(*_train_step(net, X, y, loss, updater, f"epoch {epoch}, batch {batch}" if epoch is not None else f"batch {batch}"))
    if metric[2] == 0:
        raise ValueError("train_epoch_ch3: train_iter yielded no examples")
    return metric[0] / metric[2], metric[1] / metric[2]


def _train_step(net: Net, X: torch.Tensor, y: torch.Tensor, loss: Loss, updater: Updater, where: str) -> tuple[float, float, int]:
    """One minibatch step; return (summed loss, correct predictions, examples) of the batch, before the step."""
    y_hat = forward(net, X)
    values = loss(y_hat, y)
    n = y.shape[0]
    total = float(loss_sum(values.detach(), n, loss))
    if not math.isfinite(total):
        raise RuntimeError(
            f"The training loss became {total} at {where}: {_learning_rate_hint(updater)}. "
            "Try one 10 times smaller; also check that the inputs are scaled (for "
            "example to [0, 1]) and that a hand-written loss never takes log(0)."
        )
    if isinstance(updater, torch.optim.Optimizer):
        updater.zero_grad()
        # The optimizer steps on the batch's mean loss, whatever the reduction.
        if values.dim() > 0:
            values.mean().backward()
        else:
            (values / n if sums_over_batch(loss) else values).backward()
        updater.step()
    else:
        loss_sum(values, n, loss).backward()
        updater(n)
    return total, accuracy(y_hat.detach(), y), n


def _check_num_epochs(caller: str, num_epochs: object) -> None:
    if not isinstance(num_epochs, int) or isinstance(num_epochs, bool) or num_epochs < 1:
        raise ValueError(f"{caller}: num_epochs must be an int of at least 1, got {num_epochs!r}")


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

    d2l's function, as a thin wrapper over :func:`fit` with the test set as
    the evaluation set. Unlike d2l's version nothing is asserted: the chapters
    check the returned ``History`` (columns ``train_loss``, ``train_acc``,
    ``test_loss``, ``test_acc``, ...) themselves. With ``animate=True`` an :class:`Animator` shows the
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

    Any error of training or plotting carries the History of the epochs
    completed, as ``error.history``.

    Raises:
        TypeError: ``loss`` or ``updater`` is a class or a method instead of
            an object, or an iterator that runs once is to be read again.
        ValueError: ``updater`` is an optimizer over another model's
            parameters (see :func:`fit`).

    Used in: no chapter since the second edition (chapter 3 calls ``fit`` with a validation
    set, and names this as d2l's form of it); :mod:`coursekit.d2l`.
    """
    _check_num_epochs("train_ch3", num_epochs)  # before the animator is drawn for that many epochs
    if isinstance(animate, Animator):
        animator: Animator | None = animate
    else:
        animator = progress_animator(num_epochs, ylim) if animate else None
    callbacks = [Progress(("train_loss", "train_acc", "test_acc"), animator)] if animator is not None else []
    return fit(net, train_iter, loss, updater, num_epochs, val_iter=test_iter, val_name="test", callbacks=callbacks, device=device)


def fit(
    net: Net,
    train_iter: Batches,
    loss: Loss,
    updater: Updater,
    num_epochs: int,
    *,
    val_iter: Batches | None = None,
    val_name: str = "val",
    eval_every: int | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    callbacks: Sequence[Callable[[History], None]] = (),
    device: torch.device | str | None = None,
) -> History:
    """Train ``net`` for ``num_epochs``, evaluating as it goes; return the :class:`History`.

    The one training loop of the course: ``train_ch3`` is this function with
    the test set as ``val_iter``. After every epoch (or every ``eval_every``
    steps) it records the mean train loss and accuracy since the last record
    and, with ``val_iter``, the loss and accuracy on it (one pass, see
    :func:`~coursekit.metrics.evaluate`); then it calls each callback with the
    History.

    Args:
        net, train_iter, loss, updater, device: as in :func:`train_epoch_ch3`.
        num_epochs: at least 1.
        val_iter: batches to evaluate on; choose hyperparameters on a
            validation set, not the test set.
        val_name: the prefix of its columns: ``val_loss``, ``val_acc``.
        eval_every: record every this many steps (minibatches) instead of
            once per epoch.
        scheduler: a learning-rate scheduler stepped after every step.
        callbacks: functions ``callback(history)`` called after every record
            (a :class:`~coursekit.plotting.Progress` draws the curves); a callback's ``close()``,
            if it has one, is called when training ends.

    Any error of training, evaluation or a callback, and a ``KeyboardInterrupt``
    (Ctrl-C), carries the History of the records made so far, as
    ``error.history``; an ``nn.Module`` is put back in the train or eval mode
    it was in.

    Raises:
        TypeError: as :func:`train_ch3`.
        ValueError: ``updater`` is an optimizer over none of ``net``'s
            parameters (another model's), checked before the first step.
        RuntimeError: the training or the evaluation loss became NaN or infinite.

    Used in: ``train_ch3``; chapters 3 and 5, with a validation set.
    """
    _check_num_epochs("fit", num_epochs)
    if eval_every is not None and (not isinstance(eval_every, int) or eval_every < 1):
        raise ValueError(f"fit: eval_every must be a positive number of steps, got {eval_every!r}")
    _check_loss_and_updater(loss, updater)
    _check_updater_trains(net, updater)
    _check_reusable(train_iter, "train_iter", num_epochs)
    if val_iter is not None:
        _check_reusable(val_iter, f"{val_name}_iter", num_epochs if eval_every is None else 2)
    device = device if device is not None else net_device(net)
    steps_per_epoch = len(train_iter) if hasattr(train_iter, "__len__") else None
    history = History()
    metric = Accumulator(3)  # since the last record: summed loss, correct predictions, examples
    timer = Timer()
    step = 0

    def record(epoch: float) -> None:
        _wait_for(device)
        train_seconds = timer.stop()
        row = {"epoch": epoch, "step": step, "train_loss": metric[0] / metric[2], "train_acc": metric[1] / metric[2], "seconds": train_seconds}
        if isinstance(updater, torch.optim.Optimizer):
            row["lr"] = updater.param_groups[0]["lr"]
        if val_iter is not None:
            with Timer() as eval_timer:
                row[f"{val_name}_loss"], row[f"{val_name}_acc"] = evaluate(net, val_iter, loss, device)
            row["eval_seconds"] = eval_timer.times[-1]
            value = row[f"{val_name}_loss"]
            if not math.isfinite(value):
                # Stop as a non-finite training loss does: the rows after this one would be noise.
                raise RuntimeError(
                    f"The {val_name} loss became {value} at epoch {epoch:g} (step {step}), after a training loss of "
                    f"{row['train_loss']:.4g}: check that the {val_name} inputs are scaled as the training inputs are "
                    "and that a hand-written loss never takes log(0) (nn.CrossEntropyLoss on the scores never does); "
                    f"if the training loss rose before, {_learning_rate_hint(updater)}."
                )
        history.append(**row)
        metric.reset()
        for callback in callbacks:
            callback(history)
        timer.start()

    was_training = net.training if isinstance(net, nn.Module) else None
    try:
        for epoch in range(1, num_epochs + 1):
            if isinstance(net, nn.Module):
                net.train()  # evaluate() puts it back in the mode it found, but be explicit each epoch
            for batch, (X, y) in enumerate(batches_on(train_iter, device), start=1):
                step += 1
                metric.add(*_train_step(net, X, y, loss, updater, f"epoch {epoch}, batch {batch}"))
                if scheduler is not None:
                    scheduler.step()
                if eval_every is not None and step % eval_every == 0:
                    record(step / steps_per_epoch if steps_per_epoch else float(epoch))
            if metric[2] == 0 and (eval_every is None or step == 0):
                raise ValueError(f"fit: train_iter yielded no examples in epoch {epoch}")
            if eval_every is None:
                record(float(epoch))
        if eval_every is not None and metric[2] > 0:  # the steps after the last multiple of eval_every
            record(step / steps_per_epoch if steps_per_epoch else float(num_epochs))
        for callback in callbacks:
            close = getattr(callback, "close", None)
            if close is not None:
                close()
    except BaseException as error:  # KeyboardInterrupt (Ctrl-C) too: stopping a run by hand loses nothing either
        # What was trained is not lost with the run: a plotting failure after an
        # hour of training, say, still leaves the trained net and its History.
        if was_training is not None:
            net.train(was_training)  # fit switched it to training mode; a model in eval mode stays there
        error.history = history  # type: ignore[attr-defined]
        note = f"the History of the {len(history)} record(s) made before the error is in this exception's .history"
        if sys.version_info >= (3, 11):
            error.add_note(note)
        else:  # Python 3.10 has no add_note; the note is kept where 3.11 keeps it, though 3.10 does not print it
            error.__notes__ = [*getattr(error, "__notes__", []), note]  # type: ignore[attr-defined]
        raise
    return history


def _wait_for(device: torch.device | str | None) -> None:
    """Block until ``device`` has run its queued work: CUDA and MPS run asynchronously, so a timer would stop early."""
    if device is None:
        return
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
