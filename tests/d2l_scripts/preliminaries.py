"""d2l chapter 2 in brief: tensors, linear algebra, calculus, automatic differentiation, probability."""

import json

import numpy as np
import torch
from d2l import torch as d2l

# 2.1 Data manipulation
x = d2l.arange(12, dtype=d2l.float32)
X = d2l.reshape(x, (3, 4))
Y = d2l.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
print(X.shape, d2l.size(X), d2l.concat((X, Y), dim=0).shape, d2l.stack((X, Y)).shape)
print(d2l.exp(d2l.tensor([1.0, 2, 4, 8])))
print(X == Y, d2l.reduce_sum(X))
a = d2l.reshape(d2l.arange(3), (3, 1))
b = d2l.reshape(d2l.arange(2), (1, 2))
print(a + b)

# 2.3 Linear algebra
A = d2l.reshape(d2l.arange(20, dtype=d2l.float32), (5, 4))
B = A.clone()
print(d2l.transpose(A).shape, A * B)
print(d2l.reduce_sum(A, axis=0), d2l.reduce_sum(A, axis=[0, 1]), A.mean(), A.cumsum(axis=0))
print(d2l.matmul(A, d2l.ones(4)), torch.mm(A, d2l.ones(4, 3)))
u = d2l.tensor([3.0, -4.0])
print(torch.norm(u), d2l.abs(u).sum(), torch.norm(d2l.ones((4, 9))))


# 2.4 Calculus
def f(x):
    return 3 * x**2 - 4 * x


def numerical_lim(f, x, h):
    return (f(x + h) - f(x)) / h


h = 0.1
for i in range(5):
    print(f"h={h:.5f}, numerical limit={numerical_lim(f, 1, h):.5f}")
    h *= 0.1

x = np.arange(0, 3, 0.1)
d2l.plot(x, [f(x), 2 * x - 3], "x", "f(x)", legend=["f(x)", "Tangent line (x=1)"])

# 2.5 Automatic differentiation
x = d2l.arange(4.0)
x.requires_grad_(True)
y = 2 * torch.dot(x, x)
y.backward()
print(x.grad, x.grad == 4 * x)
x.grad.zero_()
y = x * x
u = y.detach()
z = u * x
z.sum().backward()
print(x.grad == u)


def fn(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


a = torch.randn(size=(), requires_grad=True)
d = fn(a)
d.backward()
print(a.grad == d / a)

# 2.6 Probability
fair_probs = d2l.ones([6]) / 6
counts = torch.distributions.multinomial.Multinomial(1000, fair_probs).sample()
print(counts / 1000)
cum_counts = torch.distributions.multinomial.Multinomial(10, fair_probs).sample((500,)).cumsum(dim=0)
estimates = cum_counts / cum_counts.sum(dim=1, keepdims=True)
d2l.set_figsize((6, 4.5))
for i in range(6):
    d2l.plt.plot(d2l.numpy(estimates[:, i]), label=("P(die=" + str(i + 1) + ")"))
d2l.plt.axhline(y=0.167, color="black", linestyle="dashed")
d2l.plt.gca().set_xlabel("Groups of experiments")
d2l.plt.gca().set_ylabel("Estimated probability")
d2l.plt.legend()

# The last line is what tests/test_d2l_compat.py compares.
print(json.dumps({
    "sum_A": float(d2l.reduce_sum(A)),
    "norm_u": float(torch.norm(d2l.tensor([3.0, -4.0]))),
    "grad_a": float(a.grad),
    "counts": d2l.numpy(counts).tolist(),
    "estimates_last": d2l.numpy(estimates[-1]).tolist(),
    "figsize": list(d2l.plt.rcParams["figure.figsize"]),
}))
