"""d2l section 3.7: softmax regression with PyTorch's layers, loss and optimizer."""

import json
import os

import torch
from torch import nn
from d2l import torch as d2l

batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)

net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


net.apply(init_weights)
loss = nn.CrossEntropyLoss(reduction="none")
trainer = torch.optim.SGD(net.parameters(), lr=0.1)

num_epochs = int(os.environ.get("NUM_EPOCHS", 10))
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)

print(json.dumps({
    "left_training": net.training,
    "test_acc": d2l.evaluate_accuracy(net, test_iter),
    "train_acc": d2l.evaluate_accuracy(net, train_iter),
}))
