"""coursekit.utils: seeds, Timer, devices; and that importing coursekit does nothing (Used in lines: test_used_in.py)."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

import coursekit
from coursekit.utils import net_device


def test_set_seed_makes_python_numpy_and_torch_repeat():
    coursekit.set_seed(42)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    coursekit.set_seed(42)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(ValueError, match="non-negative int"):
            coursekit.set_seed(bad)


def test_timer_records_and_works_as_a_context_manager():
    ticks = iter([0.0, 1.0, 3.0, 10.0, 10.5])
    timer = coursekit.Timer(clock=lambda: next(ticks))  # starts at 0
    assert timer.stop() == 1.0
    with timer:  # starts at 3, stops at 10
        pass
    assert timer.times == [1.0, 7.0] and timer.sum() == 8.0 and timer.avg() == 4.0
    assert timer.cumsum() == [1.0, 8.0]
    with pytest.raises(RuntimeError, match="no time recorded"):
        coursekit.Timer().avg()


def test_try_gpu_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert coursekit.try_gpu() == torch.device("cpu")
    assert coursekit.try_all_gpus() == [torch.device("cpu")]
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert coursekit.try_gpu() == torch.device("mps")
    assert coursekit.try_all_gpus() == [torch.device("mps")]
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert coursekit.try_gpu() == torch.device("cuda:0")
    assert coursekit.try_gpu(1) == torch.device("cuda:1")
    assert coursekit.try_gpu(2) == torch.device("mps")  # no third GPU
    assert coursekit.try_all_gpus() == [torch.device("cuda:0"), torch.device("cuda:1")]


def test_net_device():
    assert net_device(nn.Linear(2, 2)) == torch.device("cpu")
    assert net_device(nn.ReLU()) is None
    assert net_device(lambda X: X) is None


def test_importing_coursekit_does_nothing(tmp_path):
    script = """
import os, random, sys
import matplotlib, numpy as np, torch
rc = dict(matplotlib.rcParams)
state = (random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state().tolist())
files = set(os.listdir("."))
import coursekit
assert dict(matplotlib.rcParams) == rc, "rcParams changed"
assert (random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state().tolist()) == state, "a seed was set"
assert set(os.listdir(".")) == files, "files were written"
assert not os.path.exists(os.environ["COURSEKIT_DATA"]), "data was fetched"
print("nothing happened")
"""
    env = {"COURSEKIT_DATA": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "nothing happened" and result.stderr == ""
