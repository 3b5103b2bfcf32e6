"""d2l section 4.5: weight decay, from scratch and with the optimizer's weight_decay."""

import json
import os

import torch
from torch import nn
from d2l import torch as d2l

n_train, n_test, num_inputs, batch_size = 20, 100, 200, 5
true_w, true_b = d2l.ones((num_inputs, 1)) * 0.01, 0.05
train_data = d2l.synthetic_data(true_w, true_b, n_train)
train_iter = d2l.load_array(train_data, batch_size)
test_data = d2l.synthetic_data(true_w, true_b, n_test)
test_iter = d2l.load_array(test_data, batch_size, is_train=False)
num_epochs = int(os.environ.get("NUM_EPOCHS", 100))


def init_params():
    w = torch.normal(0, 1, size=(num_inputs, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return [w, b]


def l2_penalty(w):
    return torch.sum(w.pow(2)) / 2


def train(lambd):
    w, b = init_params()
    net, loss = lambda X: d2l.linreg(X, w, b), d2l.squared_loss
    lr = 0.003
    animator = d2l.Animator(xlabel="epochs", ylabel="loss", yscale="log", xlim=[5, num_epochs], legend=["train", "test"])
    for epoch in range(num_epochs):
        for X, y in train_iter:
            l = loss(net(X), y) + lambd * l2_penalty(w)
            l.sum().backward()
            d2l.sgd([w, b], lr, batch_size)
        if (epoch + 1) % 5 == 0:
            animator.add(epoch + 1, (d2l.evaluate_loss(net, train_iter, loss), d2l.evaluate_loss(net, test_iter, loss)))
    print("L2 norm of w:", torch.norm(w).item())
    return {"w_norm": torch.norm(w).item(), "train_loss": d2l.evaluate_loss(net, train_iter, loss),
            "test_loss": d2l.evaluate_loss(net, test_iter, loss)}


def train_concise(wd):
    net = nn.Sequential(nn.Linear(num_inputs, 1))
    for param in net.parameters():
        nn.init.normal_(param)
    loss = nn.MSELoss(reduction="none")
    lr = 0.003
    trainer = torch.optim.SGD([{"params": net[0].weight, "weight_decay": wd}, {"params": net[0].bias}], lr=lr)
    animator = d2l.Animator(xlabel="epochs", ylabel="loss", yscale="log", xlim=[5, num_epochs], legend=["train", "test"])
    for epoch in range(num_epochs):
        for X, y in train_iter:
            trainer.zero_grad()
            l = loss(net(X), y)
            l.mean().backward()
            trainer.step()
        if (epoch + 1) % 5 == 0:
            animator.add(epoch + 1, (d2l.evaluate_loss(net, train_iter, loss), d2l.evaluate_loss(net, test_iter, loss)))
    print("L2 norm of w:", net[0].weight.norm().item())
    return {"w_norm": net[0].weight.norm().item(), "train_loss": d2l.evaluate_loss(net, train_iter, loss),
            "test_loss": d2l.evaluate_loss(net, test_iter, loss)}


results = {"scratch_0": train(lambd=0), "scratch_3": train(lambd=3),
           "concise_0": train_concise(0), "concise_3": train_concise(3)}
print(json.dumps(results))
