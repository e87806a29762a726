/**
 * The per-layer check against onnxruntime-node: random params and input, toOnnx's graph run by onnxruntime
 * agrees with our forward within 1e-5·max(1, |a|, |b|), and fromOnnx(toOnnx(net)) gives the same bits.
 */
import { Rng, Sequential, cloneTensor, tensor, type Layer, type Shape } from '../../src/index';
import { fromOnnx, toOnnx } from '../../src/onnx/index';
import { firstDifference, netState, runOrt, worstRelative } from './ort';

export const TOLERANCE = 1e-5;
/** The worst relative difference seen per layer kind (printed with NN_ONNX_REPORT=1, quoted in docs/onnx.md). */
const worst = new Map<string, number>();

export function reportWorst(): void {
  if (process.env.NN_ONNX_REPORT) console.log([...worst].map(([k, e]) => `${k}: ${e.toExponential(1)}`).join('\n'));
}

/** Fills every param and buffer with random values (variances positive) so no layer is at its initial state. */
export function randomise(net: Sequential, seed: number): void {
  const rng = new Rng(seed);
  for (const p of net.params()) for (let i = 0; i < p.value.length; i++) p.value[i] = rng.uniform(-1, 1);
  for (const b of net.namedBuffers()) {
    const positive = /Var/.test(b.name);
    for (let i = 0; i < b.buffer.value.length; i++) b.buffer.value[i] = positive ? rng.uniform(0.2, 2) : rng.uniform(-1, 1);
  }
}

export function randomInput(shape: Shape, batch: number, seed: number): ReturnType<typeof tensor> {
  const rng = new Rng(seed);
  const size = batch * shape.reduce((a, b) => a * b, 1);
  return tensor([batch, ...shape], Array.from({ length: size }, () => rng.uniform(-2, 2)));
}

/** The net of one layer on `shape`, or undefined when the window does not fit (the generator's problem, not the layer's). */
export function tryNet(layers: Layer[], shape: Shape): Sequential | undefined {
  try {
    return new Sequential(layers, { inputShape: shape, seed: 1 });
  } catch {
    return undefined;
  }
}

export async function checkNet(net: Sequential, batch: number, seed: number, opset = 13): Promise<void> {
  randomise(net, seed);
  const x = randomInput(net.inputShape, batch, seed + 1);
  const ours = cloneTensor(net.forward(x));
  const bytes = toOnnx(net, { opset });

  const theirs = await runOrt(bytes, x);
  expect(theirs.shape).toEqual(ours.shape);
  const { error, index } = worstRelative(ours.data, theirs.data);
  const kinds = net.layers.map((l) => l.kind).join('+');
  worst.set(kinds, Math.max(worst.get(kinds) ?? 0, error));
  if (!(error <= TOLERANCE)) {
    throw new Error(`${net.layers.map((l) => `${l.kind}${JSON.stringify(l.config())}`).join(' → ')} on [${x.shape}]: ` +
      `relative error ${error} at ${index} (ours ${ours.data[index]}, onnxruntime ${theirs.data[index]})`);
  }

  const back = fromOnnx(bytes);
  expect(firstDifference(back.forward(x).data, ours.data)).toBe(-1);
  expect(firstDifference(netState(back), netState(net))).toBe(-1);
}

