/**
 * The training Worker: fetches MNIST from the server, trains a SimpleConvNet (the model zoo's "cnn":
 * conv 30@5×5 → ReLU → MaxPool 2 → Affine 100 → ReLU → Affine 10) with Adam, and reports to the page:
 * every batch's loss (a few times a second), the accuracy on held-out test images (every ~2 s), the
 * throughput, and a copy of the weights (every second) for the drawing pad. Training runs here, off the
 * page's thread, so drawing stays responsive; with cross-origin isolation the kernels use threads of
 * their own (Workers sharing this Worker's wasm memory).
 */
import { Adam, SoftmaxCrossEntropy, TrainingRecorder, buildMnistModel, evaluate, fit, kernelBackend, setThreads, threadsReady, type BatchInfo, type Tensor } from './lib';
import { fetchMnistSplit } from './mnist-data';
import type { FromWorker, ToWorker, TrainSettings } from './protocol';

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

const REPORT_EVERY_MS = 200;
const ACCURACY_EVERY_MS = 2000;
const WEIGHTS_EVERY_MS = 1000;

let controller: AbortController | undefined;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'stop') controller?.abort();
  else if (message.type === 'start' && controller === undefined) {
    controller = new AbortController();
    train(message.settings, controller.signal).catch((e: unknown) => {
      scope.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    }).finally(() => {
      controller = undefined;
    });
  }
};

async function train(settings: TrainSettings, signal: AbortSignal): Promise<void> {
  let threads = settings.threads;
  let threadNote = '';
  if (threads > 1) {
    try {
      setThreads(threads);
      await threadsReady(); // Web Workers start only once this one yields; wait, or the first batches run alone
    } catch (e) {
      // Training still works on one thread; say why there are no more.
      threadNote = ` (${threads} threads are not possible here: ${e instanceof Error ? e.message : String(e)})`;
      threads = 1;
    }
  }
  scope.postMessage({ type: 'status', text: 'loading MNIST…' });
  const [trainSplit, testSplit] = await Promise.all([fetchMnistSplit('train', settings.trainCount), fetchMnistSplit('t10k', settings.testCount)]);
  const trainCount = Math.min(settings.trainCount, trainSplit.count);
  const testCount = Math.min(settings.testCount, testSplit.count);
  const pixels = trainSplit.rows * trainSplit.cols;
  const normalization = pixelStats(trainSplit.pixels.subarray(0, trainCount * pixels));
  const train = { x: toTensor(trainSplit.pixels, trainCount, trainSplit.rows, trainSplit.cols, normalization), y: toLabels(trainSplit.labels, trainCount) };
  const test = { x: toTensor(testSplit.pixels, testCount, testSplit.rows, testSplit.cols, normalization), y: toLabels(testSplit.labels, testCount) };

  const net = buildMnistModel('cnn', settings.seed);
  const loss = new SoftmaxCrossEntropy();
  const optimizer = new Adam({ lr: settings.lr });
  scope.postMessage({ type: 'started', threads, threadNote, backend: kernelBackend(), trainCount, testCount, normalization, seed: settings.seed });

  const recorder = new TrainingRecorder();
  let sent = 0;
  const started = performance.now();
  let lastReport = started, lastAccuracy = started, lastWeights = started;
  // samples/s over the last few seconds: (time, samples seen) marks.
  const marks: [number, number][] = [[started, 0]];
  let seenBefore = 0; // samples of the epochs already finished
  let samplesSeen = 0;
  const sendWeights = (): void => {
    const values = [...net.params().map((p) => p.value.slice()), ...net.buffers().map((b) => b.value.slice())];
    scope.postMessage({ type: 'weights', values }, values.map((v) => v.buffer));
  };
  const onBatch = (info: BatchInfo): void => {
    recorder.onBatch(info);
    samplesSeen = seenBefore + info.samplesSeen;
    if (info.batch === info.batchesPerEpoch) seenBefore += info.samplesPerEpoch;
    const now = performance.now();
    if (now - lastReport >= REPORT_EVERY_MS || info.batch === info.batchesPerEpoch) {
      lastReport = now;
      marks.push([now, samplesSeen]);
      while (marks.length > 2 && now - marks[0][0] > 3000) marks.shift();
      const [t0, s0] = marks[0];
      const { x, loss: losses } = recorder.records;
      scope.postMessage({
        type: 'progress', x: x.slice(sent), loss: losses.slice(sent), epoch: info.epoch, epochs: info.epochs, samplesSeen,
        samplesPerSecond: now > t0 ? ((samplesSeen - s0) * 1000) / (now - t0) : 0,
      });
      sent = x.length;
    }
    if (now - lastAccuracy >= ACCURACY_EVERY_MS) {
      lastAccuracy = now;
      const position = info.epoch - 1 + info.batch / info.batchesPerEpoch;
      scope.postMessage({ type: 'accuracy', x: position, accuracy: evaluate(net, loss, test, 500).accuracy });
      marks.push([performance.now(), samplesSeen]); // the evaluation's time is not training time
      marks.splice(0, marks.length - 1);
    }
    if (now - lastWeights >= WEIGHTS_EVERY_MS) {
      lastWeights = now;
      sendWeights();
    }
  };
  const history = await fit(net, loss, optimizer, train, {
    epochs: settings.epochs, batchSize: settings.batchSize, seed: settings.seed, signal, onBatch,
  });
  sendWeights();
  const epochsDone = history.loss.length;
  scope.postMessage({ type: 'accuracy', x: recorder.records.x[recorder.records.x.length - 1] ?? epochsDone, accuracy: evaluate(net, loss, test, 500).accuracy });
  scope.postMessage({
    type: 'stopped', reason: history.stopReason === 'aborted' ? 'stopped' : 'finished', samplesSeen,
    seconds: (performance.now() - started) / 1000,
  });
}

/** Mean and standard deviation of p / 255 over the pixels (the "standardize" of nn train). */
function pixelStats(pixels: Uint8Array): { mean: number; std: number } {
  const histogram = new Float64Array(256);
  for (let i = 0; i < pixels.length; i++) histogram[pixels[i]]++;
  let sum = 0, squares = 0;
  for (let v = 0; v < 256; v++) sum += (histogram[v] * v) / 255;
  const mean = sum / pixels.length;
  for (let v = 0; v < 256; v++) squares += histogram[v] * (v / 255 - mean) ** 2;
  const std = Math.sqrt(squares / pixels.length);
  return { mean, std: std > 0 ? std : 1 };
}

function toTensor(pixels: Uint8Array, count: number, rows: number, cols: number, norm: { mean: number; std: number }): Tensor {
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = (v / 255 - norm.mean) / norm.std;
  const data = new Float32Array(count * rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = table[pixels[i]];
  return { shape: [count, 1, rows, cols], data };
}

function toLabels(labels: Uint8Array, count: number): Int32Array {
  return Int32Array.from(labels.subarray(0, count));
}
