#!/usr/bin/env python3
"""PyTorch's figures for `npm run bench -- --compare-torch` (bench/run.ts runs this script).

The same models as bench/run.ts (MLP 784-100-10, SimpleConvNet, the default `best` model without its shift
augmentation), the same Adam (lr 1e-3), the same real MNIST images (bench/run.ts writes them as raw float32
[N, 1, 28, 28] and int64 labels), the same batch sizes and thread count; training samples/s as the median of
timed windows after a warm-up. Prints one JSON object: {"torch": version, "results": {"model@batch": {...}}}.

    python3 bench/torch-bench.py IMAGES LABELS COUNT THREADS MODELS BATCHES WARMUP WINDOW WINDOWS
"""
import json
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn


def models():
    return {
        'mlp': lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10)),
        'cnn': lambda: nn.Sequential(
            nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(30 * 12 * 12, 100), nn.ReLU(), nn.Linear(100, 10)),
        'best': lambda: nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
            nn.Dropout(0.3), nn.Linear(128, 10)),
    }


def bench(make, x, y, batch, warmup, window, windows):
    torch.manual_seed(1)
    net = make()
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    count = x.shape[0] // batch * batch
    step = 0

    def train_step():
        nonlocal step
        start = (step * batch) % count
        xb, yb = x[start:start + batch], y[start:start + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xb), yb)
        loss.backward()
        opt.step()
        step += 1
        return loss

    for _ in range(warmup):
        train_step()
    rates = []
    for _ in range(windows):
        t0 = time.perf_counter()
        for _ in range(window):
            loss = train_step()
        rates.append(window * batch / (time.perf_counter() - t0))
    return {'median': statistics.median(rates), 'min': min(rates), 'max': max(rates), 'windows': len(rates), 'lastLoss': float(loss)}


def main():
    images, labels, count, threads, names, batches, warmup, window, windows = sys.argv[1:10]
    count, threads, warmup, window, windows = int(count), int(threads), int(warmup), int(window), int(windows)
    torch.set_num_threads(threads)
    x = torch.from_numpy(np.fromfile(images, dtype=np.float32, count=count * 784).reshape(count, 1, 28, 28))
    y = torch.from_numpy(np.fromfile(labels, dtype=np.int64, count=count))
    zoo = models()
    results = {}
    for name in names.split(','):
        for batch in (int(b) for b in batches.split(',')):
            results[f'{name}@{batch}'] = bench(zoo[name], x, y, batch, warmup, window, windows)
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'results': results}))


if __name__ == '__main__':
    main()
