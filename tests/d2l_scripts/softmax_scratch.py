"""d2l section 3.6: softmax regression from scratch on Fashion-MNIST."""

import json
import os

import torch
from d2l import torch as d2l

batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)

num_inputs = 784
num_outputs = 10
W = d2l.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = d2l.zeros(num_outputs, requires_grad=True)


def softmax(X):
    X_exp = d2l.exp(X)
    partition = d2l.reduce_sum(X_exp, 1, keepdims=True)
    return X_exp / partition


def net(X):
    return softmax(d2l.matmul(d2l.reshape(X, (-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -d2l.log(y_hat[range(len(y_hat)), y])


y = d2l.tensor([0, 2])
y_hat = d2l.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print(cross_entropy(y_hat, y))
example_accuracy = d2l.accuracy(y_hat, y) / len(y)
print(example_accuracy)
initial_accuracy = d2l.evaluate_accuracy(net, test_iter)
print(initial_accuracy)

metric = d2l.Accumulator(2)
metric.add(3, 10)
metric.add(4, 10)
print(metric[0] / metric[1])

lr = 0.1


def updater(batch_size):
    return d2l.sgd([W, b], lr, batch_size)


num_epochs = int(os.environ.get("NUM_EPOCHS", 10))
result = d2l.train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs, updater)
d2l.predict_ch3(net, test_iter)

print(json.dumps({
    "train_ch3_returns": repr(result),
    "example_accuracy": example_accuracy,
    "initial_accuracy": initial_accuracy,
    "test_acc": d2l.evaluate_accuracy(net, test_iter),
    "train_acc": d2l.evaluate_accuracy(net, train_iter),
}))
