#!/usr/bin/env python3
"""Makes test/fixtures/onnx/simple-convnet.onnx: a small SimpleConvNet trained and exported by PyTorch,
the "ONNX file made elsewhere" that test/onnx/torch-fixture.test.ts loads, evaluates and fine-tunes.

    /usr/bin/python3 scripts/onnx/torch-simple-convnet.py DATA_DIR   # DATA_DIR holds the four MNIST .gz files

Needs PyTorch (Debian: apt-get install --no-install-recommends python3-torch; made with torch 1.13). Not run
by npm test. The net is PyTorch's usual MNIST recipe: the input normalised OUTSIDE the model with
(0.1307, 0.3081), torch.flatten(x, 1), nn.Linear (exported as Gemm with transB = 1), BatchNorm in eval mode,
Dropout (left out of an eval export), opset 13 with a dynamic batch axis. It also writes
simple-convnet.expected.json: PyTorch's own logits for the first test images and its test accuracy, so the
test compares with PyTorch itself, not only with onnxruntime.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'onnx')
MEAN, STD = 0.1307, 0.3081


def idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack('>' + 'I' * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class SimpleConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 7 * 7, 32)
        self.bn = nn.BatchNorm1d(32)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.drop(torch.relu(self.bn(self.fc1(x))))
        return self.fc2(x)


def main():
    data = sys.argv[1]
    torch.manual_seed(1)
    train_x = torch.tensor(idx(os.path.join(data, 'train-images-idx3-ubyte.gz'))[:12000], dtype=torch.float32).unsqueeze(1) / 255
    train_y = torch.tensor(idx(os.path.join(data, 'train-labels-idx1-ubyte.gz'))[:12000], dtype=torch.long)
    test_x = torch.tensor(idx(os.path.join(data, 't10k-images-idx3-ubyte.gz'))[:1000], dtype=torch.float32).unsqueeze(1) / 255
    test_y = torch.tensor(idx(os.path.join(data, 't10k-labels-idx1-ubyte.gz'))[:1000], dtype=torch.long)
    norm = lambda x: (x - MEAN) / STD

    net = SimpleConvNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    for epoch in range(2):
        net.train()
        order = torch.randperm(len(train_x))
        for start in range(0, len(order), 64):
            batch = order[start:start + 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(norm(train_x[batch])), train_y[batch])
            loss.backward()
            opt.step()
        print(f'epoch {epoch + 1}: last batch loss {loss.item():.4f}')

    net.eval()
    with torch.no_grad():
        logits = net(norm(test_x))
    accuracy = (logits.argmax(1) == test_y).float().mean().item()
    print(f'PyTorch test accuracy on the first 1000 test images: {accuracy:.4f}')

    os.makedirs(OUT, exist_ok=True)
    torch.onnx.export(net, norm(test_x[:2]), os.path.join(OUT, 'simple-convnet.onnx'), opset_version=13,
                      input_names=['image'], output_names=['scores'], dynamic_axes={'image': {0: 'batch'}, 'scores': {0: 'batch'}})
    expected = {
        'producer': f'torch {torch.__version__}',
        'normalization': {'mean': MEAN, 'std': STD},
        'testImages': len(test_x),
        'testAccuracy': accuracy,
        'firstLogits': [[round(float(v), 7) for v in row] for row in logits[:16]],
    }
    with open(os.path.join(OUT, 'simple-convnet.expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')
    print('wrote', os.path.join(OUT, 'simple-convnet.onnx'))


if __name__ == '__main__':
    main()
