/** Shared by the memory suites: a SimpleConvNet round on synthetic MNIST-shaped data, and gc() in-process. */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import {
  SGD, SoftmaxCrossEntropy, Rng, buildMnistModel, evaluate, fit, memoryStats, tensor,
  type Dataset, type Sequential,
} from '../../src/index';

/** `count` random 28×28 images in [0, 1] with random labels 0–9 (deterministic from `seed`). */
export function syntheticDigits(count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = tensor([count, 1, 28, 28]);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.next();
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) y[i] = Math.floor(rng.next() * 10);
  return { x, y };
}

export interface RoundResult {
  net: Sequential;
  /** A copy of every param value after training, in the net's order. */
  weights: Float32Array[];
}

/** Builds a SimpleConvNet, fits it for one epoch of `train` and evaluates it on `test`; disposes all of it when asked. */
export async function convNetRound(train: Dataset, test: Dataset, dispose: boolean, batchSize = 32): Promise<RoundResult> {
  const net = buildMnistModel('cnn', 7);
  const loss = new SoftmaxCrossEntropy();
  const optimizer = new SGD({ lr: 0.05 });
  await fit(net, loss, optimizer, train, { epochs: 1, batchSize, seed: 3 });
  evaluate(net, loss, test, 64);
  const weights = net.params().map((p) => p.value.slice());
  if (dispose) {
    net.dispose();
    loss.dispose();
    optimizer.dispose();
  }
  return { net, weights };
}

/** Bytes the arena's owners hold, leaving out the kernels' own scratch and GEMM workspaces (kept for the process). */
export function ownedBytes(): number {
  let bytes = 0;
  for (const [kind, o] of Object.entries(memoryStats().owners)) {
    if (kind !== 'kernel scratch' && kind !== 'GEMM workspace') bytes += o.bytes;
  }
  return bytes;
}

let gcFunction: (() => void) | undefined;

/** A full garbage collection, then a moment for the FinalizationRegistry's callbacks to run. */
export async function collectGarbage(): Promise<void> {
  if (gcFunction === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gcFunction = vm.runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < 2; i++) {
    gcFunction();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
