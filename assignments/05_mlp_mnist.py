# %% [markdown]
# # Assignment 5: a multilayer perceptron on MNIST
#
# This assignment goes with chapter 5, *A multilayer perceptron on MNIST*, and uses its notation (see the book's
# notation page).
#
# <!-- how-to-work -->

# %%
import torch
from torch import nn

import coursekit

coursekit.set_seed(0)

# %% [raw]
# # BEGIN QUESTION
# name: q1
# points: 3
# all_or_nothing: true

# %% [markdown]
# ## Question 1: width, depth and the number of parameters (3 points)
#
# <!-- exercise: ch5-ex1 -->
#
# This question grades the first two steps (the training sweep is for you to run). Write
# `make_mlp(width, depth)`, an `nn.Sequential` that flattens a batch of $28 \times 28$ images and has
# `depth` hidden layers of `width` units, each an `nn.Linear` followed by `nn.LeakyReLU`, then an output
# layer of 10 logits; and `num_params(width, depth)`, its number of parameters by a formula (not by
# counting PyTorch's).

# %% [raw]
# # BEGIN SOLUTION


# %%
def make_mlp(width, depth):
    """Flatten, then depth x (Linear(., width), LeakyReLU), then Linear(., 10)."""
    # BEGIN SOLUTION
    layers, n_in = [nn.Flatten()], 784
    for _ in range(depth):
        layers += [nn.Linear(n_in, width), nn.LeakyReLU()]
        n_in = width
    return nn.Sequential(*layers, nn.Linear(n_in, 10))
    # END SOLUTION


def num_params(width, depth):
    """The number of parameters of make_mlp(width, depth), by a formula."""
    # BEGIN SOLUTION
    return 785 * width + (depth - 1) * (width**2 + width) + 10 * width + 10
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q1_structure_and_count(make_mlp, num_params):
    import torch

    assert callable(make_mlp) and callable(num_params), "define make_mlp(width, depth) and num_params(width, depth) and run their cell first"
    net = make_mlp(50, 2)
    out = net(torch.zeros(3, 1, 28, 28))
    assert tuple(out.shape) == (3, 10), f"a batch of 3 images should give logits of shape (3, 10); got {tuple(out.shape)}"
    linear = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linear) == 3, f"depth 2 means 2 hidden layers and an output layer: 3 nn.Linear; found {len(linear)}"
    counted = sum(p.numel() for p in net.parameters())
    assert num_params(50, 2) == counted, f"width 50, depth 2: PyTorch counts {counted:,} parameters, your formula gives {num_params(50, 2)}"


test_q1_structure_and_count(make_mlp, num_params)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q1_hidden(make_mlp, num_params):
    import torch

    for width in (1, 7, 100, 400):
        for depth in (1, 3, 4):
            net = make_mlp(width, depth)
            assert num_params(width, depth) == sum(p.numel() for p in net.parameters())
            assert sum(isinstance(m, torch.nn.LeakyReLU) for m in net.modules()) == depth
    assert num_params(200, 2) == 199_210


test_q1_hidden(make_mlp, num_params)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q2
# points: 2
# all_or_nothing: true

# %% [markdown]
# ## Question 2: dropout (2 points)
#
# <!-- exercise: ch5-ex3 -->
#
# This question grades the model. Write the class `DropoutMLP(p=0.2, width=200)`: the chapter's MLP
# (flatten, 784 → width → width → 10 with `nn.LeakyReLU` after each hidden layer) with `nn.Dropout(p)`
# after each LeakyReLU. The exercise trains it at widths 200 and 800.

# %% [raw]
# # BEGIN SOLUTION


# %%
class DropoutMLP(nn.Module):
    """The chapter's MLP, 784-width-width-10 with LeakyReLU, and dropout of rate p after each hidden layer."""

    def __init__(self, p=0.2, width=200):
        super().__init__()
        # BEGIN SOLUTION
        self.model = nn.Sequential(
            nn.Linear(784, width),
            nn.LeakyReLU(),
            nn.Dropout(p),
            nn.Linear(width, width),
            nn.LeakyReLU(),
            nn.Dropout(p),
            nn.Linear(width, 10),
        )
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        return self.model(x.flatten(start_dim=1))
        # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q2_dropout(DropoutMLP):
    import torch

    assert callable(DropoutMLP), "define the class DropoutMLP and run its cell first"
    torch.manual_seed(0)
    net = DropoutMLP(p=0.5)
    counted = sum(p.numel() for p in net.parameters())
    assert counted == 199_210, f"784-200-200-10 has 199,210 parameters (dropout has none); yours has {counted:,}"
    rates = [m.p for m in net.modules() if isinstance(m, torch.nn.Dropout)]
    assert rates == [0.5, 0.5], f"expected two nn.Dropout layers of rate p = 0.5, one after each LeakyReLU; found rates {rates}"
    X = torch.randn(8, 1, 28, 28)
    net.train()
    assert not torch.equal(net(X), net(X)), "in training mode dropout is random: two forward passes should differ"
    net.eval()
    assert torch.equal(net(X), net(X)), "in evaluation mode (net.eval()) dropout is off: two forward passes should agree"


test_q2_dropout(DropoutMLP)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q2_hidden(DropoutMLP):
    import torch

    torch.manual_seed(1)
    net = DropoutMLP()
    assert [m.p for m in net.modules() if isinstance(m, torch.nn.Dropout)] == [0.2, 0.2]
    net.eval()
    X = torch.randn(5, 784)
    plain = [m for m in net.modules() if not isinstance(m, (torch.nn.Dropout, torch.nn.Sequential, type(net)))]
    H = X
    for m in plain:
        H = m(H)
    assert torch.allclose(net(X.reshape(5, 1, 28, 28)), H, atol=1e-6)
    wide = DropoutMLP(p=0.1, width=800)
    assert [tuple(m.weight.shape) for m in wide.modules() if isinstance(m, torch.nn.Linear)] == [(800, 784), (800, 800), (10, 800)]
    assert [m.p for m in wide.modules() if isinstance(m, torch.nn.Dropout)] == [0.1, 0.1]


test_q2_hidden(DropoutMLP)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q3
# points: 2
# all_or_nothing: true

# %% [markdown]
# ## Question 3: statistics per colour channel (2 points)
#
# <!-- exercise: ch5-ex5 -->
#
# This question grades part (b) in code. Write `channel_stats(images)`: for a tensor of images of shape
# $(n, C, H, W)$ it returns `(mean, std)`, two tensors of shape $(C,)$: the mean and the standard
# deviation of each channel over all images and all pixel positions.

# %% [raw]
# # BEGIN SOLUTION


# %%
def channel_stats(images):
    """Per-channel mean and standard deviation of images (n, C, H, W): two tensors of shape (C,)."""
    # BEGIN SOLUTION
    return images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3))
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q3_per_channel(channel_stats):
    import torch

    assert callable(channel_stats), "define channel_stats(images) and run its cell first"
    images = torch.zeros(2, 3, 2, 2)
    images[:, 1] = 1.0
    images[0, 2], images[1, 2] = 0.0, 2.0
    mean, std = channel_stats(images)
    assert tuple(mean.shape) == (3,) and tuple(std.shape) == (3,), (
        f"expected one mean and one std per channel, shape (3,); got {tuple(mean.shape)}, {tuple(std.shape)}"
    )
    assert torch.allclose(mean, torch.tensor([0.0, 1.0, 1.0])), f"channel means: expected [0, 1, 1] (over images and pixels), got {mean.tolist()}"
    assert std[0] == 0 and std[1] == 0 and std[2] > 0.9, f"channel standard deviations: expected [0, 0, about 1.07], got {std.tolist()}"


test_q3_per_channel(channel_stats)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q3_hidden(channel_stats):
    import torch

    generator = torch.Generator().manual_seed(11)
    for channels in (1, 3, 4):
        scales = torch.arange(1, channels + 1, dtype=torch.float64)[:, None, None]
        images = torch.rand(6, channels, 5, 7, generator=generator, dtype=torch.float64) * scales
        mean, std = channel_stats(images)
        flat = images.transpose(0, 1).reshape(channels, -1)
        assert torch.allclose(mean, flat.mean(dim=1)) and torch.allclose(std, flat.std(dim=1))


test_q3_hidden(channel_stats)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q4
# points: 3
# manual: true

# %% [markdown]
# ## Question 4: in words (3 points, graded by hand)
#
# Answer in a few sentences each:
#
# 1. Exercise 5 (a): what is wrong with computing the standardization statistics on the training and
#    the test images together, even if the numbers barely change for MNIST?
# 2. Exercise 3: why must the network be in evaluation mode when it is evaluated, and which call
#    switches dropout off?

# %% [raw]
# # BEGIN SOLUTION

# %% [markdown]
# 1. The test set stands for data the model meets after it is built; any choice that uses it, the
#    preprocessing statistics included, lets information from the test set into the model, and the
#    test accuracy is then no longer an honest estimate. Compute every statistic on the training set.
# 2. In training mode dropout zeroes random activations, so the predictions would be random.
#    `net.eval()` switches dropout off (and `net.train()` back on); `coursekit.evaluate` evaluates
#    inside `coursekit.eval_mode(net)`.

# %% [raw]
# # END SOLUTION

# %% [raw]
# # END QUESTION
