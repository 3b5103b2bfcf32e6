# %% [markdown]
# # Assignment 1: gradients, autograd and backpropagation
#
# This assignment goes with chapter 1, *Gradients, autograd and backpropagation*, and uses its notation (see the book's
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
# points: 2
# all_or_nothing: true

# %% [markdown]
# ## Question 1: the derivatives of the sigmoid and of tanh (2 points)
#
# <!-- exercise: ch1-ex1 -->
#
# This question grades the results in code. Write `sigmoid_derivative(x)` and `tanh_derivative(x)`,
# which return $\sigma'(x)$ and $\tanh'(x)$ elementwise for a tensor `x`, computed with the formulas
# $\sigma(x)(1 - \sigma(x))$ and $1 - \tanh^2(x)$: no autograd.

# %% [raw]
# # BEGIN SOLUTION


# %%
def sigmoid_derivative(x):
    """sigma'(x) = sigma(x) (1 - sigma(x)), elementwise; same shape and dtype as x."""
    # BEGIN SOLUTION
    s = torch.sigmoid(x)
    return s * (1 - s)
    # END SOLUTION


def tanh_derivative(x):
    """tanh'(x) = 1 - tanh(x)**2, elementwise; same shape and dtype as x."""
    # BEGIN SOLUTION
    return 1 - torch.tanh(x) ** 2
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q1_values(sigmoid_derivative, tanh_derivative):
    import torch

    assert callable(sigmoid_derivative) and callable(tanh_derivative), "define sigmoid_derivative(x) and tanh_derivative(x) and run their cell first"
    x = torch.tensor([-2.0, 0.0, 1.0, 3.0])
    got = sigmoid_derivative(x)
    assert tuple(got.shape) == (4,), f"expected one derivative per element, shape (4,), got {tuple(got.shape)}"
    assert abs(got[1].item() - 0.25) < 1e-6, f"sigma'(0) should be 1/4, the largest value of the sigmoid's derivative; got {got[1].item()}"
    expected = torch.sigmoid(x) * (1 - torch.sigmoid(x))
    assert torch.allclose(got, expected, atol=1e-6), f"sigma'(x) at x = -2, 0, 1, 3: expected {expected.tolist()}, got {got.tolist()}"
    assert abs(tanh_derivative(torch.tensor([0.0]))[0].item() - 1) < 1e-6, "tanh'(0) should be 1"


test_q1_values(sigmoid_derivative, tanh_derivative)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q1_hidden(sigmoid_derivative, tanh_derivative):
    import torch

    x = torch.linspace(-30, 30, 601, dtype=torch.float64, requires_grad=True)
    (ds,) = torch.autograd.grad(torch.sigmoid(x).sum(), x)
    (dt,) = torch.autograd.grad(torch.tanh(x).sum(), x)
    with torch.no_grad():
        assert torch.allclose(sigmoid_derivative(x), ds, rtol=1e-9, atol=1e-15)
        assert torch.allclose(tanh_derivative(x), dt, rtol=1e-9, atol=1e-15)
        assert sigmoid_derivative(x).dtype == torch.float64


test_q1_hidden(sigmoid_derivative, tanh_derivative)


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
# ## Question 2: backpropagation with a tanh hidden layer (3 points)
#
# <!-- exercise: ch1-ex3 -->
#
# `forward_tanh` (given, at the top of the answer cell) computes the hidden layer $O_1 = \tanh(X W_1 + b_1)$ and
# the output $O_2 = \sigma(O_1 W_2 + b_2)$. Write `backward_tanh(X, T, O1, O2, W2)`: the gradients of
# $E = \frac12 \sum (O_2 - T)^2$ with respect to $W_1$, $b_1$, $W_2$, $b_2$, in that order, by
# backpropagation (no autograd), as `backward` does in the chapter.

# %% [raw]
# # BEGIN SOLUTION


# %%
def forward_tanh(X, W1, b1, W2, b2):
    """Hidden O1 = tanh(X W1 + b1) (n, h) and output O2 = sigmoid(O1 W2 + b2) (n, outputs)."""
    O1 = torch.tanh(X @ W1 + b1)
    O2 = torch.sigmoid(O1 @ W2 + b2)
    return O1, O2


def backward_tanh(X, T, O1, O2, W2):
    """Gradients of E = 0.5 * sum((O2 - T)**2), in the order W1, b1, W2, b2."""
    # BEGIN SOLUTION
    delta2 = O2 * (1 - O2) * (O2 - T)
    delta1 = (1 - O1**2) * (delta2 @ W2.T)
    return X.T @ delta1, delta1.sum(dim=0), O1.T @ delta2, delta2.sum(dim=0)
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q2_matches_autograd(backward_tanh):
    import torch

    assert callable(backward_tanh), "define backward_tanh(X, T, O1, O2, W2) and run its cell first"
    generator = torch.Generator().manual_seed(0)
    X, T = torch.randn(4, 2, generator=generator), torch.rand(4, 1, generator=generator)
    params = [torch.randn(*shape, generator=generator, requires_grad=True) for shape in [(2, 3), (3,), (3, 1), (1,)]]
    W1, b1, W2, b2 = params  # the forward pass of the question, written here: only backward_tanh is graded
    O1 = torch.tanh(X @ W1 + b1)
    O2 = torch.sigmoid(O1 @ W2 + b2)
    (0.5 * ((O2 - T) ** 2).sum()).backward()
    with torch.no_grad():
        grads = backward_tanh(X, T, O1, O2, W2)
    assert len(grads) == 4, f"return four gradients, for W1, b1, W2, b2; got {len(grads)}"
    for name, param, grad in zip(["W1", "b1", "W2", "b2"], params, grads, strict=True):
        assert tuple(grad.shape) == tuple(param.shape), f"the gradient for {name} must have its shape {tuple(param.shape)}; got {tuple(grad.shape)}"
        assert torch.allclose(grad, param.grad, atol=1e-6), (
            f"the gradient for {name} differs from autograd's by up to {(grad - param.grad).abs().max():.3g}; "
            "tanh's derivative, written with its output O1, is 1 - O1**2"
        )


test_q2_matches_autograd(backward_tanh)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q2_hidden(backward_tanh):
    import torch

    generator = torch.Generator().manual_seed(5)
    X, T = torch.randn(9, 5, generator=generator, dtype=torch.float64), torch.rand(9, 2, generator=generator, dtype=torch.float64)
    params = [torch.randn(*s, generator=generator, dtype=torch.float64, requires_grad=True) for s in [(5, 7), (7,), (7, 2), (2,)]]
    W1, b1, W2, b2 = params  # the forward pass of the question, written here: only backward_tanh is graded
    O1 = torch.tanh(X @ W1 + b1)
    O2 = torch.sigmoid(O1 @ W2 + b2)
    (0.5 * ((O2 - T) ** 2).sum()).backward()
    with torch.no_grad():
        for param, grad in zip(params, backward_tanh(X, T, O1, O2, W2), strict=True):
            assert torch.allclose(grad, param.grad, rtol=1e-9, atol=1e-12)


test_q2_hidden(backward_tanh)


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
# ## Question 3: the gradient through a stack of activations (2 points)
#
# <!-- exercise: ch1-ex4 -->
#
# This question grades the computation. Write `stack_gradient(activation, depth)`: with $h_0 = x = 1$
# and $h_\ell = f(h_{\ell-1})$ for the function `activation` $= f$ (`torch.sigmoid`, `torch.tanh`,
# `torch.relu`...), it returns $dh_L/dx$ for $L$ = `depth` as a Python float, computed with autograd.

# %% [raw]
# # BEGIN SOLUTION


# %%
def stack_gradient(activation, depth):
    """d h_depth / d x at x = 1, where h_0 = x and h_l = activation(h_(l-1)); a float, by autograd."""
    # BEGIN SOLUTION
    x = torch.tensor(1.0, requires_grad=True)
    h = x
    for _ in range(depth):
        h = activation(h)
    (grad,) = torch.autograd.grad(h, x)
    return grad.item()
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q3_sigmoid_and_relu(stack_gradient):
    import torch

    assert callable(stack_gradient), "define stack_gradient(activation, depth) and run its cell first"
    s = torch.sigmoid(torch.tensor(1.0)).item()
    got = stack_gradient(torch.sigmoid, 1)
    assert isinstance(got, float), f"return a Python float (tensor.item()), not {type(got).__name__}"
    assert abs(got - s * (1 - s)) < 1e-6, f"one sigmoid layer at x = 1: expected sigma'(1) = {s * (1 - s):.6f}, got {got}"
    assert stack_gradient(torch.relu, 10) == 1.0, "with ReLU and a positive input every factor is 1, so dh_L/dx = 1 at any depth"
    deep = stack_gradient(torch.sigmoid, 30)
    assert 0 < deep <= 4.0**-30, f"30 sigmoids: each factor is at most 1/4, so dh_L/dx <= 4**-30 = {4.0**-30:.3g}; got {deep:.3g}"


test_q3_sigmoid_and_relu(stack_gradient)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q3_hidden(stack_gradient):
    import torch

    h, expected = torch.tensor(1.0, dtype=torch.float64), 1.0
    for _ in range(7):
        expected *= (1 - torch.tanh(h) ** 2).item()
        h = torch.tanh(h)
    assert abs(stack_gradient(torch.tanh, 7) - expected) < 1e-5 * expected
    assert stack_gradient(torch.sigmoid, 0) == 1.0


test_q3_hidden(stack_gradient)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q4
# points: 2
# all_or_nothing: true

# %% [markdown]
# ## Question 4: the gradient of the cross-entropy with respect to the logits (2 points)
#
# <!-- exercise: ch1-ex5 -->
#
# Write `cross_entropy_grad(a, y)`: for a vector of logits `a` (shape $(q,)$) and a true class `y` (an
# int), it returns $\partial \ell / \partial \mathbf{a} = \mathbf{p} - \text{one-hot}(y)$ with
# $\mathbf{p} = \operatorname{softmax}(\mathbf{a})$, computed with that formula (no autograd).

# %% [raw]
# # BEGIN SOLUTION


# %%
def cross_entropy_grad(a, y):
    """Gradient of -log softmax(a)[y] with respect to the logits a (q,): softmax(a) - one_hot(y)."""
    # BEGIN SOLUTION
    grad = torch.softmax(a, dim=0).clone()
    grad[y] -= 1
    return grad
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS


# %%
def test_q4_chapter_logits(cross_entropy_grad):
    import torch

    assert callable(cross_entropy_grad), "define cross_entropy_grad(a, y) and run its cell first"
    a = torch.tensor([1.0, 2.0, 0.5, -1.0], requires_grad=True)
    (expected,) = torch.autograd.grad(torch.nn.functional.cross_entropy(a[None, :], torch.tensor([0])), a)
    got = cross_entropy_grad(a.detach(), 0)
    assert tuple(got.shape) == (4,), f"expected one partial derivative per logit, shape (4,); got {tuple(got.shape)}"
    assert torch.allclose(got, expected, atol=1e-6), (
        f"for the logits (1, 2, 0.5, -1) and y = 0, autograd gives {expected.tolist()}; got {got.tolist()}"
    )


test_q4_chapter_logits(cross_entropy_grad)


# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG


def test_q4_hidden(cross_entropy_grad):
    import torch

    generator = torch.Generator().manual_seed(4)
    for y in range(10):
        a = 10 * torch.randn(10, generator=generator, dtype=torch.float64, requires_grad=True)
        (expected,) = torch.autograd.grad(torch.nn.functional.cross_entropy(a[None, :], torch.tensor([y])), a)
        a_before = a.detach().clone()
        assert torch.allclose(cross_entropy_grad(a.detach(), y), expected, rtol=1e-9, atol=1e-12)
        assert torch.equal(a.detach(), a_before)


test_q4_hidden(cross_entropy_grad)


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
# 1. Exercise 1: where is $\sigma'$ largest, and what is its value there? Why?
# 2. Exercise 4: why does the bound $dh_L/dx \le 4^{-L}$ hold for the sigmoid, and why does the
#    gradient shrink so much more slowly with tanh, and not at all with ReLU?

# %% [raw]
# # BEGIN SOLUTION

# %% [markdown]
# 1. $\sigma'(x) = s(1 - s)$ with $s = \sigma(x)$: the product of two numbers that add up to 1 is
#    largest when both are $1/2$, so $\sigma'$ is largest at $x = 0$, with $\sigma'(0) = 1/4$.
# 2. By the chain rule $dh_L/dx = \prod_\ell \sigma'(h_{\ell-1})$, a product of $L$ factors each at
#    most $1/4$. With tanh the factors are $1 - h_\ell^2$, close to 1 as $h_\ell$ shrinks towards 0
#    ($\tanh'(0) = 1$); with ReLU and a positive input every factor is exactly 1.

# %% [raw]
# # END SOLUTION

# %% [raw]
# # END QUESTION
