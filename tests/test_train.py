"""coursekit.train: train_epoch_ch3 / train_ch3, predict_ch3, errors, and no warnings (parity with d2l: test_d2l_parity.py)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import coursekit

NUM_INPUTS, NUM_CLASSES = 20, 4


def _batches(n=300, batch_size=32, seed=0, separable=False):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    X = torch.randn(n, NUM_INPUTS, generator=g)
    if separable:
        X[torch.arange(n), y] += 6.0  # class k has a large feature k
    return [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, n, batch_size)]


def test_mean_reduction_trains_like_none_reduction():
    data = _batches()
    for updater_kind in ("optimizer", "function"):
        results = []
        for reduction in ("none", "mean"):
            torch.manual_seed(0)
            net = nn.Linear(NUM_INPUTS, NUM_CLASSES)
            if updater_kind == "optimizer":
                updater = torch.optim.SGD(net.parameters(), lr=0.1)
            else:
                updater = lambda n, net=net: coursekit.sgd(list(net.parameters()), 0.1, n)  # noqa: E731
            history = coursekit.train_epoch_ch3(net, data, nn.CrossEntropyLoss(reduction=reduction), updater)
            results.append((history, net.weight.detach().clone()))
        (h_none, w_none), (h_mean, w_mean) = results
        assert h_none[0] == pytest.approx(h_mean[0], abs=1e-6), updater_kind
        assert torch.allclose(w_none, w_mean, atol=1e-6), updater_kind


def test_train_ch3_reaches_full_training_accuracy_on_a_separable_problem():
    torch.manual_seed(0)
    net = nn.Linear(NUM_INPUTS, NUM_CLASSES)
    data = _batches(separable=True)
    history = coursekit.train_ch3(net, data, data, nn.CrossEntropyLoss(reduction="none"), 5, torch.optim.SGD(net.parameters(), lr=0.5), animate=False)
    assert len(history) == 5 and len(history.test_acc) == 5 and len(history.seconds) == 5
    assert history.train_acc[-1] == 1.0 and history.test_acc[-1] == 1.0
    assert history.train_loss[-1] < history.train_loss[0]


def test_a_diverging_learning_rate_stops_with_a_clear_error():
    torch.manual_seed(0)
    net = nn.Linear(NUM_INPUTS, NUM_CLASSES)
    data = _batches()
    with pytest.raises(RuntimeError) as info:
        # Cross-entropy's gradient is bounded: only a learning rate near float32's
        # limit overflows the weights within a few steps.
        coursekit.train_ch3(net, data, data, nn.CrossEntropyLoss(), 3, torch.optim.SGD(net.parameters(), lr=1e38), animate=False)
    message = str(info.value)
    assert "became nan at epoch" in message or "became inf at epoch" in message
    assert ", batch " in message and "learning rate (1e+38) is probably too large" in message


# PyTorch warns about float() of a tensor that requires grad only once per
# process, so each training below runs in a fresh interpreter with warnings as errors.
# They become errors after the imports: what is checked is the training, not what older
# matplotlib releases warn about on import (make matrix runs them).
TRAIN_SCRIPT = """
import warnings
import torch, coursekit
from torch import nn
warnings.simplefilter("error")
torch.manual_seed(0)
X, y = torch.randn(300, 20), torch.randint(0, 4, (300,))
data = [(X[i:i + 32], y[i:i + 32]) for i in range(0, 300, 32)]
net = nn.Linear(20, 4)
{train}
print("trained")
"""
COURSEKIT_TRAINING = """
coursekit.train_ch3(net, data, data, nn.CrossEntropyLoss(), 2, torch.optim.SGD(net.parameters(), lr=0.1), animate=False)
coursekit.train_ch3(net, data, data, nn.CrossEntropyLoss(reduction="none"), 1, torch.optim.SGD(net.parameters(), lr=0.1))
W = torch.zeros(20, 4, requires_grad=True)
coursekit.train_ch3(lambda X: X @ W, data, data, nn.CrossEntropyLoss(reduction="none"), 1, lambda n: coursekit.sgd([W], 0.1, n))
"""


def _train_in_fresh_process(train: str) -> subprocess.CompletedProcess:
    script = TRAIN_SCRIPT.format(train=train)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)


def test_training_raises_no_warning():
    result = _train_in_fresh_process(COURSEKIT_TRAINING)
    assert result.returncode == 0, result.stderr
    assert "trained" in result.stdout and result.stderr == ""


def test_bad_num_epochs():
    net = nn.Linear(NUM_INPUTS, NUM_CLASSES)
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="num_epochs"):
            coursekit.train_ch3(net, [], [], nn.CrossEntropyLoss(), bad, torch.optim.SGD(net.parameters(), lr=0.1))


def test_sgd_without_gradients_explains():
    w = torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="call loss.backward"):
        coursekit.sgd([w], 0.1, 1)


def test_animated_training_in_a_script_prints_one_line_per_epoch(capsys):
    torch.manual_seed(0)
    net = nn.Linear(NUM_INPUTS, NUM_CLASSES)
    data = _batches(separable=True)
    coursekit.train_ch3(net, data, data, nn.CrossEntropyLoss(), 3, torch.optim.SGD(net.parameters(), lr=0.1))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1: train loss")


def test_predict_ch3_returns_label_names():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    X, y = torch.rand(8, 1, 28, 28), torch.arange(8)
    trues, preds = coursekit.predict_ch3(net, [(X, y)], n=6, show=False, labels=coursekit.get_fashion_mnist_labels)
    assert trues == coursekit.get_fashion_mnist_labels(range(6)) and len(preds) == 6
    expected = coursekit.get_fashion_mnist_labels(net(X[:6]).argmax(dim=1).tolist())
    assert preds == expected
    assert plt.get_fignums() == [], "show=False draws nothing"


def test_predict_ch3_draws_each_image_with_its_true_and_predicted_label():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    X, y = torch.rand(8, 1, 28, 28), torch.arange(8)
    trues, preds = coursekit.predict_ch3(net, [(X, y)], n=3, labels=coursekit.get_fashion_mnist_labels)  # draws (headless)
    assert len(plt.get_fignums()) == 1
    axes = plt.gcf().axes
    assert [ax.get_title() for ax in axes] == [f"{true}\n{pred}" for true, pred in zip(trues, preds, strict=True)]
    for ax, image in zip(axes, X[:3], strict=True):
        shown = ax.get_images()
        assert len(shown) == 1 and torch.equal(torch.as_tensor(shown[0].get_array()), image[0])


class _DeviceRecorder(nn.Module):
    """A linear layer that records the device of every batch it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(NUM_INPUTS, NUM_CLASSES)
        self.devices: set[torch.device] = set()

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.devices.add(X.device)
        return self.linear(X)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here: moving batches to a GPU is not checked")
def test_batches_move_to_the_nets_device():
    torch.manual_seed(0)
    on_cpu = _DeviceRecorder()
    on_gpu = copy.deepcopy(on_cpu).to("cuda")
    data = _batches()  # on the CPU
    histories = [
        coursekit.train_ch3(net, data, data, nn.CrossEntropyLoss(), 2, torch.optim.SGD(net.parameters(), lr=0.1), animate=False)
        for net in (on_cpu, on_gpu)
    ]
    assert on_gpu.devices == {torch.device("cuda", 0)} and on_cpu.devices == {torch.device("cpu")}
    assert next(on_gpu.parameters()).device.type == "cuda", "the net stays where it was"
    # The same training on either device: float32 sums in another order differ in the last
    # digits, which may at most flip a near-tie between two classes for one example.
    cpu, gpu = histories
    one_example = 1 / sum(len(y) for _, y in data)
    assert gpu.train_loss == pytest.approx(cpu.train_loss, rel=1e-4)
    assert gpu.train_acc == pytest.approx(cpu.train_acc, abs=one_example)
    assert gpu.test_acc == pytest.approx(cpu.test_acc, abs=one_example)


class _InterruptedInEpoch2:
    """Batches whose second pass raises KeyboardInterrupt (Ctrl-C) after two batches."""

    def __init__(self, batches):
        self.batches, self.passes = batches, 0

    def __iter__(self):
        self.passes += 1
        for i, batch in enumerate(self.batches):
            if self.passes == 2 and i == 2:
                raise KeyboardInterrupt
            yield batch


def test_ctrl_c_keeps_the_history_and_the_models_mode():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(NUM_INPUTS, NUM_CLASSES), nn.Dropout(0.1))
    net.eval()
    data = _batches()
    with pytest.raises(KeyboardInterrupt) as info:
        coursekit.fit(net, _InterruptedInEpoch2(data), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 3, val_iter=data)
    history = info.value.history
    assert history.epoch == [1.0] and len(history.val_acc) == 1, "the finished epoch is kept"
    assert any(".history" in note for note in info.value.__notes__)
    assert not net.training, "back in the eval mode it was in before fit"
    assert not any(m.training for m in net.modules())
