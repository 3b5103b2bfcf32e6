"""coursekit.train: train_epoch_ch3 / train_ch3 against d2l 0.17.6, errors, and no warnings."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import warnings

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


def _d2l_quietly(fn, *args):
    # d2l's train_epoch_ch3 calls float() on a tensor that requires grad, which
    # PyTorch warns about (one of the faults coursekit fixes); silence it here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args)


def test_parity_with_d2l_module_and_optimizer(d2l):
    torch.manual_seed(0)
    net_ours = nn.Sequential(nn.Flatten(), nn.Linear(NUM_INPUTS, NUM_CLASSES))
    net_d2l = copy.deepcopy(net_ours)
    opt_ours = torch.optim.SGD(net_ours.parameters(), lr=0.1)
    opt_d2l = torch.optim.SGD(net_d2l.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss(reduction="none")
    data = _batches()
    for _ in range(3):
        ours = coursekit.train_epoch_ch3(net_ours, data, loss, opt_ours)
        theirs = _d2l_quietly(d2l.train_epoch_ch3, net_d2l, data, loss, opt_d2l)
        assert ours[0] == pytest.approx(theirs[0], abs=1e-6)
        assert ours[1] == pytest.approx(theirs[1], abs=1e-6)
    assert coursekit.evaluate_accuracy(net_ours, data) == d2l.evaluate_accuracy(net_d2l, data)


def _scratch_model(seed=0):
    g = torch.Generator().manual_seed(seed)
    W = (torch.randn(NUM_INPUTS, NUM_CLASSES, generator=g) * 0.01).requires_grad_()
    b = torch.zeros(NUM_CLASSES, requires_grad=True)

    def net(X):
        O = X.reshape(-1, NUM_INPUTS) @ W + b
        E = torch.exp(O - O.max(dim=1, keepdim=True).values)
        return E / E.sum(dim=1, keepdim=True)

    return net, [W, b]


def _cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def test_parity_with_d2l_function_net_and_custom_updater(d2l):
    net_ours, params_ours = _scratch_model()
    net_d2l, params_d2l = _scratch_model()
    data = _batches()
    for _ in range(3):
        ours = coursekit.train_epoch_ch3(net_ours, data, _cross_entropy, lambda n: coursekit.sgd(params_ours, 0.1, n))
        theirs = _d2l_quietly(d2l.train_epoch_ch3, net_d2l, data, _cross_entropy, lambda n: d2l.sgd(params_d2l, 0.1, n))
        assert ours[0] == pytest.approx(theirs[0], abs=1e-6)
        assert ours[1] == pytest.approx(theirs[1], abs=1e-6)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(params_ours, params_d2l))


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
TRAIN_SCRIPT = """
import torch, coursekit
from torch import nn
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
    return subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, timeout=120, env={**os.environ, "MPLBACKEND": "Agg"})


def test_training_raises_no_warning():
    result = _train_in_fresh_process(COURSEKIT_TRAINING)
    assert result.returncode == 0, result.stderr
    assert "trained" in result.stdout and result.stderr == ""


def test_d2l_warns_where_coursekit_does_not(d2l):
    # The fault the issue names: d2l's train_epoch_ch3 converts a tensor that requires grad.
    result = _train_in_fresh_process(
        "import d2l.torch as d2l\nd2l.train_epoch_ch3(net, data, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1))"
    )
    assert result.returncode != 0 and "requires_grad=True to a scalar" in result.stderr


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
    axes_before = coursekit.predict_ch3(net, [(X, y)], n=3, labels=coursekit.get_fashion_mnist_labels)  # draws (headless)
    assert len(axes_before[0]) == 3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here: device handling is checked on CPU only")
def test_batches_move_to_the_nets_device():
    net = nn.Linear(NUM_INPUTS, NUM_CLASSES).to("cuda")
    data = _batches()  # on the CPU
    history = coursekit.train_ch3(net, data, data, nn.CrossEntropyLoss(), 1, torch.optim.SGD(net.parameters(), lr=0.1), animate=False)
    assert 0 <= history.test_acc[0] <= 1
