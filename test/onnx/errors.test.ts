/** @jest-environment ./test/helpers/ort-environment.js */
/**
 * Bad input is an OnnxError that names what is wrong — never a wrong model: damaged bytes, an unsupported op
 * or attribute, a graph that branches, a missing initializer, weights that do not fit. And the hooks: a layer
 * without an exporter is named; registered exporters and importers are used both ways.
 */
import { Affine, ReLU, Rng, Sequential, cloneTensor, tensor, type Layer, type Param, type Shape, type Tensor } from '../../src/index';
import {
  OnnxError, floatAttr, fromOnnx, importOnnx, intAttr, registerOnnxExporter, registerOnnxImporter, toOnnx,
  type ImportedLayer, type NodeProto, type TensorProto,
} from '../../src/onnx/index';
import { encodeModel } from '../../src/onnx/proto';
import { floatTensor } from '../../src/onnx/tensors';
import { runOrt } from './ort';

/** A model of the given nodes on an input [N, …shape], output "y". */
function model(nodes: NodeProto[], initializers: TensorProto[], shape: number[], output = 'y'): Uint8Array {
  const info = (name: string, dims: (number | string)[]) => ({
    name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  return encodeModel({
    irVersion: 8, opsetImport: [{ domain: '', version: 13 }], producerName: 'test',
    graph: { name: 'g', node: nodes, initializer: initializers, input: [info('x', ['N', ...shape])], output: [info(output, ['N'])] },
  });
}

const weights = (name: string, dims: number[]) => floatTensor(name, dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i / 10 - 1));

function expectOnnxError(run: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(OnnxError);
  expect((error as Error).message).toMatch(pattern);
  expect((error as Error).message).not.toMatch(/\n/);
}

describe('bad ONNX bytes', () => {
  const good = toOnnx(new Sequential([new Affine({ units: 3 }), new ReLU()], { inputShape: [4], seed: 1 }));

  test('a good model loads (the baseline of the cases below)', () => {
    expect(fromOnnx(good).layers.map((l) => l.kind)).toEqual(['Affine', 'ReLU']);
  });

  test('empty, truncated and random bytes', () => {
    expectOnnxError(() => fromOnnx(new Uint8Array(0)), /empty/);
    for (const cut of [1, 10, good.length >> 1, good.length - 1]) {
      expectOnnxError(() => fromOnnx(good.subarray(0, cut)), /not an ONNX model/);
    }
    const rng = new Rng(5);
    for (let k = 0; k < 20; k++) {
      const noise = Uint8Array.from({ length: 50 + k * 37 }, () => Math.floor(rng.uniform(0, 256)));
      expectOnnxError(() => fromOnnx(noise), /not an ONNX model|graph|input|output/);
    }
    expectOnnxError(() => fromOnnx(new TextEncoder().encode('{"format":"millefeuille-model"}')), /not an ONNX model/);
  });

  test('an unsupported op names the node and the op', () => {
    const bytes = model([{ name: 'soft', opType: 'Softmax', input: ['x'], output: ['y'] }], [], [4]);
    expectOnnxError(() => fromOnnx(bytes), /node "soft" \(Softmax\): the op Softmax is not supported/);
  });

  test('an unsupported attribute (grouped convolution) names the node', () => {
    const bytes = model([{ name: 'c', opType: 'Conv', input: ['x', 'W'], output: ['y'], attribute: [intAttr('group', 2)] }], [weights('W', [2, 1, 3, 3])], [2, 5, 5]);
    expectOnnxError(() => fromOnnx(bytes), /node "c" \(Conv\): group = 2/);
  });

  test('a graph with branches: a value read twice, and two values joined', () => {
    const twoReaders = model([
      { name: 'r', opType: 'Relu', input: ['x'], output: ['h'] },
      { name: 's', opType: 'Sigmoid', input: ['h'], output: ['y'] },
      { name: 't', opType: 'Tanh', input: ['h'], output: ['z'] },
    ], [], [4]);
    expectOnnxError(() => fromOnnx(twoReaders), /branches: "h" feeds node "s" \(Sigmoid\) and node "t" \(Tanh\)/);
    const residual = model([
      { name: 'r', opType: 'Relu', input: ['x'], output: ['h'] },
      { name: 'add', opType: 'Add', input: ['h', 'x'], output: ['y'] },
    ], [], [4]);
    expectOnnxError(() => fromOnnx(residual), /branches: "x" feeds/);
    const joined = model([
      { name: 'r', opType: 'Relu', input: ['x'], output: ['h'] },
      { name: 'w', opType: 'Sigmoid', input: ['c'], output: ['W'] },
      { name: 'fc', opType: 'MatMul', input: ['h', 'W'], output: ['y'] },
    ], [weights('c', [4, 2])], [4]);
    expectOnnxError(() => fromOnnx(joined), /branches: node "fc" \(MatMul\) joins "W" \(from node "w" \(Sigmoid\)\)/);
  });

  test('a missing initializer names the node and the input', () => {
    const bytes = model([{ name: 'fc', opType: 'Gemm', input: ['x', 'W', 'b'], output: ['y'], attribute: [intAttr('transB', 1)] }], [weights('W', [3, 4])], [4]);
    expectOnnxError(() => fromOnnx(bytes), /node "fc" \(Gemm\): input 2 "b" is missing: no initializer, Constant or node gives it/);
    const noWeights = model([{ name: 'conv', opType: 'Conv', input: ['x', 'W'], output: ['y'] }], [], [1, 5, 5]);
    expectOnnxError(() => fromOnnx(noWeights), /node "conv" \(Conv\): input 1 "W" is missing/);
  });

  test('weights that do not fit the input: a shape mismatch names the node and both sizes', () => {
    const gemm = model([{ name: 'fc', opType: 'Gemm', input: ['x', 'W'], output: ['y'], attribute: [intAttr('transB', 1)] }], [weights('W', [3, 5])], [4]);
    expectOnnxError(() => fromOnnx(gemm), /node "fc" \(Gemm\): .*takes 5 inputs, but the input has 4/);
    const conv = model([{ name: 'conv', opType: 'Conv', input: ['x', 'W'], output: ['y'] }], [weights('W', [2, 3, 3, 3])], [1, 5, 5]);
    expectOnnxError(() => fromOnnx(conv), /node "conv" \(Conv\): .*3 input channels, but the input has 1/);
    const bn = model([{ name: 'bn', opType: 'BatchNormalization', input: ['x', 's', 'b', 'm', 'v'], output: ['y'], attribute: [floatAttr('epsilon', 1e-5)] }],
      [weights('s', [3]), weights('b', [3]), weights('m', [3]), weights('v', [2])], [3]);
    expectOnnxError(() => fromOnnx(bn), /node "bn" \(BatchNormalization\): its variance holds 2 values, but the input has 3 channels/);
    const tooSmall = model([{ name: 'pool', opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [4, 4] }] }], [], [1, 3, 3]);
    expectOnnxError(() => fromOnnx(tooSmall), /node "pool" \(MaxPool\) cannot take its input \[1, 3, 3\]/);
  });

  test('a graph input without a fixed per-sample shape, or two inputs, or an unreachable output', () => {
    const dynamic = encodeModel({
      irVersion: 8, opsetImport: [{ domain: '', version: 13 }],
      graph: {
        node: [{ name: 'r', opType: 'Relu', input: ['x'], output: ['y'] }],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimParam: 'D' }] } } } }],
        output: [{ name: 'y' }],
      },
    });
    expectOnnxError(() => fromOnnx(dynamic), /per-sample dimensions \[D\]; they must be fixed sizes/);
    const unreachable = model([{ name: 'r', opType: 'Relu', input: ['x'], output: ['h'] }], [], [4], 'elsewhere');
    expectOnnxError(() => fromOnnx(unreachable), /output "elsewhere" is not reached/);
  });

  test('asymmetric pads other than TensorFlow\'s "same" are refused, not rounded', () => {
    const bytes = model([{ name: 'c', opType: 'Conv', input: ['x', 'W'], output: ['y'], attribute: [{ name: 'pads', type: 7, ints: [1, 0, 0, 1] }] }], [weights('W', [1, 1, 3, 3])], [1, 6, 6]);
    expectOnnxError(() => fromOnnx(bytes), /asymmetric pads \[1, 0, 0, 1\]/);
  });

  test('a graph starting with input normalisation is not silently dropped by fromOnnx', () => {
    const net = new Sequential([new Affine({ units: 2 })], { inputShape: [3], seed: 1 });
    const bytes = toOnnx(net, { normalization: { mean: 0.5, std: 0.25 } });
    expectOnnxError(() => fromOnnx(bytes), /input normalisation \(x − 0.5\) \/ 0.25.*importOnnx/);
    expect(importOnnx(bytes).normalization).toEqual({ mean: 0.5, std: 0.25 });
  });
});

/** y = x·s: a custom layer with one learnable scale, to exercise the hooks. */
class Scale implements Layer {
  readonly kind = 'TestScale';
  private shape: Shape = [];
  private scale: Param | undefined;
  private out: Tensor | undefined;
  build(inputShape: Shape): Shape {
    this.shape = inputShape;
    this.scale = { name: 'scale', shape: [1], value: new Float32Array([2]), grad: new Float32Array(1), decay: false };
    return inputShape;
  }
  forward(x: Tensor): Tensor {
    this.out = tensor(x.shape, x.data.map((v) => v * this.scale!.value[0]));
    return this.out;
  }
  backward(dy: Tensor): Tensor {
    return dy;
  }
  params(): Param[] {
    return [this.scale!];
  }
  config(): object {
    return {};
  }
}

describe('layers without a built-in mapping', () => {
  test('a layer with no exporter is named', () => {
    const net = new Sequential([new Affine({ units: 3 }), new Scale()], { inputShape: [4], seed: 1 });
    expectOnnxError(() => toOnnx(net), /layer 1 \(TestScale\) has no ONNX exporter; register one with registerOnnxExporter\("TestScale"/);
  });

  test('registered exporter and importer carry a custom layer both ways', async () => {
    registerOnnxExporter('TestScale', (layer, ctx) => ctx.node('Mul', [ctx.input, ctx.initializer('scale', [], (layer.params()[0]).value)]));
    registerOnnxImporter('Mul', (node, ctx): ImportedLayer => {
      const scale = ctx.floats(1, 'scale');
      return { layer: new Scale(), params: { scale } };
    });
    const net = new Sequential([new Affine({ units: 3 }), new Scale()], { inputShape: [4], seed: 1 });
    net.params()[2].value[0] = 3;
    const x = tensor([2, 4], [1, 2, 3, 4, -1, -2, -3, -4]);
    const ours = cloneTensor(net.forward(x));
    const bytes = toOnnx(net);
    expect(Array.from((await runOrt(bytes, x)).data)).toEqual(Array.from(ours.data).map((v) => expect.closeTo(v, 5)));
    const back = fromOnnx(bytes);
    expect(back.layers.map((l) => l.kind)).toEqual(['Affine', 'TestScale']);
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(ours.data));
  });
});
