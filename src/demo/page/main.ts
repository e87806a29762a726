/**
 * The demo page: the drawing pad with its live prediction, and in-page training in a Worker with a live
 * chart. The pad classifies with the served model (model/) until training sends its first weights, then
 * with the model being trained (a choice the person can change back).
 */
import { PALETTE, batchCurves, buildMnistModel, lineChart, type BatchRecords } from './lib';
import { argmax, classify, fetchModel, type Normalization, type PadModel } from './model';
import { DrawingPad } from './pad';
import { MNIST_SIDE, inkFromRgba, toMnistPixels } from './preprocess';
import type { FromWorker, TrainSettings } from './protocol';

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
};

/**
 * In-page training: the zoo's SimpleConvNet with Adam at lr 1e-3 (the zoo's 2e-3 overshoots in the first
 * dozen batches before it settles: a poor show for the first seconds), batches of 100, seed 1.
 */
const TRAINING: Omit<TrainSettings, 'threads' | 'trainCount'> = { batchSize: 100, lr: 1e-3, seed: 1, testCount: 1000, epochs: 50 };

const state: {
  served?: PadModel;
  trained?: PadModel;
  use: 'served' | 'trained';
  worker?: Worker;
  records: BatchRecords;
  accuracy: [number, number][];
  chartQueued: boolean;
} = { use: 'served', records: { x: [], loss: [], lr: [] }, accuracy: [], chartQueued: false };

const pad = new DrawingPad($<HTMLCanvasElement>('pad'), () => showPrediction());
const preview = $<HTMLCanvasElement>('preview').getContext('2d')!;

// ---------------------------------------------------------------------------------------------- the pad

function currentModel(): PadModel | undefined {
  return state.use === 'trained' && state.trained ? state.trained : state.served;
}

function showPrediction(): void {
  const pixels = toMnistPixels(inkFromRgba(pad.pixels()), pad.canvas.width, pad.canvas.height);
  drawPreview(pixels);
  const model = currentModel();
  const rows = document.querySelectorAll<HTMLElement>('#probabilities li');
  const predicted = $('predicted-class');
  if (pixels === undefined || model === undefined) {
    predicted.textContent = '–';
    delete predicted.dataset.class;
    rows.forEach((row) => setBar(row, 0));
    return;
  }
  const probabilities = classify(model, pixels);
  const best = argmax(probabilities);
  predicted.textContent = String(best);
  predicted.dataset.class = String(best);
  rows.forEach((row, k) => {
    setBar(row, probabilities[k]);
    row.classList.toggle('best', k === best);
  });
}

function setBar(row: HTMLElement, p: number): void {
  row.querySelector<HTMLElement>('.bar')!.style.width = `${(100 * p).toFixed(1)}%`;
  row.querySelector<HTMLElement>('.value')!.textContent = p.toFixed(3);
  row.dataset.p = String(p);
}

/** What the network sees: the 28×28 image made from the drawing. */
function drawPreview(pixels: Uint8Array | undefined): void {
  const image = preview.createImageData(MNIST_SIDE, MNIST_SIDE);
  for (let i = 0; i < MNIST_SIDE * MNIST_SIDE; i++) {
    const v = pixels ? pixels[i] : 0;
    image.data.set([v, v, v, 255], 4 * i);
  }
  preview.putImageData(image, 0, 0);
}

function buildProbabilityRows(): void {
  const list = $('probabilities');
  for (let k = 0; k < 10; k++) {
    const row = document.createElement('li');
    row.innerHTML = `<span class="digit">${k}</span><span class="track"><span class="bar"></span></span><span class="value">0.000</span>`;
    list.append(row);
  }
}

function showModelChoice(): void {
  const label = $('model-name');
  const which = state.use === 'trained' && state.trained ? state.trained : state.served;
  label.textContent = which ? `${which === state.trained ? 'the model being trained' : 'served model'}: ${which.description}` : 'no model';
  const choice = $<HTMLSelectElement>('model-choice');
  choice.value = state.use;
  choice.querySelector<HTMLOptionElement>('option[value="trained"]')!.disabled = state.trained === undefined;
  document.body.dataset.padModel = state.use === 'trained' && state.trained ? 'trained' : 'served';
}

// ------------------------------------------------------------------------------------------ training

function threadChoices(): number[] {
  if (!globalThis.crossOriginIsolated) return [1];
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  return Array.from({ length: Math.min(cores, 8) }, (_, i) => i + 1);
}

function startTraining(): void {
  if (state.worker) return;
  const threads = Number($<HTMLSelectElement>('threads').value) || 1;
  const trainCount = Number($<HTMLSelectElement>('train-count').value) || 10000;
  state.records = { x: [], loss: [], lr: [] };
  state.accuracy = [];
  const worker = new Worker('train-worker.js', { type: 'module' }); // next to index.html
  state.worker = worker;
  worker.onmessage = (event: MessageEvent<FromWorker>) => onWorkerMessage(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    finishTraining(`the training Worker failed: ${event.message}`);
  };
  worker.postMessage({ type: 'start', settings: { ...TRAINING, threads, trainCount } });
  $<HTMLButtonElement>('start').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  $<HTMLSelectElement>('threads').disabled = true;
  $<HTMLSelectElement>('train-count').disabled = true;
  document.body.dataset.training = 'running';
  setStatus('starting…');
  queueChart();
}

let trainedNormalization: Normalization | undefined;

function onWorkerMessage(message: FromWorker): void {
  switch (message.type) {
    case 'status':
      setStatus(message.text);
      break;
    case 'started':
      trainedNormalization = message.normalization;
      setStat('stat-threads', `${message.threads} (${message.backend} kernels)`);
      setStatus(`training a SimpleConvNet on ${message.trainCount.toLocaleString('en-US')} MNIST images; accuracy on ${message.testCount.toLocaleString('en-US')} test images${message.threadNote}`);
      break;
    case 'progress': {
      state.records.x.push(...message.x);
      state.records.loss.push(...message.loss);
      state.records.lr.push(...message.x.map(() => TRAINING.lr));
      setStat('stat-rate', Math.round(message.samplesPerSecond).toLocaleString('en-US'));
      setStat('stat-seen', message.samplesSeen.toLocaleString('en-US'));
      setStat('stat-epoch', `${message.epoch} of ${message.epochs}`);
      const recent = state.records.loss.slice(-50);
      const meanLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
      setStat('stat-loss', meanLoss.toFixed(4));
      document.body.dataset.loss = String(meanLoss);
      document.body.dataset.firstLoss ??= String(state.records.loss.slice(0, 10).reduce((a, b) => a + b, 0) / Math.min(10, state.records.loss.length));
      queueChart();
      break;
    }
    case 'accuracy':
      state.accuracy.push([message.x, message.accuracy]);
      setStat('stat-accuracy', `${(100 * message.accuracy).toFixed(1)} %`);
      queueChart();
      break;
    case 'weights': {
      if (trainedNormalization === undefined) break;
      if (state.trained === undefined) {
        state.trained = { net: buildMnistModel('cnn', TRAINING.seed), normalization: trainedNormalization, description: '' };
        state.use = 'trained'; // the pad follows the training from its first weights on
      }
      const targets = [...state.trained.net.params().map((p) => p.value), ...state.trained.net.buffers().map((b) => b.value)];
      message.values.forEach((values, i) => targets[i].set(values));
      state.trained.description = `SimpleConvNet, ${Number($('stat-seen').textContent?.replace(/,/g, '') || 0).toLocaleString('en-US')} samples seen`;
      showModelChoice();
      showPrediction();
      break;
    }
    case 'stopped':
      finishTraining(`${message.reason === 'stopped' ? 'stopped' : 'finished'} after ${message.samplesSeen.toLocaleString('en-US')} samples in ${message.seconds.toFixed(1)} s`);
      break;
    case 'error':
      finishTraining(`training failed: ${message.message}`);
      break;
  }
}

function stopTraining(): void {
  state.worker?.postMessage({ type: 'stop' });
  $<HTMLButtonElement>('stop').disabled = true;
  setStatus('stopping…');
}

function finishTraining(text: string): void {
  state.worker?.terminate();
  state.worker = undefined;
  $<HTMLButtonElement>('start').disabled = false;
  $<HTMLButtonElement>('stop').disabled = true;
  $<HTMLSelectElement>('threads').disabled = threadChoices().length === 1;
  $<HTMLSelectElement>('train-count').disabled = false;
  document.body.dataset.training = 'stopped';
  setStatus(text);
}

function setStat(id: string, text: string): void {
  $(id).textContent = text;
}

function setStatus(text: string): void {
  $('status').textContent = text;
}

/** Redraws the charts at most a few times a second (an SVG string per chart, replaced whole). */
function queueChart(): void {
  if (state.chartQueued) return;
  state.chartQueued = true;
  setTimeout(() => {
    state.chartQueued = false;
    const curves = batchCurves(state.records, 300);
    $('loss-chart').innerHTML = lineChart({
      title: 'training loss', xLabel: 'epochs', width: 420, height: 240, yScale: 'log',
      series: [
        { name: 'batch loss', points: curves.loss, color: PALETTE[0], opacity: 0.3, markers: false, strokeWidth: 1 },
        { name: 'moving average', points: curves.smoothed, color: PALETTE[0], markers: false },
      ],
    });
    $('accuracy-chart').innerHTML = lineChart({
      title: 'test accuracy', xLabel: 'epochs', width: 420, height: 240,
      yFormat: (v) => `${Number((100 * v).toFixed(1))} %`,
      series: [{ name: 'accuracy', points: state.accuracy, color: PALETTE[2] }],
    });
  }, 250);
}

// ---------------------------------------------------------------------------------------------- start

function setUp(): void {
  buildProbabilityRows();
  const threads = $<HTMLSelectElement>('threads');
  const choices = threadChoices();
  for (const n of choices) threads.append(new Option(String(n), String(n)));
  threads.value = String(choices.includes(4) ? 4 : choices[choices.length - 1]);
  threads.disabled = choices.length === 1;
  $('isolation').textContent = globalThis.crossOriginIsolated
    ? 'This page is cross-origin isolated: training may use threads.'
    : 'This page is not cross-origin isolated, so training runs on one thread (see docs/demo.md for the headers).';
  $('clear').addEventListener('click', () => pad.clear());
  $('start').addEventListener('click', startTraining);
  $('stop').addEventListener('click', stopTraining);
  $<HTMLSelectElement>('model-choice').addEventListener('change', (e) => {
    state.use = (e.target as HTMLSelectElement).value === 'trained' ? 'trained' : 'served';
    showModelChoice();
    showPrediction();
  });
  showModelChoice();
  queueChart();
  fetchModel('model/').then(
    (model) => {
      state.served = model;
      showModelChoice();
      showPrediction();
      document.body.dataset.ready = 'true';
    },
    (e: unknown) => {
      $('model-name').textContent = `the served model could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
      document.body.dataset.ready = 'true';
    },
  );
}

setUp();
