/**
 * Test helpers: run ONNX bytes in onnxruntime-node (the reference engine) and compare with our forward
 * within a relative tolerance max(1, |a|, |b|)·tol.
 */
import * as ort from 'onnxruntime-node';
import type { Tensor } from '../../src/tensor';

/** Runs the model's single input → single output on x [N, …] and returns the output. */
export async function runOrt(bytes: Uint8Array, x: Tensor, inputName = 'input'): Promise<Tensor> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const feeds = { [inputName]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) };
    const results = await session.run(feeds);
    const out = results[session.outputNames[0]];
    return { shape: out.dims.map(Number), data: Float32Array.from(out.data as Float32Array) };
  } finally {
    await session.release();
  }
}

/** The largest |a − b| / max(1, |a|, |b|) over two arrays of the same length. */
export function worstRelative(a: ArrayLike<number>, b: ArrayLike<number>): { error: number; index: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let error = 0, index = -1;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i]), Math.abs(b[i]));
    if (!(e <= error)) {
      error = e;
      index = i;
    }
  }
  return { error, index };
}

/**
 * The first index where two float arrays differ in value (NaN equals NaN, 0 and −0 differ), or −1; a loop,
 * because Jest's toEqual on arrays of a million numbers takes seconds each.
 */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** Every param and buffer of two nets, concatenated in order, as one array each. */
export function netState(net: { params(): { value: Float32Array }[]; buffers(): { value: Float32Array }[] }): Float32Array {
  const parts = [...net.params().map((p) => p.value), ...net.buffers().map((b) => b.value)];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
