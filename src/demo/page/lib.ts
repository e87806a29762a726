/**
 * The one place the page's code imports the library from. The page's build (scripts/build-demo.js) does
 * not bundle these: it turns this import into `./millefeuille.mjs`, the library's browser bundle served
 * next to the page, so the page and its Worker share one copy — exactly what a page of yours would do with
 * `<script type="module">import { Sequential } from './millefeuille.mjs'</script>`.
 */
export {
  deserializeModel, predict, evaluate, fit, SoftmaxCrossEntropy, Adam, buildMnistModel,
  TrainingRecorder, batchCurves, lineChart, setThreads, threadsReady, threadStatus, kernelBackend, PALETTE,
} from '../../index';
export type { Sequential, Tensor, BatchInfo, BatchRecords } from '../../index';
