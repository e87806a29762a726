/**
 * A net described as data for the report: each layer's kind, its settings, its per-sample output shape and
 * its parameter count — the same rows as `Sequential.summary()` prints, plus the settings.
 */
import type { Sequential } from '../net/sequential';

export interface LayerRow {
  index: number;
  kind: string;
  /** The layer's config as short "key value" text: "units 256, init he". */
  settings: string;
  outputShape: number[];
  params: number;
}

export interface ModelSummary {
  inputShape: number[];
  layers: LayerRow[];
  totalParams: number;
}

export function modelSummary(net: Sequential): ModelSummary {
  const layers = net.layers.map((layer, i) => ({
    index: i,
    kind: layer.kind,
    settings: describeConfig(layer.config()),
    outputShape: [...net.layerShapes[i]],
    params: layer.params().reduce((sum, p) => sum + p.value.length, 0),
  }));
  return { inputShape: [...net.inputShape], layers, totalParams: layers.reduce((sum, l) => sum + l.params, 0) };
}

/** {units: 256, init: 'he'} → "units 256, init he"; nested values as compact JSON. */
export function describeConfig(config: object): string {
  return Object.entries(config)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}
