/** @jest-environment ./test/helpers/ort-environment.js */
/**
 * `nn export` and `nn import` end to end: a model trained by `nn train mnist` leaves with one command and
 * onnxruntime-node predicts what `nn predict` predicts, from the same pixels/255; PyTorch's SimpleConvNet comes
 * in with one command and `nn eval` gives PyTorch's accuracy. Bad input: one line, no stack trace.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { argmaxRows } from '../../src/index';
import { imagesToTensor, readMnist } from '../../src/data/mnist';
import { runOrt } from '../onnx/ort';
import { SHARED_MNIST, assertBuilt, expectOneLineError, nn } from './run-nn';

const FIXTURE = path.resolve(__dirname, '../fixtures/onnx/simple-convnet.onnx');
const EXPECTED = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/onnx/simple-convnet.expected.json'), 'utf8'));
const HAVE_MNIST = fs.existsSync(path.join(SHARED_MNIST, 't10k-images-idx3-ubyte.gz'));

let tmp: string;
beforeAll(() => {
  assertBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-onnx-cli-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

(HAVE_MNIST ? describe : describe.skip)('with MNIST', () => {
  test('nn train mnist → nn export: onnxruntime gives nn predict\'s classes on raw pixels/255', async () => {
    const dir = path.join(tmp, 'cnn');
    const trained = nn(['train', 'mnist', '--model', 'cnn', '--limit', '500', '--epochs', '1', '--validation', '100', '--test-limit', '100', '--no-report', '--out', dir]);
    expect(trained.status).toBe(0);
    const file = path.join(tmp, 'cnn.onnx');
    const exported = nn(['export', dir, file]);
    expect(exported.stderr).toBe('');
    expect(exported.status).toBe(0);
    expect(exported.stdout).toMatch(/^wrote .*cnn\.onnx \(\d+ KiB, opset 13\): input "input" \[N, 1, 28, 28\] of raw inputs \(pixels\/255; the normalisation \(x − 0\.\d{4}\) \/ 0\.\d{4} is inside\), output "logits" \[N, 10\]\n$/);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const count = 100;
    const predicted = nn(['predict', dir, path.join(SHARED_MNIST, 't10k-images-idx3-ubyte.gz'), '--first', String(count), '--json']);
    expect(predicted.status).toBe(0);
    const classes = predicted.stdout.trim().split('\n').map((line) => JSON.parse(line).class as number);
    const mnist = readMnist(SHARED_MNIST);
    const scores = await runOrt(fs.readFileSync(file), imagesToTensor(mnist.test.images, 28, 28, 0, count));
    expect(Array.from(argmaxRows(scores))).toEqual(classes);
  });

  test('nn import of the PyTorch SimpleConvNet with --normalize, then nn eval: PyTorch\'s accuracy', () => {
    const dir = path.join(tmp, 'torch');
    const imported = nn(['import', FIXTURE, dir, '--normalize', '0.1307,0.3081']);
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
    expect(imported.stdout).toMatch(/wrote .*torch: 11 layers \(Conv2D, ReLU, MaxPool, .*\), input \[1, 28, 28\], output \[10\], from pytorch 1\.13\.0; input normalisation \(x − 0\.1307\) \/ 0\.3081 \(--normalize\)/);
    const evaluated = nn(['eval', dir, 'mnist', '--test-limit', String(EXPECTED.testImages), '--json']);
    expect(evaluated.status).toBe(0);
    expect(JSON.parse(evaluated.stdout).testAccuracy).toBeCloseTo(EXPECTED.testAccuracy, 6);

    // Fine-tuning is one command: the import is a run at epoch 0 of 0 with a fresh Adam (nn train --resume
    // DIR --epochs N; a full epoch is too long for npm test — docs/onnx.md has the measured run).
    expect(imported.stdout).toContain(`fine-tune it with: nn train mnist --resume ${dir} --epochs 1`);
    expect(nn(['summary', dir]).stdout).toMatch(/optimizer state: Adam, 0 steps \(resumable with --resume/);
    expectOneLineError(nn(['train', 'mnist', '--resume', dir]), /has already trained 0 epochs; pass --epochs N with N > 0/);

    // Out again and back in: the normalisation now travels inside the graph.
    const file = path.join(tmp, 'torch.onnx');
    expect(nn(['export', dir, file]).status).toBe(0);
    const again = nn(['import', file, path.join(tmp, 'torch-again')]);
    expect(again.stdout).toMatch(/input normalisation \(x − 0\.1307\) \/ 0\.3081 \(found in the graph\)/);
    const evaluatedAgain = nn(['eval', path.join(tmp, 'torch-again'), 'mnist', '--test-limit', String(EXPECTED.testImages), '--json']);
    expect(JSON.parse(evaluatedAgain.stdout).testAccuracy).toBeCloseTo(EXPECTED.testAccuracy, 6);
  });
});

describe('bad input: one line, no stack trace', () => {
  test('a file that is not ONNX, a truncated one, a missing one', () => {
    const noise = path.join(tmp, 'noise.onnx');
    fs.writeFileSync(noise, Buffer.from('this is not a protobuf at all, just text\n'));
    expectOneLineError(nn(['import', noise, path.join(tmp, 'x1')]), /not an ONNX model/);
    const truncated = path.join(tmp, 'truncated.onnx');
    fs.writeFileSync(truncated, fs.readFileSync(FIXTURE).subarray(0, 5000));
    expectOneLineError(nn(['import', truncated, path.join(tmp, 'x2')]), /not an ONNX model: the protobuf encoding is damaged or truncated/);
    expectOneLineError(nn(['import', path.join(tmp, 'absent.onnx'), path.join(tmp, 'x3')]), /absent\.onnx: no such file/);
    expect(fs.existsSync(path.join(tmp, 'x1'))).toBe(false);
  });

  test('export of a directory that holds no model, a bad --opset, import over a model without --overwrite', () => {
    expectOneLineError(nn(['export', path.join(tmp, 'nowhere'), path.join(tmp, 'o.onnx')]), /model directory .*nowhere does not exist/);
    expectOneLineError(nn(['export', path.join(tmp, 'nowhere'), path.join(tmp, 'o.onnx'), '--opset', '7']), /--opset.*Expected an integer from 13 to 21/);
    const dir = path.join(tmp, 'twice');
    expect(nn(['import', FIXTURE, dir]).status).toBe(0);
    expectOneLineError(nn(['import', FIXTURE, dir]), /already holds a model; pass --overwrite/);
    expect(nn(['import', FIXTURE, dir, '--overwrite']).status).toBe(0);
    expectOneLineError(nn(['import', FIXTURE, path.join(tmp, 'n'), '--normalize', '0.1']), /--normalize.*Expected "mean,std"/);
  });
});
