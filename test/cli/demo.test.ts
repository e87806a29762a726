/**
 * `nn demo` as a user and an attacker meet it: the real command (src/cli bundled for the tests, see run-nn.ts) on a free port, asked over
 * HTTP for the page, the model, the MNIST files — and for everything it must refuse (paths out of the site,
 * the optimizer file, other methods). Bad input ends as one line, and Ctrl-C ends the server cleanly.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Affine } from '../../src/layers/affine';
import { Flatten } from '../../src/layers/flatten';
import { Adam } from '../../src/optimizers/adam';
import { Sequential } from '../../src/net/sequential';
import { modelFiles, save } from '../../src/net/serialize';
import { startDemo, type RunningDemo } from './demo-server';
import { SHARED_MNIST, assertBuilt, expectOneLineError, nn } from './run-nn';

let tmp: string;
let modelDir: string;

beforeAll(() => {
  assertBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-demo-'));
  // A small model directory, as the library saves one, with the metadata nn train adds.
  const net = new Sequential([new Flatten(), new Affine({ units: 10 })], { inputShape: [1, 28, 28], seed: 3 });
  modelDir = path.join(tmp, 'my-model');
  save(net, modelDir, { optimizer: new Adam(), metadata: { dataset: 'mnist', model: 'tiny', normalization: { mean: 0.1, std: 0.3 } } });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** GET (or another method) without following anything; the body as bytes. */
async function get(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** A raw request line, for paths fetch() would normalise before sending ("/../"). */
function rawGet(url: string, requestPath: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(`GET ${requestPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

describe('nn demo DIR (a model directory), cross-origin isolated', () => {
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await startDemo([modelDir]);
  });
  afterAll(async () => {
    await demo?.stop();
  });

  test('prints the address on 127.0.0.1, the model, the data directory and how to stop', () => {
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(demo.banner).toContain(`model: ${modelDir}, "tiny"`);
    expect(demo.banner).toContain(`training data: ${SHARED_MNIST}`);
    expect(demo.banner).toMatch(/cross-origin isolated: in-page training uses threads/);
    expect(demo.banner).toMatch(/press Ctrl-C to stop/);
  });

  test('the page, its scripts and the library bundle, with the isolation headers and their types', async () => {
    for (const [file, type] of [
      ['', 'text/html'], ['index.html', 'text/html'], ['main.js', 'text/javascript'], ['train-worker.js', 'text/javascript'],
      ['millefeuille.mjs', 'text/javascript'], ['demo.css', 'text/css'],
    ]) {
      const response = await get(`${demo.url}${file}`);
      expect([file, response.status]).toEqual([file, 200]);
      expect(response.headers.get('content-type')).toContain(type);
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const page = (await get(demo.url)).body.toString();
    expect(page).toContain('<canvas id="pad"');
  });

  test('the model named on the command line: model.json and its weights file (as model/weights.bin) exactly, never the optimizer file', async () => {
    const json = await get(`${demo.url}model/model.json`);
    expect(json.status).toBe(200);
    expect(json.body.equals(fs.readFileSync(path.join(modelDir, 'model.json')))).toBe(true);
    const weights = await get(`${demo.url}model/weights.bin`);
    expect(weights.status).toBe(200);
    const files = modelFiles(modelDir);
    expect(weights.body.equals(fs.readFileSync(files.weights))).toBe(true);
    expect(fs.existsSync(files.optimizer!)).toBe(true);
    expect((await get(`${demo.url}model/optimizer.bin`)).status).toBe(404);
    expect((await get(`${demo.url}model/${path.basename(files.optimizer!)}`)).status).toBe(404);
  });

  test('the MNIST files from the data directory nn train uses, byte for byte; other names are 404', async () => {
    const name = 't10k-labels-idx1-ubyte';
    const onDisk = fs.existsSync(path.join(SHARED_MNIST, `${name}.gz`)) ? path.join(SHARED_MNIST, `${name}.gz`) : path.join(SHARED_MNIST, name);
    const response = await get(`${demo.url}data/mnist/${name}.gz`);
    expect(response.status).toBe(200);
    expect(response.body.equals(fs.readFileSync(onDisk))).toBe(true);
    const head = await get(`${demo.url}data/mnist/${name}.gz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(fs.statSync(onDisk).size);
    expect((await get(`${demo.url}data/mnist/passwd.gz`)).status).toBe(404);
    expect((await get(`${demo.url}data/mnist/`)).status).toBe(404);
  });

  test('nothing outside the site: dot segments, encoded slashes, NUL, backslashes, symlinks', async () => {
    const attempts = [
      '/../package.json', '/..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/..%2f..%2f..%2fetc%2fpasswd',
      '/model/..%2f..%2fpackage.json', '/data/mnist/..%2f..%2f..%2fpackage.json', '/index.html%00.js', '/..%5c..%5cpackage.json',
      '/%ZZ', '//etc/passwd', 
    ];
    for (const attempt of attempts) {
      const status = await rawGet(demo.url, attempt);
      expect([attempt, [400, 403, 404].includes(status)]).toEqual([attempt, true]);
    }
    // A symbolic link placed in the site (say, by a careless packager) does not lead out of it.
    const dist = path.resolve(__dirname, '../../dist/demo');
    const link = path.join(dist, 'leak-test-link');
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.resolve(__dirname, '../../package.json'), link);
    try {
      expect((await get(`${demo.url}leak-test-link`)).status).toBe(404);
    } finally {
      fs.rmSync(link, { force: true });
    }
  });

  test('only GET and HEAD', async () => {
    const response = await get(demo.url, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  test('the same port cannot be taken twice: one line naming the port and --port', async () => {
    const port = new URL(demo.url).port;
    expectOneLineError(nn(['demo', '--port', port, modelDir]), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use; choose another with --port N`));
  });
});

describe('nn serve --no-isolation (the alias), with no MNIST', () => {
  let demo: RunningDemo;
  let empty: string;
  beforeAll(async () => {
    empty = path.join(tmp, 'no-data');
    fs.mkdirSync(empty);
    demo = await startDemo(['--no-isolation', '--data-dir', empty, modelDir], {}, 'serve');
  });
  afterAll(async () => {
    await demo?.stop();
  });

  test('no isolation headers; the banner says training will use one thread', async () => {
    const response = await get(demo.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('cross-origin-opener-policy')).toBeNull();
    expect(response.headers.get('cross-origin-embedder-policy')).toBeNull();
    expect(demo.banner).toMatch(/not cross-origin isolated \(--no-isolation\): in-page training uses one thread/);
  });

  test('missing MNIST: the banner and the 404 say how to get it; the pad still has its model', async () => {
    expect(demo.banner).toContain(`training data: MNIST is not in ${empty}`);
    expect(demo.banner).toMatch(/run "nn train mnist" once/);
    const response = await get(`${demo.url}data/mnist/train-images-idx3-ubyte.gz`);
    expect(response.status).toBe(404);
    expect(response.body.toString()).toMatch(/is not in .*run "nn train mnist" once/);
    expect((await get(`${demo.url}model/model.json`)).status).toBe(200);
  });
});

describe('nn demo (the built-in model)', () => {
  test('serves the model shipped in the package: small, with nn train\'s metadata and no optimizer state', async () => {
    const demo = await startDemo();
    try {
      expect(demo.banner).toMatch(/^model: built in, "best", test accuracy 99\.\d\d%$/m);
      const model = JSON.parse((await get(`${demo.url}model/model.json`)).body.toString());
      expect(model.metadata.run).toMatchObject({ model: 'best', seed: 1 });
      expect(model.optimizer).toBeUndefined();
      expect(model.training).toBeUndefined();
      const weights = await get(`${demo.url}model/weights.bin`);
      expect(weights.body.length).toBe(model.weights.byteLength);
      expect(weights.body.length).toBeLessThan(1_000_000);
    } finally {
      await demo.stop();
    }
  });
});

describe('ending', () => {
  test('Ctrl-C stops the server with exit code 0 and nothing on stderr', async () => {
    const demo = await startDemo([modelDir]);
    const { code, stderr } = await demo.stop();
    expect(code).toBe(0);
    expect(stderr).toBe('');
    await expect(fetch(demo.url)).rejects.toThrow();
  });

  test('nn serve is the same command', () => {
    const help = nn(['serve', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: nn demo\|serve/);
    expect(help.stdout).toMatch(/Cross-Origin-Embedder-Policy: require-corp/);
  });

  test('a model directory that is missing or not an MNIST model: one line', () => {
    expectOneLineError(nn(['demo', path.join(tmp, 'nope')]), /model directory .*nope does not exist/);
    const wrong = path.join(tmp, 'wrong-shape');
    save(new Sequential([new Affine({ units: 3 })], { inputShape: [5] }), wrong);
    expectOneLineError(nn(['demo', wrong]), /takes inputs \[5\] .*MNIST needs 28×28/);
  });

  test('a bad --port: one line', () => {
    expectOneLineError(nn(['demo', '--port', '70000']), /--port.*70000.*0–65535/);
    expectOneLineError(nn(['demo', '--port', 'http']), /--port/);
  });
});
