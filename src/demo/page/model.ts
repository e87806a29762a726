/**
 * The drawing pad's model: a model directory's model.json and weights.bin, fetched and rebuilt in the page,
 * with the input normalisation `nn train` stored in its metadata, and the forward pass that turns one
 * 28×28 digit into ten probabilities.
 */
import { deserializeModel, predict, type Sequential } from './lib';

/** x = (p / 255 − mean) / std, as nn train fed the model. */
export interface Normalization {
  mean: number;
  std: number;
}

export interface PadModel {
  net: Sequential;
  normalization: Normalization;
  /** What to show: "best, test accuracy 99.47 %" */
  description: string;
}

/** Fetches `base`model.json and its weights file and rebuilds the net; throws an Error saying what failed. */
export async function fetchModel(base: string): Promise<PadModel> {
  // Both requests at once: nn demo serves whichever weights file model.json names as model/weights.bin.
  const [json, weights] = await Promise.all([fetchOk(`${base}model.json`).then((r) => r.text()), fetchOk(`${base}weights.bin`).then((r) => r.arrayBuffer())]);
  // The library checks the format, every layer, each tensor's name and shape, and the weights' SHA-256.
  const { net, metadata: saved } = deserializeModel({ json, weights: new Uint8Array(weights) }, { modelPath: `${base}model.json` });
  const metadata = (saved ?? {}) as { model?: string; testAccuracy?: number; normalization?: Normalization };
  const normalization = metadata.normalization ?? { mean: 0, std: 1 };
  const parts = [metadata.model ?? `${net.layers.length} layers`];
  if (typeof metadata.testAccuracy === 'number') parts.push(`test accuracy ${(100 * metadata.testAccuracy).toFixed(2)} %`);
  return { net, normalization, description: parts.join(', ') };
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${(await response.text()).trim()}`);
  return response;
}

/** The ten class probabilities of one 28×28 digit (pixel bytes, white on black). */
export function classify(model: Pick<PadModel, 'net' | 'normalization'>, pixels: Uint8Array): Float64Array {
  const { net, normalization } = model;
  const x = { shape: [1, ...net.inputShape], data: new Float32Array(pixels.length) };
  for (let i = 0; i < pixels.length; i++) x.data[i] = (pixels[i] / 255 - normalization.mean) / normalization.std;
  return softmax(predict(net, x, 1).data);
}

/** Stable softmax in float64 (the same as nn predict's). */
export function softmax(scores: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]);
  const out = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += out[i] = Math.exp(scores[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
