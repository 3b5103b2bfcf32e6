"""d2l section 3.5: the Fashion-MNIST data set, read with torchvision and with d2l's loader.

Expects the data where torchvision looks for root="../data"; with coursekit.d2l,
``d2l.prepare_torchvision_root("../data")`` puts it there.
"""

import json
import os

import torchvision
from torch.utils import data
from torchvision import transforms
from d2l import torch as d2l

d2l.use_svg_display()

trans = transforms.ToTensor()
mnist_train = torchvision.datasets.FashionMNIST(root="../data", train=True, transform=trans, download=True)
mnist_test = torchvision.datasets.FashionMNIST(root="../data", train=False, transform=trans, download=True)
print(len(mnist_train), len(mnist_test))
print(mnist_train[0][0].shape)

X, y = next(iter(data.DataLoader(mnist_train, batch_size=18)))
d2l.show_images(X.reshape(18, 28, 28), 2, 9, titles=d2l.get_fashion_mnist_labels(y))

# Reading the training set once, as the section times it (NUM_EPOCHS=0 skips it).
batch_size = 256
num_epochs = int(os.environ.get("NUM_EPOCHS", 1))
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
timer = d2l.Timer()
examples = 0
for epoch in range(num_epochs):
    for X, y in train_iter:
        examples += len(y)
print(f"{timer.stop():.2f} sec")

train_iter, test_iter = d2l.load_data_fashion_mnist(32, resize=64)
for X, y in train_iter:
    print(X.shape, X.dtype, y.shape, y.dtype)
    break
X_test, y_test = next(iter(test_iter))

print(json.dumps({
    "lengths": [len(mnist_train), len(mnist_test)],
    "examples_read": examples,
    "batch": [list(X.shape), str(X.dtype), list(y.shape), str(y.dtype)],
    "batches": [len(train_iter), len(test_iter)],
    "test_labels": d2l.get_fashion_mnist_labels(y_test[:8]),
    "test_pixel_mean": float(X_test.mean()),
    "test_pixel_max": float(X_test.max()),
}))
