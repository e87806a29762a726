/** The messages between the page and its training Worker (structured-cloned; arrays are transferred). */

export interface TrainSettings {
  /** Compute threads for the kernels (1 unless the page is cross-origin isolated). */
  threads: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Training images used (the first N of the training file). */
  trainCount: number;
  /** Test images the live accuracy is measured on (the first N of the test file). */
  testCount: number;
  /** Stop by itself after this many epochs. */
  epochs: number;
}

export type ToWorker = { type: 'start'; settings: TrainSettings } | { type: 'stop' };

export type FromWorker =
  | { type: 'status'; text: string }
  | {
      type: 'started';
      threads: number;
      /** Why fewer threads than asked for run, or ''. */
      threadNote: string;
      backend: string;
      trainCount: number;
      testCount: number;
      normalization: { mean: number; std: number };
      /** The seed of the net (the page builds the same architecture for the pad). */
      seed: number;
    }
  /** New batch losses since the last message; x in epochs (epoch − 1 + batch / batchesPerEpoch). */
  | { type: 'progress'; x: number[]; loss: number[]; epoch: number; epochs: number; samplesSeen: number; samplesPerSecond: number }
  | { type: 'accuracy'; x: number; accuracy: number }
  /** Every param, then every buffer, in the net's order: the pad copies them into its own net. */
  | { type: 'weights'; values: Float32Array[] }
  | { type: 'stopped'; reason: 'stopped' | 'finished'; samplesSeen: number; seconds: number }
  | { type: 'error'; message: string };
