"""What the benchmarks share: the chapter-3 model, its training step, and timing."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import torch
from torch import nn

BATCH_SIZE = 256
LR = 0.1


def softmax_regression() -> tuple[nn.Module, nn.Module, torch.optim.Optimizer]:
    """Chapter 3's concise model: Flatten + Linear(784, 10), cross-entropy, SGD lr 0.1."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.normal_(net[1].weight, std=0.01)
    nn.init.zeros_(net[1].bias)
    return net, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=LR)


def train_epoch(net: nn.Module, loss: nn.Module, opt: torch.optim.Optimizer, batches: Iterable) -> None:
    """One epoch of plain training: forward, loss, backward, step; nothing measured."""
    for X, y in batches:
        opt.zero_grad()
        loss(net(X), y).backward()
        opt.step()


def preloaded_batches(X: torch.Tensor, y: torch.Tensor, batch_size: int = BATCH_SIZE):
    """The floor: shuffled batches cut from float tensors already in memory."""
    order = torch.randperm(len(y))
    for start in range(0, len(y), batch_size):
        idx = order[start : start + batch_size]
        yield X.index_select(0, idx), y.index_select(0, idx)


def seconds(runs: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median wall time of each run, after one warm-up of each.

    The runs take turns (a, b, c, a, b, c, ...), so that a slow spell of the
    machine hits them all alike and their ratios stay fair.
    """
    for run in runs.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def cpu_model() -> str:
    """The processor's name, as the operating system reports it."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> dict[str, str | int]:
    """What a measurement was taken on: CPU, cores, threads, kernels, versions and the date."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 0,
        "threads": torch.get_num_threads(),
        "kernels": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "system": platform.system(),
        "date": date.today().isoformat(),
    }
