"""How much margin each trained-model threshold of the chapters has, over several seeds.

    python -m bench.seed_margins [--seeds 0 1 2 3 4] [--chapters 03 05] [--native]

A check such as "test accuracy >= 0.82 after 10 epochs" must hold on every
student's machine, whose kernels round differently and so follow another
trajectory. Another random seed is a much larger perturbation of the same kind,
so a threshold that holds over several seeds holds over machines with room to
spare.

Each chapter is executed once per seed, with its ``coursekit.set_seed(0)``
replaced by ``set_seed(seed)``, under PyTorch's generic kernels and one thread
(``ATEN_CPU_CAPABILITY=default``, the slowest and least common configuration;
``--native`` uses this machine's). Checks that pin the exact numbers the prose
quotes for seed 0 fail for the other seeds, as they should; the run goes on
and, after each check cell listed in THRESHOLDS, records the quantities it
bounds. The table gives, for every threshold, the worst value over the seeds
and the margin left. Written to bench/results/seed_margins.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import nbformat

from bench.common import machine
from tools.run_notebook import execute

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "bench" / "results" / "seed_margins.json"

# chapter -> [(the start of a check cell's first line, [(quantity, expression, ">=" or "<=", threshold)])]
# The expressions are evaluated in the kernel right after that check cell. Listed: the bounds that
# depend on training randomness or floating-point rounding, with the threshold and the direction of
# the cell's own assert (a < b becomes "<=" b: the margin must be positive); a quantity bounded on
# both sides has an "(at least)" and an "(at most)" entry. Not listed: identities of mathematics,
# exact equalities, and the numbers the prose quotes for seed 0 ("the numbers of the text").
# tests/test_seed_margins.py checks that every marker and expression still fits its chapter.
THRESHOLDS: dict[str, list[tuple[str, list[tuple[str, str, str, float]]]]] = {
    "01_autograd": [
        (
            "# Sanity check (hidden in the book): the step's gradient is 0",
            [
                ("sigmoid perceptron on AND: error E after 1000 steps", "E_sig", "<=", 0.01),
                ("sigmoid perceptron on AND: largest output for a 0 target", "out_sig[:3].max().item()", "<=", 0.1),
                ("sigmoid perceptron on AND: output for the 1 target", "out_sig[3].item()", ">=", 0.9),
            ],
        ),
        (
            "# Sanity check (hidden in the book): g = 0.5 vanishes, g = 1.5 explodes",
            [
                ("30 random layers, g = 0.5: gradient length, depth 30 / depth 1", "shrink", "<=", 1e-6),
                ("30 random layers, g = 1.5: gradient length, depth 30 / depth 1", "grow", ">=", 1e3),
                ("30 random layers, g = 1: gradient length, depth 30 / depth 1 (at least)", "keep", ">=", 0.1),
                ("30 random layers, g = 1: gradient length, depth 30 / depth 1 (at most)", "keep", "<=", 10),
            ],
        ),
        (
            "# Sanity check (hidden in the book): clipping rescales the whole gradient",
            [
                ("30 random layers, g = 1.5: gradient length before clipping", "norm_before.item()", ">=", 1e3),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the hand-trained network solves XOR",
            [
                ("XOR: error E after 2000 steps", "E_xor.item()", "<=", 0.01),
                ("XOR: largest |output - target|", "(O2 - T_xor).abs().max().item()", "<=", 0.1),
            ],
        ),
        (
            "# Sanity check (hidden in the book): float64 agrees to < 1e-7",
            [
                ("gradient check, float64: smallest relative error over h", "min(err64)", "<=", 1e-7),
                ("gradient check, float64: relative error at h = 1e-5", "err64[3]", "<=", 1e-7),
                ("gradient check, float64: relative error at h = 1e-2 (at least)", "err64[0]", ">=", 1e-5),
                ("gradient check, float64: relative error at h = 1e-2 (at most)", "err64[0]", "<=", 0.1),
                ("gradient check, float64: error at h = 1e-2 / at h = 1e-3 (at least)", "err64[0] / err64[1]", ">=", 30),
                ("gradient check, float64: error at h = 1e-3 / at h = 1e-4 (at least)", "err64[1] / err64[2]", ">=", 30),
                ("gradient check, float64: error at h = 1e-3 / at h = 1e-4 (at most)", "err64[1] / err64[2]", "<=", 300),
                ("gradient check, float64: error at h = 1e-6 / at h = 1e-5", "err64[4] / err64[3]", ">=", 1),
                ("gradient check, float64: error at h = 1e-2 / at h = 1e-3 (at most)", "err64[0] / err64[1]", "<=", 300),
                ("gradient check, float32: smallest relative error over h", "min(err32)", ">=", 1e-4),
                ("gradient check: smallest error, float32 / float64", "min(err32) / min(err64)", ">=", 1000),
                ("gradient check, float32: relative error at h = 1e-5", "err32[3]", ">=", 0.5),
                ("gradient check, float32: relative error at h = 1e-6", "err32[4]", ">=", 0.5),
                ("gradient check: error E of the random network (at least)", "loss_c().item()", ">=", 0.5),
                ("gradient check: error E of the random network (at most)", "loss_c().item()", "<=", 10),
            ],
        ),
        (
            "# Sanity check (hidden in the book): gradcheck passes our backward",
            [
                ("gradcheck: relative error of the slipped W1 gradient", "relative_error(grad_W1_slipped, grad_W1)", ">=", 0.5),
            ],
        ),
        (
            "# Sanity check (hidden in the book): every Adam run ends within 1e-3",
            [
                ("Himmelblau, Adam from 4 starts: largest distance to a minimum", "distance.max().item()", "<=", 1e-3),
                ("Himmelblau, Adam from 4 starts: largest f at the end", "f_end.max().item()", "<=", 1e-7),
                ("Himmelblau, Adam from (0, 0): steps to come within 1e-3", "steps_needed[0].item()", ">=", 5000),
                ("Himmelblau, Adam from 4 starts: most steps to come within 1e-3", "steps_needed.max().item()", "<=", 6000),
                ("Himmelblau, Adam: largest move of a coordinate in one step", "(paths[1:] - paths[:-1]).abs().max().item()", "<=", 1.5e-3),
            ],
        ),
        (
            "# Sanity check (hidden in the book): every grid run ends near a minimum",
            [
                ("Himmelblau, Adam from a 21 x 21 grid: largest distance to a minimum", "grid_distance.max().item()", "<=", 0.3),
                (
                    "Himmelblau, Adam from a 21 x 21 grid: fraction within 1e-3 of a minimum",
                    "(grid_distance < 1e-3).float().mean().item()",
                    ">=",
                    0.5,
                ),
            ],
        ),
    ],
    "02_logistic_regression": [
        (
            "# Sanity check (hidden in the book): the hours model:",
            [
                ("hours model: P(pass | 4 h) (at least)", "p_four", ">=", 0.5),
                ("hours model: P(pass | 4 h) (at most)", "p_four", "<=", 1),
                ("hours model: decision boundary in hours (at least)", "boundary_hours", ">=", 2),
                ("hours model: decision boundary in hours (at most)", "boundary_hours", "<=", 3),
                ("hours model: largest P(pass) of the two failed students", "p_students[:2].max().item()", "<=", 0.5),
                ("hours model: P(pass) of the passed student", "p_students[2].item()", ">=", 0.5),
                ("hours model: loss drop from 1000 more steps", "loss.item() - loss_more.item()", ">=", 0),
                ("hours model: weight growth from 1000 more steps", "hours_net.weight.item() - w_hours", ">=", 0),
            ],
        ),
        (
            "# Sanity check (hidden in the book): separable data: w keeps growing",
            [
                ("separable students: w gain, steps 1000 to 2000", "w_separable[2000] - w_separable[1000]", ">=", 0.8),
                ("separable students: w gain, steps 2000 to 4000", "w_separable[4000] - w_separable[2000]", ">=", 0.8),
                ("overlapping students: w gain, steps 2000 to 4000 (at least)", "w_overlap[4000] - w_overlap[2000]", ">=", 0),
                ("overlapping students: w gain, steps 2000 to 4000 (at most)", "w_overlap[4000] - w_overlap[2000]", "<=", 0.1),
                ("overlapping students: |loss change|, steps 2000 to 4000", "abs(loss_overlap[4000] - loss_overlap[2000])", "<=", 1e-3),
                ("separable / overlapping students: w after 4000 steps", "w_separable[4000] / w_overlap[4000]", ">=", 2),
            ],
        ),
        (
            "# Sanity check (hidden in the book): from-scratch training",
            [
                ("from scratch: training accuracy (at least)", "final_acc", ">=", 0.85),
                ("from scratch: training accuracy (at most)", "final_acc", "<=", 1.0),
                ("from scratch: training accuracy at the random start", "init_acc", "<=", 0.8),
                (
                    "from scratch: largest rise of the loss logged every 200 steps",
                    "max(b - a for a, b in zip(losses_logged, losses_logged[1:]))",
                    "<=",
                    0,
                ),
            ],
        ),
        (
            "# Sanity check (hidden in the book): logits >= 0 agrees",
            [
                ("logits model, step 300: accuracy", "threshold_table[300][0]", ">=", 0.85),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the step is chosen on the validation loss",
            [
                ("breast cancer: validation accuracy (PyTorch)", "val_acc", ">=", 0.94),
                ("breast cancer: validation accuracy (scikit-learn)", "sklearn_val_acc", ">=", 0.94),
                (
                    "breast cancer: largest rise of the train loss, every 10 steps",
                    "max(b - a for a, b in zip(train_curve, train_curve[1:]))",
                    "<=",
                    0,
                ),
                ("breast cancer: train loss, step 100 / step 10", "train_curve[9] / train_curve[0]", "<=", 0.5),
                ("breast cancer: validation loss, step 100 / step 10", "record['validation loss'][9] / record['validation loss'][0]", "<=", 0.5),
                ("breast cancer: validation loss risen after its minimum", "record['validation loss'][-1] - best['validation loss']", ">=", 0),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the threshold chosen on the validation set",
            [
                ("breast cancer: validation cost saved by the chosen threshold", "(val_costs[i_half] - val_costs[i_chosen]).item()", ">=", 0),
                ("breast cancer: missed cancers added by the chosen threshold", "(val_errors[i_chosen, 0] - val_errors[i_half, 0]).item()", "<=", 0),
                ("breast cancer: logit of the chosen threshold", "t_chosen", "<=", 0),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the test set, once",
            [
                ("breast cancer: test accuracy (PyTorch)", "test_acc", ">=", 0.94),
                (
                    "breast cancer: test cost saved by the chosen threshold",
                    "(cost_ratio * test_fn_half + test_fp_half) - (cost_ratio * test_fn + test_fp)",
                    ">=",
                    0,
                ),
            ],
        ),
        (
            "# Sanity check (hidden in the book): no clamp: fine at lr 0.5",
            [
                ("from scratch: largest |logit| after training", "(X @ w_scratch + b_scratch).abs().max().item()", "<=", 15),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the x1^2 model",
            [
                ("x1^2 model: |weight of x1^2|", "net_sq.weight[0, 2].abs().item()", ">=", 0.5),
                ("x1^2 feature: largest value (at least)", "X_sq[:, 2].max().item()", ">=", 22),
                ("x1^2 feature: largest value (at most)", "X_sq[:, 2].max().item()", "<=", 40),
            ],
        ),
        (
            "# Sanity check (hidden in the book): without a penalty every training tumour",
            [
                ("breast cancer, no penalty / C = 1: weight length", "weight_norms['C = inf'] / weight_norms['C = 1 (default)']", ">=", 20),
            ],
        ),
    ],
    "03_softmax_regression": [
        (
            "# Sanity check (hidden in the book): parameter shapes and their initial distribution",
            [
                ("from scratch, initial W: |standard deviation - 0.01|", "abs(W.std().item() - 0.01)", "<=", 5e-4),
                ("from scratch, initial W: |mean|", "abs(W.mean().item())", "<=", 5e-4),
            ],
        ),
        (
            "# Sanity check (hidden in the book): net's output shape, row sums and near-uniform start",
            [
                ("from scratch, before training: largest |probability - 0.1|", "(y_hat - 0.1).abs().max().item()", "<=", 0.05),
            ],
        ),
        (
            "# Sanity check (hidden in the book): accuracy before training is about 0.1",
            [
                ("from scratch, before training: |validation accuracy - 0.1|", "abs(acc0 - 0.1)", "<=", 0.07),
            ],
        ),
        (
            "# Sanity check (hidden in the book): our epoch equals",
            [
                ("one epoch: train loss", "train_loss", "<=", 1.0),
                ("one epoch: validation accuracy", "evaluate_accuracy(net, val_iter)", ">=", 0.7),
            ],
        ),
        (
            "# Sanity check (hidden in the book): from scratch:",
            [
                ("from scratch, 10 epochs: train loss", "history_scratch.train_loss[-1]", "<=", 0.5),
                ("from scratch, 10 epochs: validation accuracy", "history_scratch.val_acc[-1]", ">=", 0.80),
                (
                    "from scratch, 10 epochs: train - validation accuracy (at least)",
                    "history_scratch.train_acc[-1] - history_scratch.val_acc[-1]",
                    ">=",
                    0,
                ),
                (
                    "from scratch, 10 epochs: train - validation accuracy (at most)",
                    "history_scratch.train_acc[-1] - history_scratch.val_acc[-1]",
                    "<=",
                    0.05,
                ),
            ],
        ),
        (
            "# Sanity check (hidden in the book): each template correlates best",
            [
                ("templates: smallest lead of the own class mean's correlation", "template_corr_margin", ">=", 0.02),
                ("templates: trouser template between the legs", "trouser_gap", "<=", -0.1),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the concise model's layer shapes",
            [
                ("concise, initial weight: |standard deviation - 0.01|", "abs(net[1].weight.std().item() - 0.01)", "<=", 5e-4),
            ],
        ),
        (
            "# Sanity check (hidden in the book): concise:",
            [
                ("concise, 10 epochs: train loss", "history_concise.train_loss[-1]", "<=", 0.5),
                ("concise, 10 epochs: validation accuracy", "history_concise.val_acc[-1]", ">=", 0.80),
                (
                    "concise vs from scratch, 10 epochs: |train loss difference|",
                    "abs(history_concise.train_loss[-1] - history_scratch.train_loss[-1])",
                    "<=",
                    0.01,
                ),
                (
                    "concise vs from scratch, 10 epochs: |validation accuracy difference|",
                    "abs(history_concise.val_acc[-1] - history_scratch.val_acc[-1])",
                    "<=",
                    0.035,
                ),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the squared error's gradient is a fifth",
            [
                ("small start, one epoch: smallest lead of CE over squared error, first half", "min(small_lead[:4])", ">=", 0.005),
                ("small start, one epoch: largest lead of CE over squared error, first half", "max(small_lead[:4])", ">=", 0.03),
                ("small start, one epoch: |lead of CE over squared error| at the end", "abs(small_lead[-1])", "<=", 0.04),
                ("small start, one epoch: mean lead of CE over squared error", "sum(small_lead) / len(small_lead)", ">=", 0.02),
                ("large start, one epoch: validation accuracy (CE)", "large_ce", ">=", 0.5),
                ("large start, one epoch: validation accuracy (squared error) (at least)", "large_sq", ">=", 0.1),
                ("large start, one epoch: validation accuracy (squared error) (at most)", "large_sq", "<=", 0.33),
                ("large start, one epoch: lead of CE over squared error", "large_ce - large_sq", ">=", 0.2),
                ("large start: fraction of images with a true-class probability < 1%", "(_p_true < 0.01).float().mean().item()", ">=", 0.5),
                (
                    "large start: fraction of images with a largest probability > 99%",
                    "(_p.max(dim=1).values > 0.99).float().mean().item()",
                    ">=",
                    0.5,
                ),
            ],
        ),
        (
            "# Sanity check (hidden in the book): η 0.01 is slower",
            [
                ("lr 0.01 vs 0.1, 10 epochs: validation accuracy behind by", "h_mid.val_acc[-1] - h_small.val_acc[-1]", ">=", 0.01),
                (
                    "lr 0.01 after 10 epochs vs lr 0.1 after 2 or 3: closest |validation accuracy difference|",
                    "min(abs(h_small.val_acc[-1] - h_mid.val_acc[k]) for k in (1, 2))",
                    "<=",
                    0.03,
                ),
                (
                    "lr 0.01: largest rise of the train loss between epochs",
                    "max(b - a for a, b in zip(h_small.train_loss, h_small.train_loss[1:]))",
                    "<=",
                    0,
                ),
                ("lr 1.0 vs 0.1: train loss ratio", "h_big.train_loss[-1] / h_mid.train_loss[-1]", ">=", 2),
                (
                    "lr 1.0 vs 0.1: ratio of the mean epoch-to-epoch validation accuracy changes",
                    "mean_change(h_big.val_acc) / mean_change(h_mid.val_acc)",
                    ">=",
                    2,
                ),
                ("lr 1.0: mean epoch-to-epoch validation accuracy change", "mean_change(h_big.val_acc)", ">=", 0.02),
                (
                    "lr 0.1 vs the best other: validation accuracy of the last 3 epochs ahead by",
                    "last3[0.1] - max(last3[0.01], last3[1.0])",
                    ">=",
                    0.01,
                ),
                (
                    "lr 0.1: train loss below the other learning rates' by",
                    "min(h_small.train_loss[-1], h_big.train_loss[-1]) - h_mid.train_loss[-1]",
                    ">=",
                    0,
                ),
                ("lr 0.1: best minus last validation accuracy", "max(h_mid.val_acc) - h_mid.val_acc[-1]", "<=", 0.02),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the final model's test accuracy",
            [
                ("softmax regression: test accuracy", "final.accuracy", ">=", 0.80),
                ("softmax regression: |test - validation accuracy|", "abs(final.accuracy - history_concise.val_acc[-1])", "<=", 0.02),
            ],
        ),
        (
            "# Sanity check (hidden in the book): per-class accuracies and confusions",
            [
                (
                    "confusion: lowest accuracy of trouser, bag and ankle boot",
                    "min(per_class[idx[n]].item() for n in ('trouser', 'bag', 'ankle boot'))",
                    ">=",
                    0.9,
                ),
                ("confusion: shoes called clothes", "int(confusion[shoes][:, clothes].sum())", "<=", 20),
                ("confusion: shoes called other shoes", "int(off_diagonal[shoes][:, shoes].sum())", ">=", 100),
                (
                    "confusion: fewer of pullover -> coat and coat -> pullover",
                    "min(int(off_diagonal[idx['pullover'], idx['coat']]), int(off_diagonal[idx['coat'], idx['pullover']]))",
                    ">=",
                    30,
                ),
                (
                    "confusion: mistakes involving shirt minus the next class's",
                    "(involved[shirt] - involved.sort(descending=True).values[1]).item()",
                    ">=",
                    100,
                ),
                (
                    "confusion: fewer of pullover -> coat and coat -> shirt",
                    "min(int(off_diagonal[idx['pullover'], idx['coat']]), int(off_diagonal[idx['coat'], shirt]))",
                    ">=",
                    50,
                ),
                (
                    "confusion: fewest t-shirts, coats or pullovers called shirts",
                    "min(int(off_diagonal[idx[n], shirt]) for n in ('t-shirt', 'coat', 'pullover'))",
                    ">=",
                    30,
                ),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the worst mistakes are wrong and confident",
            [
                ("softmax regression: test mistakes with a probability above 90%", "(confidence > 0.9).sum().item()", ">=", 12),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the hinge loss trains about as well",
            [
                (
                    "hinge vs CE, 3 epochs: |validation accuracy difference|",
                    "abs(hinge_history.val_acc[-1] - history_concise.val_acc[2])",
                    "<=",
                    0.04,
                ),
                ("hinge, 3 epochs: validation accuracy", "hinge_history.val_acc[-1]", ">=", 0.75),
                ("hinge, 3 epochs: fraction of validation images meeting every margin (at least)", "hinge_zero", ">=", 0.35),
                ("hinge, 3 epochs: fraction of validation images meeting every margin (at most)", "hinge_zero", "<=", 0.6),
            ],
        ),
        (
            "# Sanity check (hidden in the book): more epochs help a little",
            [
                ("20 more epochs: train loss drop, epochs 21 to 30", "more.train_loss[9] - more.train_loss[-1]", ">=", 0),
                ("20 more epochs: train loss drop, epochs 11 to 20", "history_concise.train_loss[-1] - more.train_loss[9]", ">=", 0),
                (
                    "20 more epochs: train loss drop, epochs 11 to 20 minus epochs 21 to 30",
                    "(history_concise.train_loss[-1] - more.train_loss[9]) - (more.train_loss[9] - more.train_loss[-1])",
                    ">=",
                    0,
                ),
                ("20 more epochs: best validation accuracy gained (at least)", "max(more.val_acc) - history_concise.val_acc[-1]", ">=", 0.003),
                ("20 more epochs: best validation accuracy gained (at most)", "max(more.val_acc) - history_concise.val_acc[-1]", "<=", 0.03),
                ("30 epochs: train - validation accuracy (at least)", "more.train_acc[-1] - more.val_acc[-1]", ">=", 0),
                ("30 epochs: train - validation accuracy (at most)", "more.train_acc[-1] - more.val_acc[-1]", "<=", 0.03),
            ],
        ),
    ],
    "04_loss_functions": [
        (
            "# Sanity check (hidden in the book): the L2 fit is least squares",
            [
                ("outliers: |L2 slope - 1.1|", "abs(fits['L2'][0].item() - 1.1)", "<=", 0.1),
                ("outliers: |L1 slope - 2|", "abs(fits['L1'][0].item() - 2)", "<=", 0.25),
                ("outliers: |Huber slope - 2|", "abs(fits['Huber'][0].item() - 2)", "<=", 0.25),
                ("outliers: L1 slope - Huber slope", "(fits['L1'][0] - fits['Huber'][0]).item()", ">=", 0),
                ("outliers: Huber slope - L2 slope", "(fits['Huber'][0] - fits['L2'][0]).item()", ">=", 0),
            ],
        ),
        (
            "# Sanity check (hidden in the book): SCE ends above CE on clean validation labels",
            [
                ("noisy labels, 50 epochs: SCE - CE clean validation accuracy", "sce_val - ce_val", ">=", 0.01),
                ("noisy labels, 50 epochs: CE - SCE accuracy on the noisy training labels", "ce_hist[-1][0] - sce_hist[-1][0]", ">=", 0.02),
                ("noisy labels, 50 epochs: CE - SCE fraction of wrong labels reproduced", "memorized_ce - memorized_sce", ">=", 0.08),
                ("noisy labels, CE: validation accuracy fallen from its best epoch", "ce_best - ce_val", ">=", 0.01),
                ("noisy labels, CE: accuracy on the noisy training labels", "ce_hist[-1][0]", ">=", 0.62),
            ],
        ),
        (
            "# Sanity check (hidden in the book): on the 10,000 test images too SCE is ahead",
            [
                ("noisy labels: SCE - CE test accuracy", "noisy_test['SCE'] - noisy_test['CE']", ">=", 0.02),
                ("noisy labels: |SCE - CE on test - on validation|", "abs((noisy_test['SCE'] - noisy_test['CE']) - (sce_val - ce_val))", "<=", 0.03),
            ],
        ),
        (
            "# Sanity check (hidden in the book): 7000 points split 4900 / 2100",
            [
                ("ring data: |positive share of the training part - 1/7|", "abs(y_train.mean().item() - 1 / 7)", "<=", 0.02),
                ("ring data: |positive share of the validation part - 1/7|", "abs(y_val.mean().item() - 1 / 7)", "<=", 0.02),
                ("ring data: |negative share of the validation part - 0.86|", "abs((1 - y_val.mean()).item() - 0.86)", "<=", 0.02),
            ],
        ),
        (
            "# Sanity check (hidden in the book): validation AUC >= 0.95",
            [
                ("ring MLP: validation AUC", "auc", ">=", 0.95),
                ("ring MLP: validation accuracy", "val_acc", ">=", 0.9),
                ("ring MLP: validation accuracy above always 'negative'", "val_acc - (1 - y_val.mean()).item()", ">=", 0.03),
                ("ring MLP: final train focal loss", "loss_curve[-1]", "<=", 0.05),
                ("ring MLP: train focal loss drop, epoch 1 to 20", "loss_curve[0] - loss_curve[-1]", ">=", 0),
                ("ring MLP: drop of 1 - validation AUC, epoch 1 to 20", "auc_gap_curve[0] - auc_gap_curve[-1]", ">=", 0),
                ("ring MLP: penalty, epoch 20 / epoch 1 (at least)", "penalty_curve[-1] / penalty_curve[0]", ">=", 1),
                ("ring MLP: penalty, epoch 20 / epoch 1 (at most)", "penalty_curve[-1] / penalty_curve[0]", "<=", 2),
                ("ring MLP: final train focal loss / penalty (at least)", "loss_curve[-1] / penalty_curve[-1]", ">=", 5),
                ("ring MLP: final train focal loss / penalty (at most)", "loss_curve[-1] / penalty_curve[-1]", "<=", 20),
                ("ring MLP: validation recall", "((pred_val * y_val).sum() / y_val.sum()).item()", ">=", 0.8),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the penalty changes neither AUC nor boundary",
            [
                ("ring baselines: |AUC with - without the penalty|", "abs(main_r['AUC'] - no_pen_r['AUC'])", "<=", 0.02),
                ("ring baselines: |positives with - without the penalty|", "abs(main_r['positives'] - no_pen_r['positives'])", "<=", 20),
                ("ring baselines: |w|_1 with / without the penalty", "main_r['|w|_1'] / no_pen_r['|w|_1']", "<=", 0.95),
                ("ring baselines: AUC spread of the four models", "max(aucs) - min(aucs)", "<=", 0.02),
                ("ring baselines: lowest AUC of the four models", "min(aucs)", ">=", 0.95),
                (
                    "ring, no penalty: training AUC - validation AUC",
                    "roc_auc_score(y_train.numpy(), train_scores_no_pen.numpy()) - no_pen_r['AUC']",
                    "<=",
                    0.02,
                ),
                ("ring baselines: positives, focal alpha 0.75 minus alpha 0.5", "no_pen_r['positives'] - half_r['positives']", ">=", 40),
                ("ring baselines: BCE's positives fewer than the true positives by", "y_val.sum().item() - bce_r['positives']", ">=", 20),
                ("ring baselines: alpha 0.5's positives fewer than the true positives by", "y_val.sum().item() - half_r['positives']", ">=", 0),
                ("ring baselines: recall, focal alpha 0.75 minus BCE", "main_r['recall'] - bce_r['recall']", ">=", 0.05),
                ("ring baselines: accuracy spread of the four models", "max(accuracies) - min(accuracies)", "<=", 0.03),
                (
                    "ring baselines: false positives, focal alpha 0.75 minus BCE",
                    "false_positives['focal α 0.75, λ 1e-4'] - false_positives['BCE, λ 0']",
                    ">=",
                    20,
                ),
            ],
        ),
        (
            "# Sanity check (hidden in the book): without weight decay the training loss is ~0",
            [
                ("weight decay 0: final training loss", "hist_wd0[-1][0]", "<=", 1e-3),
                ("weight decay 0: final validation loss (at least)", "hist_wd0[-1][1]", ">=", 50),
                ("weight decay 0: final validation loss (at most)", "hist_wd0[-1][1]", "<=", 150),
                ("weight decay 0 / 3: train-validation gap", "gap_0 / gap_3", ">=", 200),
                ("weight decay 3: final validation loss", "hist_wd3[-1][1]", "<=", 0.5),
                ("weight decay 3: ||w||", "net_wd3.weight.norm().item()", "<=", 1),
                ("weight decay 0: ||w||", "net_wd0.weight.norm().item()", ">=", 10),
            ],
        ),
        (
            "# Sanity check (hidden in the book): Adam's weight_decay is the L2 penalty",
            [
                ("Adam weight_decay vs L2 penalty: largest weight difference", "gap_l2", "<=", 1e-6),
                ("Adam weight_decay vs AdamW: largest weight difference", "gap_adamw", ">=", 1e-4),
            ],
        ),
        (
            "# Sanity check (hidden in the book): small thresholds fit like L1",
            [
                ("outliers, Huber delta 0.1: |slope - L1 slope|", "abs(huber_slopes[0.1] - fits['L1'][0].item())", "<=", 0.1),
                ("outliers, Huber delta 10: |slope - L2 slope|", "abs(huber_slopes[10.0] - fits['L2'][0].item())", "<=", 0.01),
                ("outliers, Huber delta 0.5: |slope - 2|", "abs(huber_slopes[0.5] - 2)", "<=", 0.2),
                ("outliers, Huber delta 3: slope", "huber_slopes[3.0]", "<=", 1.9),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the table of exercise 3",
            [
                ("ring, focal gamma 0 vs 2: |validation AUC difference|", "abs(auc_g0 - auc)", "<=", 0.01),
                ("ring, focal gamma 5: validation AUC", "auc_g5", ">=", 0.85),
                ("ring, focal gamma 0 vs alpha 0.5: more positives by", "positives_g0 - ring_table['focal α 0.5, λ 0']['positives']", ">=", 30),
            ],
        ),
        (
            "# Sanity check (hidden in the book): more L1 means more exact zeros",
            [
                ("L1 strength 0.03: exact zeros (at least)", "zeros_count[1]", ">=", 3),
                ("L1 strength 0.03: exact zeros (at most)", "zeros_count[1]", "<=", 16),
                ("L1 strength 0.3: smallest |useful weight|", "sparse_fits[0.3][:3].abs().min().item()", ">=", 0),
                ("L1 strength 0.3: smallest shrinkage of a useful weight", "shrinkage.min().item()", ">=", 0.2),
                ("L1 strength 0.3: largest shrinkage of a useful weight", "shrinkage.max().item()", "<=", 0.45),
            ],
        ),
        (
            "# Sanity check (hidden in the book): a fresh 2-4-8-1 net",
            [
                ("fresh 2-4-8-1 net: L1 penalty (at least)", "l1_penalty(fresh).item()", ">=", 5),
                ("fresh 2-4-8-1 net: L1 penalty (at most)", "l1_penalty(fresh).item()", "<=", 20),
                ("ring MLP: BCE / focal loss (at least)", "bce_over_focal", ">=", 10),
                ("ring MLP: BCE / focal loss (at most)", "bce_over_focal", "<=", 40),
                ("ring, lambda 1e-3: validation AUC", "report_3['AUC']", ">=", 0.95),
                ("ring, lambda 1e-3: penalty / focal loss (at least)", "penalty_3 / loss_3", ">=", 0.3),
                ("ring, lambda 1e-3: penalty / focal loss (at most)", "penalty_3 / loss_3", "<=", 2),
                ("ring, lambda 1e-2: validation AUC", "report_2['AUC']", "<=", 0.65),
                ("ring, lambda 1e-2: |w|_1", "report_2['|w|_1']", "<=", 0.1),
            ],
        ),
    ],
    "05_mlp_mnist": [
        (
            "# Sanity check (hidden in the book): randn grows the scale",
            [
                ("randn init: smallest pre-activation std / predicted", "min(m / p for m, p in zip(stds_randn, (28, 280, 2800)))", ">=", 0.5),
                ("randn init: largest pre-activation std / predicted", "max(m / p for m, p in zip(stds_randn, (28, 280, 2800)))", "<=", 2),
                ("randn init: |layer-1 pre-activation std - 28|", "abs(stds_randn[0] - 28)", "<=", 2),
                ("randn init: logits std", "stds_randn[2]", ">=", 1000),
                ("randn init: smallest growth of the std per layer", "min(b / a for a, b in zip(stds_randn, stds_randn[1:]))", ">=", 5),
                ("randn init: largest growth of the std per layer", "max(b / a for a, b in zip(stds_randn, stds_randn[1:]))", "<=", 15),
                ("Kaiming init: largest |pre-activation std - sqrt 2|", "max(abs(s - math.sqrt(2)) for s in stds_kaiming)", "<=", 0.3),
                ("Kaiming init: |std of W1 - sqrt(2 / 784)| / sqrt(2 / 784)", "abs(w1_std - math.sqrt(2 / 784)) / math.sqrt(2 / 784)", "<=", 0.05),
            ],
        ),
        (
            "# Sanity check (hidden in the book): from equal weights the hidden units stay equal",
            [
                ("equal init, 100 SGD steps: spread of the layer-1 units", "spread_of_units(equal[0])", "<=", 1e-5),
                ("equal init, 100 SGD steps: spread of the layer-2 units", "spread_of_units(equal[2])", "<=", 1e-5),
                ("equal init, 100 SGD steps: largest move of a layer-1 weight", "(equal[0].detach() - 0.01).abs().max().item()", ">=", 1e-4),
                ("Kaiming init: spread of the layer-1 units", "spread_of_units(params_kaiming[0])", ">=", 0.1),
            ],
        ),
        (
            "# Sanity check (hidden in the book): randn starts in the thousands",
            [
                ("randn init: first training loss", "losses_randn[0].item()", ">=", 1000),
                ("Kaiming init: |first training loss - ln 10|", "abs(losses_kaiming[0].item() - math.log(10))", "<=", 1.5),
                ("Kaiming init: first training loss", "losses_kaiming[0].item()", "<=", 4),
                ("Kaiming, 2 epochs: validation accuracy", "acc_kaiming", ">=", 0.9),
                ("Kaiming, 2 epochs: validation loss", "val_loss_kaiming", "<=", 0.5),
                ("Kaiming, 2 epochs: final train loss", "losses_kaiming[-50:].mean().item()", "<=", 0.5),
                ("randn / Kaiming: final train loss ratio", "final_randn / final_kaiming", ">=", 5),
                ("randn / Kaiming, 2 epochs: validation loss ratio", "val_loss_randn / val_loss_kaiming", ">=", 5),
                ("Kaiming - randn, 2 epochs: validation accuracy", "acc_kaiming - acc_randn", ">=", 0),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the ReLU on the logits costs accuracy on average",
            [
                ("ReLU on logits, 5 starts: mean accuracy cost", "sum(costs) / len(costs)", ">=", 0.03),
                ("ReLU on logits, 5 starts: largest accuracy cost", "max(costs)", ">=", 0.1),
                ("ReLU on logits, 5 starts: smallest accuracy cost", "min(costs)", "<=", 0.02),
                ("ReLU on logits, 5 starts: smallest accuracy cost (never better)", "min(costs)", ">=", -0.005),
                ("ReLU on logits, 5 starts: most validation images with ten zero outputs", "max(zeros for _, _, zeros in relu_starts)", ">=", 0),
            ],
        ),
        (
            "# Sanity check (hidden in the book): same parameter count as the raw-tensor MLP",
            [
                ("nn.Linear's default init: |std of W1 * sqrt(3 * 784) - 1|", "abs(first.weight.std().item() * math.sqrt(3 * 784) - 1)", "<=", 0.05),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the epoch ran on the chosen device",
            [
                ("LeakyReLU MLP, 1 epoch SGD: validation accuracy", "acc_one_epoch", ">=", 0.75),
            ],
        ),
        (
            "# Sanity check (hidden in the book): 10 points",
            [
                ("SGD 0.1, before training: |validation loss - ln 10|", "abs(start.loss - math.log(10))", "<=", 0.2),
                ("SGD 0.1, before training: validation accuracy", "start.accuracy", "<=", 0.2),
                ("SGD 0.1, epoch 1: validation accuracy", "history.val_acc[4]", ">=", 0.9),
                ("SGD 0.1, 2 epochs: validation accuracy", "history.val_acc[-1]", ">=", 0.93),
                ("SGD 0.1, 2 epochs: validation loss", "history.val_loss[-1]", "<=", 0.25),
                ("SGD 0.1, step 50: train loss - validation loss", "history.train_loss[0] - history.val_loss[0]", ">=", 0),
            ],
        ),
        (
            "# Sanity check (hidden in the book): after the validation-loss minimum",
            [
                ("small subset: epoch index of the validation-loss minimum", "best", "<=", 20),
                ("small subset: validation loss risen after its minimum", "last_loss - best_loss", ">=", 0.05),
                ("small subset: validation accuracy gained after the loss minimum", "last_acc - best_acc", ">=", 0),
                ("small subset: mean loss of the misclassified, risen after the loss minimum", "last_wrong - best_wrong", ">=", 0.5),
                ("small subset, 30 epochs: train loss", "subset_train[-1][0]", "<=", 0.01),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the tutorial's loss is the true mean loss",
            [
                ("small subset: the tutorial's validation loss (at least)", "wrong", ">=", 0.001),
                ("small subset: the tutorial's validation loss (at most)", "wrong", "<=", 0.01),
                ("small subset: true mean validation loss", "right.loss", ">=", 0.01),
            ],
        ),
        (
            "# Sanity check (hidden in the book): no_grad keeps nothing",
            [
                ("dropout in training mode: images whose predicted class changed", "changed_train", ">=", 0),
            ],
        ),
        (
            "# Sanity check (hidden in the book): shuffling changes neither accuracy",
            [
                ("shuffled vs in-order validation: |loss difference|", "abs(shuffled.loss - in_order.loss)", "<=", 1e-5),
                ("small subset: validation accuracy", "in_order.accuracy", ">=", 0.8),
                (
                    "shuffled predictions against the stored labels: |accuracy - 0.1|",
                    "abs((shuffled_preds == val_iter.labels).float().mean().item() - 0.1)",
                    "<=",
                    0.02,
                ),
            ],
        ),
        (
            "# Sanity check (hidden in the book): about 95% validation accuracy",
            [
                ("Adam + cosine, 1 epoch: validation accuracy", "history.val_acc[0]", ">=", 0.94),
                ("Adam + cosine, 1 epoch: validation accuracy (about 95%)", "history.val_acc[0]", "<=", 0.97),
                (
                    "Adam + cosine, last 3 epochs: spread of the validation accuracy",
                    "max(history.val_acc[-3:]) - min(history.val_acc[-3:])",
                    "<=",
                    0.005,
                ),
                ("Adam + cosine, 10 epochs: validation accuracy", "history.val_acc[-1]", ">=", 0.975),
                ("Adam + cosine, 10 epochs: train / validation loss", "history.train_loss[-1] / history.val_loss[-1]", "<=", 0.5),
                ("Adam + cosine: train loss, epoch 10 / epoch 2", "history.train_loss[-1] / history.train_loss[1]", "<=", 1 / 3),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the final model, trained on 60,000",
            [
                ("Adam + cosine on 60,000, 10 epochs: test accuracy", "final_acc", ">=", 0.98),
                ("|test accuracy - validation accuracy|", "abs(final_acc - history.val_acc[-1])", "<=", 0.01),
            ],
        ),
        (
            "# Sanity check (hidden in the book): the misclassified count matches",
            [
                ("final model: misclassified test digits", "len(wrong)", "<=", 200),
            ],
        ),
        (
            "# Sanity check (hidden in the book): 50 -> 200 units gains at every depth",
            [
                ("width/depth, 2 epochs on 10,000: smallest gain from 50 to 200 units", "min(gain_50_200)", ">=", 0.003),
                ("width/depth, 2 epochs on 10,000: mean gain from 50 to 200 units", "sum(gain_50_200) / 3", ">=", 0.01),
                (
                    "width/depth, 2 epochs on 10,000: mean gain 200 to 400 minus 50 to 200 units",
                    "sum(gain_200_400) / 3 - sum(gain_50_200) / 3",
                    "<=",
                    0,
                ),
                (
                    "width/depth, 2 epochs on 10,000: largest gain of extra depth over one layer",
                    "max(max(acc[d, w] for d in depths) - acc[1, w] for w in widths)",
                    "<=",
                    0.015,
                ),
                ("width/depth, 2 epochs on 10,000: lowest validation accuracy", "min(acc.values())", ">=", 0.85),
                ("width/depth, 2 epochs on 10,000: highest validation accuracy", "max(acc.values())", "<=", 0.97),
            ],
        ),
        (
            "# Sanity check (hidden in the book): sigmoid + SGD 0.01",
            [
                ("sigmoid MLP, Adam, 1 epoch: validation accuracy", "sigmoid_results['Adam, lr 0.002'][1]", ">=", 0.9),
                ("sigmoid MLP, SGD 0.01: |validation loss - ln 10|", "abs(sigmoid_results['SGD, lr 0.01'][0] - math.log(10))", "<=", 0.25),
                ("sigmoid MLP, SGD 0.01: validation accuracy", "sgd_acc", "<=", 0.5),
                ("LeakyReLU vs sigmoid MLP, SGD 0.01: validation accuracy ahead by", "acc_one_epoch - sgd_acc", ">=", 0.3),
            ],
        ),
        (
            "# Sanity check (hidden in the book): dropout raises the training loss",
            [
                ("dropout / no dropout, 10 epochs: train loss", "dropout_history.train_loss[-1] / history.train_loss[-1]", ">=", 3),
                ("dropout: train-validation loss gap narrowed by", "gap - gap_dropout", ">=", 0),
                ("dropout vs no dropout: |validation accuracy difference|", "abs(dropout_history.val_acc[-1] - history.val_acc[-1])", "<=", 0.005),
            ],
        ),
        (
            "# Sanity check (hidden in the book): 0.1 learns faster than 0.01",
            [
                ("SGD, 100 steps: loss of the last 10 steps, lr 0.01 / lr 0.1", "sweep[0.01][0] / sweep[0.1][0]", ">=", 2),
            ],
        ),
    ],
}


_CAPTURE = "_margins = globals().setdefault('_margins', {{}})\n" + "{lines}"
_REPORT = "import json as _json\nprint('MARGINS ' + _json.dumps(globals().get('_margins', {})))"


def seeded_with_captures(seed: int, checks):
    """A notebook edit: set the seed, and after each listed check cell record its quantities."""

    def edit(nb) -> None:
        seeded = [c for c in nb.cells if c.cell_type == "code" and "coursekit.set_seed(0)" in c.source]
        if len(seeded) != 1:
            raise RuntimeError(f"expected one cell with coursekit.set_seed(0), found {len(seeded)}")
        seeded[0].source = seeded[0].source.replace("coursekit.set_seed(0)", f"coursekit.set_seed({seed})")
        for marker, quantities in checks:
            found = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith(marker)]
            if len(found) != 1:
                raise RuntimeError(f"expected one check cell starting {marker!r}, found {len(found)}")
            lines = "".join(
                f"try:\n    _margins[{name!r}] = float({expr})\nexcept Exception as _e:\n    _margins[{name!r}] = repr(_e)\n"
                for name, expr, _, _ in quantities
            )
            nb.cells.insert(found[0] + 1, nbformat.v4.new_code_cell(_CAPTURE.format(lines=lines)))

    return edit


def save(values: dict, rows: list, native: bool) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    kernels = "this CPU's, all threads" if native else "ATEN_CPU_CAPABILITY=default, 1 thread"
    RESULTS.write_text(json.dumps({"machine": machine(), "kernels": kernels, "values": values, "rows": rows}, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--chapters", nargs="+", default=list(THRESHOLDS), help="chapter stems or their numbers")
    parser.add_argument("--native", action="store_true", help="this CPU's kernels and threads instead of generic kernels on 1 thread")
    parser.add_argument("--report", action="store_true", help="run nothing: print the table from the recorded values and the current thresholds")
    args = parser.parse_args()
    stems = [s for s in THRESHOLDS if any(s.startswith(c) for c in args.chapters)]
    env = dict(os.environ)
    if not args.native:
        env.update(ATEN_CPU_CAPABILITY="default", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    # Quantities no longer in THRESHOLDS (a check renamed or removed) are dropped, not carried along.
    known = {name for checks in THRESHOLDS.values() for _, quantities in checks for name, *_ in quantities}
    values: dict[str, dict[str, float | str]] = {k: v for k, v in previous.get("values", {}).items() if k in known}
    for stem in [] if args.report else stems:
        for seed in args.seeds:
            run = execute(
                ROOT / "notebooks" / f"{stem}.ipynb",
                1200,
                env=env,
                threads=None if args.native else 1,
                edit=seeded_with_captures(seed, THRESHOLDS[stem]),
                extra_cells=[_REPORT],
                allow_errors=True,
            )
            captured = json.loads(run.outputs[0].split("MARGINS ", 1)[1]) if "MARGINS " in run.outputs[0] else {}
            print(f"{stem} seed {seed}: {run.seconds:.0f} s, {len(run.problems)} failed check(s) (expected for seeds other than 0)", flush=True)
            for problem in run.problems:
                print("    " + problem.splitlines()[0][:160], flush=True)
            for name, value in captured.items():
                values.setdefault(name, {})[str(seed)] = value
            save(values, [], args.native)  # after every run: an interrupted sweep keeps what it measured
    rows = []
    print("\n| check | threshold | worst over seeds | margin | values by seed |\n|---|---|---|---|---|")
    for stem in THRESHOLDS:
        for _, quantities in THRESHOLDS[stem]:
            for name, _, op, threshold in quantities:
                by_seed = values.get(name, {})
                numbers = [v for v in by_seed.values() if isinstance(v, float)]
                if not numbers:
                    continue
                worst = min(numbers) if op == ">=" else max(numbers)
                margin = worst - threshold if op == ">=" else threshold - worst
                rows.append({"chapter": stem, "check": name, "op": op, "threshold": threshold, "worst": worst, "margin": margin, "by_seed": by_seed})
                shown = ", ".join(f"{s}: {v:.4g}" if isinstance(v, float) else f"{s}: {v}" for s, v in sorted(by_seed.items()))
                flag = "" if margin > 0 else "  **FAILS**"
                print(f"| {stem[:2]} {name} | {op} {threshold:g} | {worst:.4g} | {margin:+.4g}{flag} | {shown} |")
    save(values, rows, args.native)
    failing = [r["check"] for r in rows if r["margin"] <= 0]
    if failing:
        print("\nthresholds without margin: " + "; ".join(failing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
