# %% [markdown]
# # Assignment 3: softmax regression
#
# This assignment goes with chapter 3, *Softmax regression on Fashion-MNIST*, and uses its
# notation: a minibatch $\mathbf{X}$ holds one example per row ($n \times d$), the logits are
# $\mathbf{O} = \mathbf{X}\mathbf{W} + \mathbf{b}$ with $\mathbf{W}$ of shape $d \times q$, and
# $\hat{\mathbf{y}} = \operatorname{softmax}(\mathbf{o})$.
#
# <!-- how-to-work -->

# %%
import torch
import torch.nn.functional as F

import coursekit

coursekit.set_seed(0)

# %% [raw]
# # BEGIN QUESTION
# name: q1
# points: 2
# all_or_nothing: true

# %% [markdown]
# ## Question 1: the cross-entropy from the logits (2 points)
#
# <!-- exercise: ch3-ex1 -->
#
# This question grades item 2. Write `cross_entropy_logits(O, y)`: for logits `O` of shape
# $(n, q)$ and labels `y` of shape $(n,)$ it returns the $n$ losses
# $\ell_i = \operatorname{logsumexp}(\mathbf{o}_i) - o_{i y_i}$, finite for any finite logits.

# %% [raw]
# # BEGIN SOLUTION


# %%
def cross_entropy_logits(O, y):
    """The cross-entropy of each example, from the logits O (n, q) and the labels y (n,): shape (n,)."""
    # BEGIN SOLUTION
    m = O.max(dim=1, keepdim=True).values
    log_sum_exp = m.squeeze(1) + torch.log(torch.exp(O - m).sum(dim=1))
    return log_sum_exp - O[torch.arange(len(y)), y]
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q1_matches_pytorch(cross_entropy_logits):
    import torch

    assert callable(cross_entropy_logits), "define cross_entropy_logits(O, y) and run its cell first"
    O = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    y = torch.tensor([0, 2])
    expected = torch.nn.CrossEntropyLoss(reduction="none")(O, y)
    got = cross_entropy_logits(O, y)
    assert tuple(got.shape) == (2,), f"expected one loss per example, shape (2,), got shape {tuple(got.shape)}"
    assert torch.allclose(got, expected, atol=1e-5), f"expected {expected.tolist()} (nn.CrossEntropyLoss(reduction='none')), got {got.tolist()}"


test_q1_matches_pytorch(cross_entropy_logits)


# %%
def test_q1_no_overflow(cross_entropy_logits):
    import torch

    got = cross_entropy_logits(torch.tensor([[0.0, 200.0, -50.0]]), torch.tensor([0]))
    assert torch.isfinite(got).all(), (
        "the loss of the logits [0, 200, -50] with true class 0 is not finite: compute "
        "log softmax(o)_y = o_y - logsumexp(o), with the largest logit subtracted inside the log-sum-exp"
    )
    assert abs(got.item() - 200) < 1e-3, f"expected 200 (the gap between the largest logit and the true class's), got {got.item()}"


test_q1_no_overflow(cross_entropy_logits)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q1_hidden(cross_entropy_logits):
    import torch

    generator = torch.Generator().manual_seed(3)
    O = 30 * torch.randn(64, 10, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 10, (64,), generator=generator)
    expected = torch.nn.functional.cross_entropy(O, y, reduction="none")
    assert torch.allclose(cross_entropy_logits(O, y), expected, rtol=1e-9, atol=1e-9)
    huge = torch.tensor([[1000.0, 0.0], [0.0, -1000.0]])
    assert torch.allclose(cross_entropy_logits(huge, torch.tensor([0, 1])), torch.tensor([0.0, 1000.0]))
    before = O.clone()
    cross_entropy_logits(O, y)
    assert torch.equal(O, before), "the logits were changed in place"


test_q1_hidden(cross_entropy_logits)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q2
# points: 3
# all_or_nothing: true

# %% [markdown]
# ## Question 2: the gradient of the cross-entropy by hand (3 points)
#
# <!-- exercise: ch3-ex4 -->
#
# Write `softmax_regression_grads(X, y, W, b)`. It returns the pair `(grad_W, grad_b)`, the
# gradients of the *mean* cross-entropy $L$ of the minibatch with respect to $\mathbf{W}$
# ($d \times q$) and $\mathbf{b}$ ($q$), computed with the formula, not with autograd. Use
# $\partial \ell / \partial \mathbf{o} = \operatorname{softmax}(\mathbf{o}) - \mathbf{y}$ (with
# $\mathbf{y}$ one-hot) and remember that the mean divides by $n$.

# %% [raw]
# # BEGIN SOLUTION


# %%
def softmax_regression_grads(X, y, W, b):
    """Gradients (grad_W (d, q), grad_b (q,)) of the mean cross-entropy of O = X W + b, for X (n, d), y (n,)."""
    # BEGIN SOLUTION
    O = X @ W + b
    G = (torch.softmax(O, dim=1) - F.one_hot(y, W.shape[1]).to(O.dtype)) / len(y)
    return X.T @ G, G.sum(dim=0)
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [markdown]
# The chapter's check, on one batch of Fashion-MNIST (the data come from coursekit's data folder,
# offline): the largest difference from autograd should be a rounding error, below $10^{-6}$.

# %%
train_iter, _ = coursekit.load_data_fashion_mnist(256)
X_batch, y_batch = next(iter(train_iter))
X_flat = X_batch.reshape(-1, 784)
W_check = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
b_check = torch.zeros(10, requires_grad=True)
F.cross_entropy(X_flat @ W_check + b_check, y_batch).backward()
grad_W, grad_b = softmax_regression_grads(X_flat, y_batch, W_check.detach(), b_check.detach())
print("largest difference from autograd:", (grad_W - W_check.grad).abs().max().item(), (grad_b - b_check.grad).abs().max().item())

# %% [raw]
# # BEGIN TESTS


# %%
def test_q2_matches_autograd(softmax_regression_grads):
    import torch

    assert callable(softmax_regression_grads), "define softmax_regression_grads(X, y, W, b) and run its cell first"
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(4, 5, generator=generator)
    y = torch.tensor([0, 2, 1, 2])
    W = torch.randn(5, 3, generator=generator, requires_grad=True)
    b = torch.randn(3, generator=generator, requires_grad=True)
    torch.nn.functional.cross_entropy(X @ W + b, y).backward()
    grad_W, grad_b = softmax_regression_grads(X, y, W.detach(), b.detach())
    assert tuple(grad_W.shape) == (5, 3), f"grad_W must have the shape of W, (d, q) = (5, 3); got {tuple(grad_W.shape)}"
    assert tuple(grad_b.shape) == (3,), f"grad_b must have the shape of b, (q,) = (3,); got {tuple(grad_b.shape)}"
    ratio = (grad_W.norm() / W.grad.norm()).item()
    assert abs(ratio - 4) > 1e-3, "your gradient is n = 4 times autograd's: the loss is the mean over the batch, so divide by n"
    assert torch.allclose(grad_W, W.grad, atol=1e-6), f"grad_W differs from autograd's by up to {(grad_W - W.grad).abs().max():.3g}"
    assert torch.allclose(grad_b, b.grad, atol=1e-6), f"grad_b differs from autograd's by up to {(grad_b - b.grad).abs().max():.3g}"


test_q2_matches_autograd(softmax_regression_grads)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q2_hidden(softmax_regression_grads):
    import torch

    generator = torch.Generator().manual_seed(1)
    for n, d, q in [(7, 3, 4), (1, 6, 2), (32, 20, 10)]:
        X = torch.randn(n, d, generator=generator, dtype=torch.float64)
        y = torch.randint(0, q, (n,), generator=generator)
        W = torch.randn(d, q, generator=generator, dtype=torch.float64, requires_grad=True)
        b = torch.randn(q, generator=generator, dtype=torch.float64, requires_grad=True)
        torch.nn.functional.cross_entropy(X @ W + b, y).backward()
        grad_W, grad_b = softmax_regression_grads(X, y, W.detach(), b.detach())
        assert torch.allclose(grad_W, W.grad, rtol=1e-9, atol=1e-12)
        assert torch.allclose(grad_b, b.grad, rtol=1e-9, atol=1e-12)


test_q2_hidden(softmax_regression_grads)

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
# ## Question 3: two-class softmax regression is logistic regression (2 points)
#
# <!-- exercise: ch3-ex5 -->
#
# This question grades item 1 in code. Write `logistic_from_softmax(W, b)`: for the weights
# `W` ($d \times 2$) and bias `b` ($2$) of a two-class softmax regression it returns the weight
# vector `w` (shape $(d,)$) and the number `c` of a logistic regression that predicts the same
# probability of class 1: $\sigma(\mathbf{X}\mathbf{w} + c) = \operatorname{softmax}(\mathbf{X}\mathbf{W} + \mathbf{b})_{:, 1}$.

# %% [raw]
# # BEGIN SOLUTION


# %%
def logistic_from_softmax(W, b):
    """(w (d,), c) with sigmoid(X w + c) equal to the class-1 probability of softmax(X W + b), for W (d, 2), b (2,)."""
    # BEGIN SOLUTION
    return W[:, 1] - W[:, 0], b[1] - b[0]
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q3_same_probabilities(logistic_from_softmax):
    import torch

    assert callable(logistic_from_softmax), "define logistic_from_softmax(W, b) and run its cell first"
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(6, 3, generator=generator)
    W, b = torch.randn(3, 2, generator=generator), torch.randn(2, generator=generator)
    w, c = logistic_from_softmax(W, b)
    assert tuple(torch.as_tensor(w).shape) == (3,), f"w must be a vector of shape (d,) = (3,); got shape {tuple(torch.as_tensor(w).shape)}"
    expected = torch.softmax(X @ W + b, dim=1)[:, 1]
    got = torch.sigmoid(X @ w + c)
    assert torch.allclose(got, expected, atol=1e-6), (
        f"sigmoid(X w + c) = {got.tolist()} but softmax(X W + b)[:, 1] = {expected.tolist()}: "
        "logistic regression's score is the difference of the two logits, o_1 - o_0"
    )


test_q3_same_probabilities(logistic_from_softmax)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q3_hidden(logistic_from_softmax):
    import torch

    generator = torch.Generator().manual_seed(2)
    X = 5 * torch.randn(50, 784, generator=generator, dtype=torch.float64)
    W = torch.randn(784, 2, generator=generator, dtype=torch.float64)
    b = torch.randn(2, generator=generator, dtype=torch.float64)
    w, c = logistic_from_softmax(W, b)
    assert torch.allclose(torch.sigmoid(X @ w + c), torch.softmax(X @ W + b, dim=1)[:, 1], rtol=0, atol=1e-12)


test_q3_hidden(logistic_from_softmax)

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
# 1. Exercise 1, items 1 and 3: why does `cross_entropy(softmax(O), y)` return `inf` for the
#    logits $[0, 200, -50]$ with true class 0, and what happens to training when the loss of one
#    example becomes `inf`?
# 2. Exercise 5, item 2: why does adding the same vector to every column of $\mathbf{W}$ (and the
#    same number to every entry of $\mathbf{b}$) not change the predictions, and what does that
#    mean for the number of parameters softmax regression really needs?

# %% [raw]
# # BEGIN SOLUTION

# %% [markdown]
# 1. The stable softmax cannot overflow, but it can underflow: the true class's probability is
#    $e^{o_y - m} / \sum_k e^{o_k - m}$, and with $o_y - m = -200$ the numerator rounds to 0 in
#    float32 (below about $e^{-103}$), so the loss is $-\log 0 = \infty$. An infinite loss gives
#    `nan` gradients; one step of SGD then makes every parameter `nan`.
# 2. Adding $\mathbf{v}$ to every column of $\mathbf{W}$ and $c$ to every entry of $\mathbf{b}$
#    adds $\mathbf{x}\mathbf{v} + c$ to every logit of an example, and the softmax does not change
#    when all logits shift by the same amount. One class's weights can be fixed to zero: $q$ classes
#    need only $q - 1$ score functions, as logistic regression uses one for two classes.

# %% [raw]
# # END SOLUTION

# %% [raw]
# # END QUESTION
