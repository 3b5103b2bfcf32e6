"""d2l sections 4.1 and 4.2: activation functions, and a multilayer perceptron from scratch."""

import json
import os

import torch
from torch import nn
from d2l import torch as d2l

# 4.1 Activation functions and their gradients
x = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
y = torch.relu(x)
d2l.plot(x.detach(), y.detach(), "x", "relu(x)", figsize=(5, 2.5))
y.backward(d2l.ones(x.shape), retain_graph=True)
d2l.plot(x.detach(), x.grad, "x", "grad of relu", figsize=(5, 2.5))
y = torch.sigmoid(x)
x.grad.zero_()
y.backward(d2l.ones(x.shape), retain_graph=True)
sigmoid_grad_at_0 = float(x.grad[80])
d2l.plot(x.detach(), x.grad, "x", "grad of sigmoid", figsize=(5, 2.5))
y = d2l.tanh(x)
d2l.plot(x.detach(), y.detach(), "x", "tanh(x)", figsize=(5, 2.5))

# 4.2 A multilayer perceptron from scratch
batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)

num_inputs, num_outputs, num_hiddens = 784, 10, 256
W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens, requires_grad=True) * 0.01)
b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs, requires_grad=True) * 0.01)
b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))
params = [W1, b1, W2, b2]


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def net(X):
    X = X.reshape((-1, num_inputs))
    H = relu(X @ W1 + b1)
    return H @ W2 + b2


loss = nn.CrossEntropyLoss(reduction="none")
num_epochs, lr = int(os.environ.get("NUM_EPOCHS", 10)), 0.1
updater = torch.optim.SGD(params, lr=lr)
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, updater)
d2l.predict_ch3(net, test_iter)

print(json.dumps({
    "sigmoid_grad_at_0": sigmoid_grad_at_0,
    "test_acc": d2l.evaluate_accuracy(net, test_iter),
    "train_acc": d2l.evaluate_accuracy(net, train_iter),
}))
