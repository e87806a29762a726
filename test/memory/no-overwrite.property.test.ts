/**
 * Property (issue 9): whatever the order in which nets of different shapes run forward and training steps
 * with changing batch sizes, and are disposed and replaced, no live tensor — a param, a grad-updated weight,
 * any layer's last output — is ever overwritten by another owner's block, and the arena's bookkeeping stays
 * consistent (blocks and free ranges tile it without overlap).
 */
import fc from 'fast-check';
import {
  Affine, BatchNorm, Conv2D, Dropout, Flatten, MaxPool, ReLU, Rng, SGD, Sequential, SoftmaxCrossEntropy, tensor,
  type Layer, type Tensor,
} from '../../src/index';
import { arenaProblem } from '../../src/kernels/wasm/arena';

const INPUT = [2, 16, 16];

const ARCHITECTURES: (() => Layer[])[] = [
  () => [new Conv2D({ filters: 8, kernelSize: 3, padding: 1 }), new ReLU(), new MaxPool({ size: 2 }), new Flatten(), new Affine({ units: 10 })],
  () => [new Conv2D({ filters: 4, kernelSize: 5 }), new BatchNorm({}), new ReLU(), new Flatten(), new Affine({ units: 32 }), new Affine({ units: 10 })],
  () => [new Flatten(), new Affine({ units: 256 }), new ReLU(), new Dropout({ rate: 0.2 }), new Affine({ units: 10 })],
];

/** A live net, what it last produced and copies of all of it, to compare after the other nets have run. */
interface Live {
  net: Sequential;
  loss: SoftmaxCrossEntropy;
  optimizer: SGD;
  outputs: Tensor[];
  outputCopies: Float32Array[];
  paramCopies: Float32Array[];
}

function build(architecture: number, seed: number): Live {
  const net = new Sequential(ARCHITECTURES[architecture](), { inputShape: INPUT, seed });
  return { net, loss: new SoftmaxCrossEntropy(), optimizer: new SGD({ lr: 0.01 }), outputs: [], outputCopies: [], paramCopies: snapshotParams(net) };
}

function snapshotParams(net: Sequential): Float32Array[] {
  return net.params().map((p) => p.value.slice());
}

/** Forward layer by layer (as Sequential.forward does), keeping every layer's output; a training step when asked. */
function run(live: Live, batch: number, train: boolean, rng: Rng): void {
  const x = tensor([batch, ...INPUT]);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.uniform(-1, 1);
  const labels = Int32Array.from({ length: batch }, () => Math.floor(rng.next() * 10));
  if (train) {
    live.net.zeroGrad();
    live.loss.forward(live.net.forward(x, true), labels);
    live.net.backward(live.loss.backward());
    live.optimizer.step(live.net.params());
  }
  const outputs: Tensor[] = [];
  let y = x;
  for (const layer of live.net.layers) {
    y = layer.forward(y, false);
    outputs.push(y);
  }
  live.outputs = outputs;
  live.outputCopies = outputs.map((t) => t.data.slice());
  live.paramCopies = snapshotParams(live.net);
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

type Step = { net: number; action: 'infer' | 'train' | 'replace'; batch: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  net: fc.integer({ min: 0, max: ARCHITECTURES.length - 1 }),
  action: fc.constantFrom<Step['action']>('infer', 'infer', 'train', 'replace'),
  batch: fc.integer({ min: 1, max: 9 }),
});

test('no live tensor is overwritten by another owner, whatever the order of nets, batch sizes and disposals', () => {
  fc.assert(
    fc.property(fc.array(stepArbitrary, { minLength: 4, maxLength: 14 }), fc.integer({ min: 1, max: 1000 }), (steps, seed) => {
      const rng = new Rng(seed);
      const lives = ARCHITECTURES.map((_, i) => build(i, seed + i));
      try {
        for (const step of steps) {
          const live = lives[step.net];
          if (step.action === 'replace') {
            live.net.dispose();
            live.loss.dispose();
            live.optimizer.dispose();
            lives[step.net] = build(step.net, rng.int(1 << 20));
          } else {
            run(live, step.batch, step.action === 'train', rng);
          }
          // Every other net's params and last outputs are exactly as that net left them.
          lives.forEach((other, i) => {
            if (i === step.net) return;
            other.net.params().forEach((p, j) => expect(sameBits(p.value, other.paramCopies[j])).toBe(true));
            other.outputs.forEach((t, j) => expect(sameBits(t.data, other.outputCopies[j])).toBe(true));
          });
          expect(arenaProblem()).toBeNull();
        }
      } finally {
        for (const live of lives) {
          live.net.dispose();
          live.loss.dispose();
          live.optimizer.dispose();
        }
      }
    }),
    { numRuns: 12, seed: 9 },
  );
});
