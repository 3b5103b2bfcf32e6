"""d2l section 4.4: model selection, underfitting and overfitting with polynomial regression.

The model is a regression: train_epoch_ch3's accuracy is about 0 and unused,
as in the book.
"""

import json
import math
import os

import numpy as np
import torch
from torch import nn
from d2l import torch as d2l

max_degree = 20
n_train, n_test = 100, 100
true_w = np.zeros(max_degree)
true_w[0:4] = np.array([5, 1.2, -3.4, 5.6])

features = np.random.normal(size=(n_train + n_test, 1))
np.random.shuffle(features)
poly_features = np.power(features, np.arange(max_degree).reshape(1, -1))
for i in range(max_degree):
    poly_features[:, i] /= math.gamma(i + 1)
labels = np.dot(poly_features, true_w)
labels += np.random.normal(scale=0.1, size=labels.shape)

true_w, features, poly_features, labels = [
    torch.tensor(x, dtype=d2l.float32) for x in [true_w, features, poly_features, labels]
]
print(features[:2], poly_features[:2, :], labels[:2])

# Epochs of the book's three runs, scaled by EPOCH_SCALE (1 = the book's).
scale = float(os.environ.get("EPOCH_SCALE", 1))


def train(train_features, test_features, train_labels, test_labels, num_epochs=400):
    loss = nn.MSELoss(reduction="none")
    input_shape = train_features.shape[-1]
    net = nn.Sequential(nn.Linear(input_shape, 1, bias=False))
    batch_size = min(10, train_labels.shape[0])
    train_iter = d2l.load_array((train_features, d2l.reshape(train_labels, (-1, 1))), batch_size)
    test_iter = d2l.load_array((test_features, d2l.reshape(test_labels, (-1, 1))), batch_size, is_train=False)
    trainer = torch.optim.SGD(net.parameters(), lr=0.01)
    animator = d2l.Animator(xlabel="epoch", ylabel="loss", yscale="log", xlim=[1, num_epochs],
                            ylim=[1e-3, 1e2], legend=["train", "test"])
    for epoch in range(num_epochs):
        train_metrics = d2l.train_epoch_ch3(net, train_iter, loss, trainer)
        if epoch == 0 or (epoch + 1) % 20 == 0:
            animator.add(epoch + 1, (d2l.evaluate_loss(net, train_iter, loss), d2l.evaluate_loss(net, test_iter, loss)))
    print("weight:", net[0].weight.data.numpy())
    return {
        "train_loss": d2l.evaluate_loss(net, train_iter, loss),
        "test_loss": d2l.evaluate_loss(net, test_iter, loss),
        "epoch_metrics": list(train_metrics),
        "weight": net[0].weight.detach().numpy().ravel()[:4].tolist(),
    }


# Third-order polynomial (normal), linear (underfitting), all 20 terms (overfitting)
normal = train(poly_features[:n_train, :4], poly_features[n_train:, :4], labels[:n_train], labels[n_train:],
               num_epochs=int(400 * scale))
underfit = train(poly_features[:n_train, :2], poly_features[n_train:, :2], labels[:n_train], labels[n_train:],
                 num_epochs=int(400 * scale))
overfit = train(poly_features[:n_train, :], poly_features[n_train:, :], labels[:n_train], labels[n_train:],
                num_epochs=int(1500 * scale))

print(json.dumps({"normal": normal, "underfit": underfit, "overfit": overfit}))
