# %% [markdown]
# # Assignment 4: loss functions and regularization
#
# This assignment goes with chapter 4, *Loss functions and regularization*, and uses its notation (see the book's
# notation page).
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
# points: 3
# all_or_nothing: true

# %% [markdown]
# ## Question 1: label smoothing by hand (3 points)
#
# <!-- exercise: ch4-ex2 -->
#
# This question grades the function. Write `smoothed_cross_entropy(logits, target, eps)`: the mean over
# the examples of $H(\mathbf{q}, \hat{\mathbf{y}}) = -\sum_k q_k \log \hat{y}_k$, with the smoothed target
# $\mathbf{q} = (1 - \varepsilon)\,\text{one-hot} + \varepsilon / K$ and $\log \hat{\mathbf{y}}$ from
# `F.log_softmax`; `logits` is $n \times K$ and `target` holds $n$ class indices.

# %% [raw]
# # BEGIN SOLUTION


# %%
def smoothed_cross_entropy(logits, target, eps):
    """Mean cross-entropy of the logits (n, K) against the smoothed one-hot targets of target (n,)."""
    # BEGIN SOLUTION
    log_p = F.log_softmax(logits, dim=1)
    num_classes = logits.shape[1]
    q = (1 - eps) * F.one_hot(target, num_classes).to(log_p.dtype) + eps / num_classes
    return -(q * log_p).sum(dim=1).mean()
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q1_matches_pytorch(smoothed_cross_entropy):
    import torch

    assert callable(smoothed_cross_entropy), "define smoothed_cross_entropy(logits, target, eps) and run its cell first"
    generator = torch.Generator().manual_seed(0)
    logits, target = torch.randn(5, 4, generator=generator), torch.tensor([0, 3, 1, 1, 2])
    for eps in (0.0, 0.1, 0.3):
        expected = torch.nn.CrossEntropyLoss(label_smoothing=eps)(logits, target)
        got = smoothed_cross_entropy(logits, target, eps)
        assert got.dim() == 0, f"return the mean over the examples, one number; got shape {tuple(got.shape)}"
        assert torch.allclose(got, expected, atol=1e-5), (
            f"eps = {eps}: nn.CrossEntropyLoss(label_smoothing={eps}) gives {expected.item():.6f}, you give {got.item():.6f}; "
            "the smoothed target puts 1 - eps + eps/K on the true class and eps/K on each other class"
        )


test_q1_matches_pytorch(smoothed_cross_entropy)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q1_hidden(smoothed_cross_entropy):
    import torch

    generator = torch.Generator().manual_seed(8)
    logits = 20 * torch.randn(64, 10, generator=generator, dtype=torch.float64)
    target = torch.randint(0, 10, (64,), generator=generator)
    for eps in (0.05, 0.5, 1.0):
        expected = torch.nn.functional.cross_entropy(logits, target, label_smoothing=eps)
        assert torch.allclose(smoothed_cross_entropy(logits, target, eps), expected, rtol=1e-9)


test_q1_hidden(smoothed_cross_entropy)


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
# ## Question 2: the focal loss (2 points)
#
# <!-- exercise: ch4-ex3 -->
#
# This question grades the loss itself. Write `binary_focal_loss(logits, target, alpha, gamma)`: the mean
# over the examples of $\alpha_t (1 - p_t)^\gamma \cdot (-\log p_t)$, where $p_t = \sigma(z)$ for
# target 1 and $1 - \sigma(z)$ for target 0, and $\alpha_t = \alpha$ for target 1 and $1 - \alpha$ for
# target 0. Compute $-\log p_t$ from the logits with `F.softplus`, as the chapter does, so that it stays
# finite for large logits.

# %% [raw]
# # BEGIN SOLUTION


# %%
def binary_focal_loss(logits, target, alpha, gamma):
    """Mean binary focal loss of the logits z (n,) for targets (n,) of 0.0 and 1.0."""
    # BEGIN SOLUTION
    ce = target * F.softplus(-logits) + (1 - target) * F.softplus(logits)  # -log p_t
    one_minus_p_t = -torch.expm1(-ce)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return (alpha_t * one_minus_p_t**gamma * ce).mean()
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q2_values(binary_focal_loss):
    import torch

    assert callable(binary_focal_loss), "define binary_focal_loss(logits, target, alpha, gamma) and run its cell first"
    z, t = torch.tensor([2.0, -1.0, 0.5, 3.0]), torch.tensor([1.0, 0.0, 0.0, 1.0])
    bce = torch.nn.functional.binary_cross_entropy_with_logits(z, t)
    got = binary_focal_loss(z, t, 0.5, 0.0)
    assert torch.allclose(got, 0.5 * bce, atol=1e-6), (
        f"with gamma = 0 and alpha = 0.5 the focal loss is half the BCE, {0.5 * bce.item():.6f}; got {got.item():.6f}"
    )
    p_t = torch.tensor([torch.sigmoid(torch.tensor(2.0)).item(), 1 - torch.sigmoid(torch.tensor(-1.0)).item()])
    expected = (torch.tensor([0.25, 0.75]) * (1 - p_t) ** 2 * -p_t.log()).mean()
    got = binary_focal_loss(z[:2], t[:2], 0.25, 2.0)
    assert torch.allclose(got, expected, atol=1e-6), f"alpha = 0.25, gamma = 2 on two examples: expected {expected.item():.6f}, got {got.item():.6f}"


test_q2_values(binary_focal_loss)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q2_hidden(binary_focal_loss):
    import torch

    z = torch.tensor([200.0, -200.0, 30.0, -0.3], dtype=torch.float64)
    t = torch.tensor([0.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    got = binary_focal_loss(z, t, 0.75, 5.0)
    p = torch.sigmoid(z)
    p_t = torch.where(t == 1, p, 1 - p)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="none")
    expected = (torch.where(t == 1, 0.75, 0.25) * (1 - p_t) ** 5 * ce).mean()
    assert torch.isfinite(got) and torch.allclose(got, expected, rtol=1e-9)


test_q2_hidden(binary_focal_loss)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q3
# points: 3
# all_or_nothing: true

# %% [markdown]
# ## Question 3: sparse weights with the proximal step (3 points)
#
# <!-- exercise: ch4-ex4 -->
#
# This question grades the two functions the exercise needs. Write `soft_threshold(w, t)`, which returns
# $\operatorname{sign}(w)\max(|w| - t, 0)$ elementwise, and `sparse_fit(X, y, lam, lr=0.05, num_steps=300)`:
# starting from $\mathbf{w} = \mathbf{0}$, it repeats `num_steps` times a gradient step of learning rate
# $\eta$ = `lr` on $\tfrac12\,\mathrm{mean}(y - X\mathbf{w})^2$ followed by the proximal step
# `soft_threshold(w, lr * lam)`, and returns $\mathbf{w}$ (no bias).

# %% [raw]
# # BEGIN SOLUTION


# %%
def soft_threshold(w, t):
    """sign(w) * max(|w| - t, 0), elementwise."""
    # BEGIN SOLUTION
    return torch.sign(w) * (w.abs() - t).clamp(min=0)
    # END SOLUTION


def sparse_fit(X, y, lam, lr=0.05, num_steps=300):
    """Weights w (d,) of 0.5 * mean((y - X w)**2) + lam * ||w||_1, by proximal gradient descent from w = 0."""
    # BEGIN SOLUTION
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    for _ in range(num_steps):
        grad = X.T @ (X @ w - y) / len(y)
        w = soft_threshold(w - lr * grad, lr * lam)
    return w
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q3_threshold_and_fit(soft_threshold, sparse_fit):
    import torch

    assert callable(soft_threshold) and callable(sparse_fit), "define soft_threshold(w, t) and sparse_fit(X, y, lam, ...) and run their cell first"
    got = soft_threshold(torch.tensor([-2.0, -0.5, 0.0, 0.3, 1.5]), 0.5)
    expected = torch.tensor([-1.5, 0.0, 0.0, 0.0, 1.0])
    assert torch.allclose(got, expected), f"soft_threshold([-2, -0.5, 0, 0.3, 1.5], 0.5): expected {expected.tolist()}, got {got.tolist()}"
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(100, 8, generator=generator)
    y = X[:, 0] * 2 - X[:, 1] + 0.1 * torch.randn(100, generator=generator)
    w = sparse_fit(X, y, 0.3)
    assert tuple(w.shape) == (8,), f"return the weights, shape (d,) = (8,); got {tuple(w.shape)}"
    zeros = int((w == 0).sum())
    assert zeros >= 4, f"with lambda = 0.3 most of the 6 useless weights should be exactly 0; {zeros} of 8 are: apply soft_threshold after every step"
    assert w[0] > 1 and w[1] < -0.5, f"the two useful weights (2 and -1, shrunk by the penalty) should survive; got {w[:2].tolist()}"


test_q3_threshold_and_fit(soft_threshold, sparse_fit)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q3_hidden(sparse_fit):
    import torch

    generator = torch.Generator().manual_seed(9)
    X = torch.randn(60, 12, generator=generator, dtype=torch.float64)
    y = X @ torch.linspace(-1, 1, 12, dtype=torch.float64) + 0.2 * torch.randn(60, generator=generator, dtype=torch.float64)
    for lam, lr, steps in [(0.0, 0.05, 300), (0.1, 0.1, 50), (100.0, 0.05, 10)]:
        w = torch.zeros(12, dtype=torch.float64)
        for _ in range(steps):
            w = w - lr * X.T @ (X @ w - y) / len(y)
            w = torch.sign(w) * (w.abs() - lr * lam).clamp(min=0)
        assert torch.allclose(sparse_fit(X, y, lam, lr=lr, num_steps=steps), w, rtol=1e-7, atol=1e-9)


test_q3_hidden(sparse_fit)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q4
# points: 1
# all_or_nothing: true

# %% [markdown]
# ## Question 4: the Huber loss (1 points)
#
# <!-- exercise: ch4-ex1 -->
#
# This question grades the loss the exercise varies. Write `huber_loss(y_hat, y, delta=1.0)`, which returns,
# elementwise, $\tfrac12 r^2$ where the residual $r = |\hat{y} - y|$ is at most $\delta$, and
# $\delta (r - \tfrac12 \delta)$ where it is larger.

# %% [raw]
# # BEGIN SOLUTION


# %%
def huber_loss(y_hat, y, delta=1.0):
    """The Huber loss of each residual y_hat - y (elementwise), quadratic up to delta, linear beyond."""
    # BEGIN SOLUTION
    residual = (y_hat - y).abs()
    return torch.where(residual > delta, delta * (residual - 0.5 * delta), 0.5 * residual**2)
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q4_values(huber_loss):
    import torch

    assert callable(huber_loss), "define huber_loss(y_hat, y, delta=1.0) and run its cell first"
    y_hat, y = torch.tensor([0.5, 3.0, -2.0]), torch.zeros(3)
    got = huber_loss(y_hat, y, delta=1.0)
    expected = torch.tensor([0.125, 2.5, 1.5])
    assert tuple(got.shape) == (3,), f"return one loss per residual, shape (3,); got {tuple(got.shape)}"
    assert torch.allclose(got, expected), (
        f"residuals 0.5, 3, -2 with delta = 1: expected {expected.tolist()} (0.5 r**2 up to delta, delta (|r| - delta/2) beyond); got {got.tolist()}"
    )


test_q4_values(huber_loss)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q4_hidden(huber_loss):
    import torch

    generator = torch.Generator().manual_seed(10)
    y_hat, y = 5 * torch.randn(100, generator=generator, dtype=torch.float64), torch.randn(100, generator=generator, dtype=torch.float64)
    for delta in (0.1, 0.5, 3.0, 10.0):
        expected = torch.nn.functional.huber_loss(y_hat, y, reduction="none", delta=delta)
        assert torch.allclose(huber_loss(y_hat, y, delta=delta), expected, rtol=1e-12)


test_q4_hidden(huber_loss)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q5
# points: 3
# manual: true

# %% [markdown]
# ## Question 5: in words (3 points, graded by hand)
#
# Answer in a few sentences each:
#
# 1. Exercise 1: which Huber thresholds behave like L1 and which like L2 on the line with outliers,
#    and how would you choose $\delta$ from the noise's standard deviation $\sigma = 0.3$?
# 2. Exercise 5: why does the right strength $\lambda$ of a penalty depend on the loss it is added to?

# %% [raw]
# # BEGIN SOLUTION

# %% [markdown]
# 1. With a small $\delta$ (0.1) nearly every residual is beyond $\delta$: the loss is linear, like L1,
#    and ignores the outliers. With a large $\delta$ (10) every residual is within it: the loss is
#    quadratic, like L2, and the outliers pull the line. Choose $\delta$ a little above the inlier noise,
#    about $1$ to $3\sigma$ (0.3 to 1): quadratic for the inliers, linear for the outliers.
# 2. The objective adds the mean loss and $\lambda$ times the penalty: what matters is their ratio. The
#    focal loss is much smaller than the cross-entropy of the same network, so the same $\lambda$ weighs
#    far more against it; $\lambda$ must be chosen (on the validation set) for the loss in use.

# %% [raw]
# # END SOLUTION

# %% [raw]
# # END QUESTION
