/** `nn summary` on a saved model holding both local normalisation layers (the user's view of "registered"). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Conv2D } from '../../src/layers/conv2d';
import { Flatten } from '../../src/layers/flatten';
import { Affine } from '../../src/layers/affine';
import { LocalContrastNorm } from '../../src/layers/local-contrast-norm';
import { LocalResponseNorm } from '../../src/layers/local-response-norm';
import { ReLU } from '../../src/layers/relu';
import { Sequential } from '../../src/net/sequential';
import { save } from '../../src/net/serialize';
import { assertBuilt, nn } from './run-nn';

let tmp: string;
beforeAll(() => {
  assertBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-local-norm-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('nn summary lists LocalContrastNorm and LocalResponseNorm with their output shapes', () => {
  const dir = path.join(tmp, 'model');
  save(new Sequential([
    new LocalContrastNorm({ size: 9 }),
    new Conv2D({ filters: 6, kernelSize: 5 }), new ReLU(),
    new LocalResponseNorm({ size: 4, k: 2 }),
    new Flatten(), new Affine({ units: 10 }),
  ], { inputShape: [1, 28, 28], seed: 1 }), dir);
  const result = nn(['summary', dir]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/^0\s+LocalContrastNorm\s+\[1, 28, 28\]\s+0$/m);
  expect(result.stdout).toMatch(/^3\s+LocalResponseNorm\s+\[6, 24, 24\]\s+0$/m);
  expect(result.stdout).toMatch(/total parameters: 34,?726/);
});
