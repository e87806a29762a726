/**
 * Mean squared error, defined per sample and averaged over the batch (like every Loss here):
 *
 *   L = (1/N) Σₙ ½ Σⱼ (yₙⱼ − tₙⱼ)²,     dL/dy = (y − t) / N
 *
 * The ½ makes the gradient the plain residual; the sum over a sample's outputs (not their mean) keeps
 * the gradient of one output independent of how many outputs there are. Targets are a tensor of the
 * scores' shape, or class labels for [N, classes] scores (read as one-hot vectors).
 * Sums are accumulated in float64.
 */
import { MemoryOwner } from '../memory';
import { checkOptionNames } from '../options';
import { ShapeError, checkDataLength, formatShape, reuse, sizeOf, type Tensor } from '../tensor';
import type { Loss, Targets } from './loss';
import { checkTargets, isTensor } from './targets';

export class MeanSquaredError implements Loss {
  readonly kind = 'MeanSquaredError';
  /** Owns this loss's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('MeanSquaredError');
  private scores: Tensor | undefined;
  private targets: Targets | undefined;
  private dScores: Tensor | undefined;

  constructor(options: Record<string, never> = {}) {
    checkOptionNames('MeanSquaredError', options, []);
  }

  forward(scores: Tensor, targets: Targets): number {
    this.memory.assertLive();
    const n = scores.shape[0];
    checkDataLength('MeanSquaredError scores', scores);
    if (scores.shape.length < 2 || !(n >= 1) || scores.data.length !== sizeOf(scores.shape) || scores.data.length === 0) {
      throw new ShapeError(`MeanSquaredError: expected scores [N, …] with N ≥ 1 and no empty axis, got ${formatShape(scores.shape)}`);
    }
    const width = scores.data.length / n;
    const labels = checkTargets(targets, n, width, scores.shape, this.kind);
    if (labels !== undefined && scores.shape.length !== 2) {
      throw new ShapeError(`MeanSquaredError: class labels need scores [N, classes], got ${formatShape(scores.shape)}`);
    }
    const y = scores.data;
    let total = 0;
    if (labels === undefined) {
      const t = (targets as Tensor).data;
      for (let i = 0; i < y.length; i++) {
        const r = y[i] - t[i];
        total += r * r;
      }
    } else {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < width; j++) {
          const r = y[i * width + j] - (j === labels[i] ? 1 : 0);
          total += r * r;
        }
      }
    }
    this.scores = scores;
    this.targets = targets;
    return (0.5 * total) / n;
  }

  backward(): Tensor {
    this.memory.assertLive();
    const scores = this.scores;
    const targets = this.targets;
    if (scores === undefined || targets === undefined) throw new Error('MeanSquaredError.backward called before forward');
    const n = scores.shape[0];
    const width = scores.data.length / n;
    const d = (this.dScores = reuse(this.dScores, scores.shape, this.memory)).data;
    const y = scores.data;
    if (isTensor(targets)) {
      const t = (targets as Tensor).data;
      for (let i = 0; i < y.length; i++) d[i] = (y[i] - t[i]) / n;
    } else {
      const labels = targets;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < width; j++) d[i * width + j] = (y[i * width + j] - (j === labels[i] ? 1 : 0)) / n;
      }
    }
    return this.dScores!;
  }

  /** Gives back the loss's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }

  config(): object {
    return {};
  }
}
