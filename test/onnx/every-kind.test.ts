/** @jest-environment ./test/helpers/ort-environment.js */
/**
 * Every kind in the layer registry, on its registry examples (src/layers/registry.ts): exported, run by
 * onnxruntime-node within 1e-5 of our forward, and imported back bit for bit. A new built-in layer shows up here
 * by name; without an ONNX exporter (src/onnx/layer-exporters.ts) it fails with the error that names it.
 */
import { Rng, Tanh, layerExample, layerFromConfig, layerKinds, type Layer } from '../../src/index';
import { checkNet, tryNet } from './check-net';

const EXAMPLES = 8;

test.each(layerKinds())('%s: onnxruntime agrees and the import gives the same bits', async (kind) => {
  const rng = new Rng(kind.length * 1009);
  let checked = 0;
  for (let k = 0; k < EXAMPLES; k++) {
    const example = layerExample(kind, rng);
    if (!example) throw new Error(`${kind} has no registry example`);
    const [batch, ...shape] = example.input;
    const layers: Layer[] = [layerFromConfig(kind, example.config)];
    // Dropout leaves no node (the identity at inference); a graph of nothing is not a net, so one layer follows.
    if (kind === 'Dropout') layers.push(new Tanh());
    const net = tryNet(layers, shape);
    if (!net) continue;
    await checkNet(net, batch, 100 + k);
    checked++;
  }
  expect(checked).toBe(EXAMPLES);
});
