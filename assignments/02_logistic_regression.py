# %% [markdown]
# # Assignment 2: logistic regression
#
# This assignment goes with chapter 2, *Logistic regression*, and uses its notation (see the book's
# notation page).
#
# <!-- how-to-work -->

# %%
import torch

import coursekit

coursekit.set_seed(0)

# %% [raw]
# # BEGIN QUESTION
# name: q1
# points: 3
# all_or_nothing: true

# %% [markdown]
# ## Question 1: the gradient of the binary cross-entropy (3 points)
#
# <!-- exercise: ch2-ex1 -->
#
# This question grades the last step in code. Write `bce_grad(X, y, w, b)`: for inputs `X` ($n \times d$),
# labels `y` ($n \times 1$, zeros and ones), weights `w` ($d \times 1$) and bias `b` (shape $(1,)$), it returns
# `(grad_w, grad_b)`, the gradients of the mean binary cross-entropy of the logits $\mathbf{z} = \mathbf{X}\mathbf{w} + b$,
# with the shapes of `w` and `b`, computed with the formula (no autograd).

# %% [raw]
# # BEGIN SOLUTION


# %%
def bce_grad(X, y, w, b):
    """Gradients (grad_w (d, 1), grad_b (1,)) of the mean BCE of z = X w + b, for X (n, d), y (n, 1)."""
    # BEGIN SOLUTION
    error = torch.sigmoid(X @ w + b) - y
    return X.T @ error / len(y), error.mean(dim=0)
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q1_matches_autograd(bce_grad):
    import torch

    assert callable(bce_grad), "define bce_grad(X, y, w, b) and run its cell first"
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(5, 2, generator=generator)
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0], [1.0]])
    w = torch.randn(2, 1, generator=generator, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    torch.nn.BCEWithLogitsLoss()(X @ w + b, y).backward()
    grad_w, grad_b = bce_grad(X, y, w.detach(), b.detach())
    assert tuple(grad_w.shape) == (2, 1), f"grad_w must have the shape of w, (2, 1); got {tuple(grad_w.shape)}"
    assert tuple(grad_b.shape) == (1,), f"grad_b must have the shape of b, (1,); got {tuple(grad_b.shape)}"
    ratio = (grad_w.norm() / w.grad.norm()).item()
    assert abs(ratio - 5) > 1e-3, "your gradient is n = 5 times autograd's: the loss is the mean over the examples, so divide by n"
    assert torch.allclose(grad_w, w.grad, atol=1e-6), f"grad_w: autograd gives {w.grad.flatten().tolist()}, you give {grad_w.flatten().tolist()}"
    assert torch.allclose(grad_b, b.grad, atol=1e-6), f"grad_b: autograd gives {b.grad.tolist()}, you give {grad_b.tolist()}"


test_q1_matches_autograd(bce_grad)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q1_hidden(bce_grad):
    import torch

    generator = torch.Generator().manual_seed(6)
    X = 3 * torch.randn(40, 30, generator=generator, dtype=torch.float64)
    y = (torch.rand(40, 1, generator=generator) > 0.5).double()
    w = torch.randn(30, 1, generator=generator, dtype=torch.float64, requires_grad=True)
    b = torch.randn(1, generator=generator, dtype=torch.float64, requires_grad=True)
    torch.nn.BCEWithLogitsLoss()(X @ w + b, y).backward()
    grad_w, grad_b = bce_grad(X, y, w.detach(), b.detach())
    assert torch.allclose(grad_w, w.grad, rtol=1e-9, atol=1e-12) and torch.allclose(grad_b, b.grad, rtol=1e-9, atol=1e-12)


test_q1_hidden(bce_grad)


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
# ## Question 2: the binary cross-entropy with a clamp (2 points)
#
# <!-- exercise: ch2-ex2 -->
#
# Write `bce(y_hat, y, eps=1e-7)`, the chapter's mean binary cross-entropy of probabilities `y_hat` for
# labels `y` (same shape), with `y_hat` clamped to $[\varepsilon, 1 - \varepsilon]$ before the logarithms,
# so that it stays finite when a probability is exactly 0 or 1.

# %% [raw]
# # BEGIN SOLUTION


# %%
def bce(y_hat, y, eps=1e-7):
    """Mean binary cross-entropy of probabilities y_hat for labels y (same shape), y_hat clamped to [eps, 1 - eps]."""
    # BEGIN SOLUTION
    y_hat = y_hat.clamp(eps, 1 - eps)
    return -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q2_values(bce):
    import math

    import torch

    assert callable(bce), "define bce(y_hat, y, eps=1e-7) and run its cell first"
    y_hat, y = torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1.0, 0.0, 0.0])
    expected = torch.nn.functional.binary_cross_entropy(y_hat, y).item()
    got = bce(y_hat, y)
    assert got.dim() == 0, f"return the mean over the examples, one number; got shape {tuple(got.shape)}"
    assert abs(got.item() - expected) < 1e-5, f"expected {expected:.6f} (the mean of -[y log y_hat + (1 - y) log(1 - y_hat)]), got {got.item():.6f}"
    worst = bce(torch.tensor([1.0]), torch.tensor([0.0]), eps=1e-3).item()
    assert math.isfinite(worst), "y_hat = 1 with label 0 must give a finite loss: clamp y_hat to [eps, 1 - eps] first"
    assert abs(worst + math.log(1e-3)) < 1e-3, f"y_hat = 1, label 0, eps = 1e-3: expected -log(eps) = {-math.log(1e-3):.4f}, got {worst:.4f}"


test_q2_values(bce)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q2_hidden(bce):
    import math

    import torch

    y_hat = torch.tensor([0.0, 1.0, 0.5, 1e-9, 0.3], dtype=torch.float64)
    y = torch.tensor([1.0, 1.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    clamped = y_hat.clamp(1e-4, 1 - 1e-4)
    expected = -(y * clamped.log() + (1 - y) * (1 - clamped).log()).mean().item()
    got = bce(y_hat, y, eps=1e-4).item()
    assert math.isfinite(got) and abs(got - expected) < 1e-9
    assert abs(bce(y_hat, y).item() - bce(y_hat, y, eps=1e-7).item()) < 1e-12


test_q2_hidden(bce)


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
# ## Question 3: a quadratic feature and its boundary (2 points)
#
# <!-- exercise: ch2-ex4 -->
#
# This question grades two pieces in code. Write `add_square_feature(X)`, which appends the column
# $x_1^2$ to the $n \times 2$ inputs (result $n \times 3$: $x_1, x_2, x_1^2$), and `boundary_x2(w, b, x1)`:
# for the weights `w` (three numbers, for $x_1, x_2, x_1^2$) and bias `b` of the logit
# $z = w_0 x_1 + w_1 x_2 + w_2 x_1^2 + b$, it returns, for each value of the tensor `x1`, the $x_2$
# on the decision boundary $z = 0$.

# %% [raw]
# # BEGIN SOLUTION


# %%
def add_square_feature(X):
    """The inputs X (n, 2) with the column x1**2 appended: (n, 3)."""
    # BEGIN SOLUTION
    return torch.cat([X, X[:, :1] ** 2], dim=1)
    # END SOLUTION


def boundary_x2(w, b, x1):
    """x2 where w[0] x1 + w[1] x2 + w[2] x1**2 + b = 0, for each value of x1 (same shape)."""
    # BEGIN SOLUTION
    w0, w1, w2 = (float(v) for v in torch.as_tensor(w).flatten())
    return -(w0 * x1 + w2 * x1**2 + float(b)) / w1
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q3_feature_and_boundary(add_square_feature, boundary_x2):
    import torch

    assert callable(add_square_feature) and callable(boundary_x2), "define add_square_feature(X) and boundary_x2(w, b, x1) and run their cell first"
    X = torch.tensor([[1.0, 2.0], [-3.0, 0.5]])
    got = add_square_feature(X)
    assert tuple(got.shape) == (2, 3), f"expected shape (n, 3) = (2, 3), got {tuple(got.shape)}"
    assert torch.allclose(got, torch.tensor([[1.0, 2.0, 1.0], [-3.0, 0.5, 9.0]])), f"expected the columns x1, x2, x1**2; got {got.tolist()}"
    w, b, x1 = torch.tensor([1.0, 2.0, -0.5]), 0.5, torch.tensor([-1.0, 0.0, 2.0])
    x2 = boundary_x2(w, b, x1)
    z = w[0] * x1 + w[1] * x2 + w[2] * x1**2 + b
    assert torch.allclose(z, torch.zeros(3), atol=1e-5), f"the logit at (x1, boundary_x2(x1)) should be 0 on the boundary; got {z.tolist()}"


test_q3_feature_and_boundary(add_square_feature, boundary_x2)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q3_hidden(add_square_feature, boundary_x2):
    import torch

    generator = torch.Generator().manual_seed(7)
    X = torch.randn(20, 2, generator=generator, dtype=torch.float64)
    assert torch.equal(add_square_feature(X)[:, :2], X) and torch.allclose(add_square_feature(X)[:, 2], X[:, 0] ** 2)
    w, b = torch.tensor([[-2.0], [0.25], [3.0]], dtype=torch.float64), torch.tensor([1.5], dtype=torch.float64)
    x1 = torch.linspace(-2, 6, 17, dtype=torch.float64)
    x2 = boundary_x2(w, b, x1)
    assert torch.allclose(-2 * x1 + 0.25 * x2 + 3 * x1**2 + 1.5, torch.zeros(17, dtype=torch.float64), atol=1e-9)


test_q3_hidden(add_square_feature, boundary_x2)


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
# 1. Exercise 2: when does the clamp of `bce` matter, and what goes wrong without it?
# 2. Exercise 4: why is the decision boundary with the feature $x_1^2$ no longer a straight line,
#    although the model is still linear?

# %% [raw]
# # BEGIN SOLUTION

# %% [markdown]
# 1. Only for extreme logits: when $|z|$ exceeds about 17, $\sigma(z)$ rounds to exactly 0 or 1 in
#    float32, and $\log 0 = -\infty$ makes the loss and then the gradients and parameters `nan`.
#    Large learning rates, unscaled inputs and separable data produce such logits.
# 2. The boundary is where the logit vanishes, $x_2 = -(w_0 x_1 + w_2 x_1^2 + b)/w_1$: a parabola in
#    the plane of $(x_1, x_2)$. The model is linear in its features $(x_1, x_2, x_1^2)$, where the
#    boundary is a plane; seen in the original plane it bends.

# %% [raw]
# # END SOLUTION

# %% [raw]
# # END QUESTION
