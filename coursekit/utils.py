"""Seeds, timing, devices and modes: what running a model needs, in every chapter and in coursekit."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType

import numpy as np
import torch
from torch import nn

__all__ = ["Timer", "set_seed", "try_gpu", "try_all_gpus", "eval_mode"]

Net = nn.Module | Callable[[torch.Tensor], torch.Tensor]
Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
# PyTorch's words for a model and an input on different devices (CUDA, MPS).
_DEVICE_MISMATCH = re.compile(r"same device|expected \S+ to be on|Placeholder storage has not been allocated", re.I)


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's random number generators.

    Call it once near the top of a notebook so that re-running it on the same
    machine prints the same numbers. ``torch.manual_seed`` also seeds CUDA and
    MPS.

    Args:
        seed: a non-negative integer.

    Used in: every chapter.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_seed needs a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Timer:
    """Record running times (d2l's ``Timer``), also usable as a context manager.

    The timer starts when it is created. ``stop()`` records the time since the
    last ``start()``. As a context manager it starts on entry and stops on exit::

        with Timer() as t:
            train()
        print(f"{t.times[-1]:.2f} s")

    On a GPU, work is asynchronous: call ``torch.cuda.synchronize()`` before
    ``stop()`` to time the work rather than its launch.

    Used in: chapters 3, 4 and 5.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        """Start (or restart) the timer."""
        self.tik = self._clock()

    def stop(self) -> float:
        """Stop the timer, record the elapsed seconds and return them."""
        self.times.append(self._clock() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        """Average of the recorded times, in seconds."""
        if not self.times:
            raise RuntimeError("Timer.avg: no time recorded yet; call stop() first")
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        """Sum of the recorded times, in seconds."""
        return sum(self.times)

    def cumsum(self) -> list[float]:
        """Running totals of the recorded times, in seconds."""
        return np.array(self.times).cumsum().tolist()

    def __enter__(self) -> Timer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def try_gpu(i: int = 0) -> torch.device:
    """Return the GPU ``cuda:i`` if it exists, else Apple's MPS if available, else the CPU.

    Args:
        i: index of the CUDA device wanted.

    Used in: chapters 3 and 5.
    """
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def try_all_gpus() -> list[torch.device]:
    """Return every CUDA device; else ``[mps]`` if Apple's MPS is available; else ``[cpu]``.

    Used in: no chapter (they train on one device); d2l's name, for multi-GPU code of your own.
    """
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    if devices:
        return devices
    if _mps_available():
        return [torch.device("mps")]
    return [torch.device("cpu")]


# net_device, forward and batches_on: helpers that metrics, train, plotting and coursekit.d2l
# share, outside __all__: the package does not export them, and the API page does not list them.
def net_device(net: nn.Module | Callable) -> torch.device | None:
    """The device holding ``net``'s first parameter or buffer.

    Returns ``None`` for a plain function (a from-scratch model), whose
    parameters coursekit cannot see: its inputs are then left where they are.

    Used in: coursekit's training and evaluation loops.
    """
    if isinstance(net, nn.Module):
        for tensor in net.parameters():
            return tensor.device
        for tensor in net.buffers():
            return tensor.device
    return None


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


def forward(net: nn.Module | Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """``net(X)``, with a message that says what to do when the model and the batch are on different devices."""
    try:
        return net(X)
    except RuntimeError as error:
        if not _DEVICE_MISMATCH.search(str(error)):
            raise
        where = net_device(net)
        held = f"its parameters are on {where}" if where is not None else "its parameters are elsewhere"
        raise RuntimeError(
            f"The model and the batch are on different devices: the batch is on {X.device}, {held}. "
            "Move the model with net.to(device) before training, or pass the same device= to coursekit; "
            "a from-scratch model's tensors must be created on (or moved to) that device too."
        ) from error


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
