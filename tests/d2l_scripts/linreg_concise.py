"""d2l section 3.3: linear regression with PyTorch's layers, loss and optimizer."""

import json

import torch
from torch import nn
from d2l import torch as d2l

true_w = d2l.tensor([2, -3.4])
true_b = 4.2
features, labels = d2l.synthetic_data(true_w, true_b, 1000)

batch_size = 10
data_iter = d2l.load_array((features, labels), batch_size)
print(next(iter(data_iter)))

net = nn.Sequential(nn.Linear(2, 1))
nn.init.normal_(net[0].weight, 0, 0.01)
nn.init.zeros_(net[0].bias)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)

num_epochs = 3
for epoch in range(num_epochs):
    for X, y in data_iter:
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)
    print(f"epoch {epoch + 1}, loss {l:f}")

w = net[0].weight.detach()
print("error in estimating w:", true_w - d2l.reshape(w, true_w.shape))
b = net[0].bias.detach()
print("error in estimating b:", true_b - b)

print(json.dumps({"loss": float(l.detach()), "w": d2l.numpy(w).ravel().tolist(), "b": float(b)}))
