"""d2l sections 3.1 and 3.2: linear regression from scratch on synthetic data."""

import json
import math
import random

import numpy as np
import torch
from d2l import torch as d2l

# 3.1 Vectorization for speed
n = 10000
a = d2l.ones(n)
b = d2l.ones(n)
c = d2l.zeros(n)
timer = d2l.Timer()
for i in range(n):
    c[i] = a[i] + b[i]
print(f"{timer.stop():.5f} sec")
timer.start()
d = a + b
print(f"{timer.stop():.5f} sec")


def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * np.exp(-0.5 / sigma**2 * (x - mu) ** 2)


x = np.arange(-7, 7, 0.01)
params = [(0, 1), (0, 2), (3, 1)]
d2l.plot(x, [normal(x, mu, sigma) for mu, sigma in params], xlabel="x", ylabel="p(x)",
         figsize=(4.5, 2.5), legend=[f"mean {mu}, std {sigma}" for mu, sigma in params])

# 3.2 Linear regression from scratch
true_w = d2l.tensor([2, -3.4])
true_b = 4.2
features, labels = d2l.synthetic_data(true_w, true_b, 1000)
print("features:", features[0], "\nlabel:", labels[0])
d2l.set_figsize()
d2l.plt.scatter(d2l.numpy(features[:, 1]), d2l.numpy(labels), 1)


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = d2l.tensor(indices[i : min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


batch_size = 10
w = d2l.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = d2l.zeros(1, requires_grad=True)
lr = 0.03
num_epochs = 3
net = d2l.linreg
loss = d2l.squared_loss

for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = loss(net(X, w, b), y)
        l.sum().backward()
        d2l.sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        print(f"epoch {epoch + 1}, loss {float(train_l.mean()):f}")

print(f"error in estimating w: {true_w - d2l.reshape(w, true_w.shape)}")
print(f"error in estimating b: {true_b - b}")

print(json.dumps({
    "loss": float(train_l.mean()),
    "w": d2l.numpy(w).ravel().tolist(),
    "b": float(b.detach()),
}))
