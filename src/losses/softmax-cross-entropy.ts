/**
 * Softmax followed by cross-entropy, fused (ARCHITECTURE §4).
 *
 *   pₙ = softmax(zₙ),   L = −(1/N) Σₙ Σⱼ tₙⱼ · log pₙⱼ,   dL/dzₙ = (Σⱼ tₙⱼ · pₙ − tₙ) / N
 *
 * With class labels t is one-hot, so L = (1/N) Σₙ (logsumexp(zₙ) − zₙ,labelₙ) and dz = (p − onehot)/N.
 * Fusing the two avoids the log of an underflowed probability: log pⱼ = zⱼ − m − log Σ exp(zₖ − m)
 * with m = max z, so the exponentials are ≤ 1 and the loss stays finite for logits of any size.
 * The per-row sums are accumulated in float64.
 */
import { MemoryOwner } from '../memory';
import { checkOptionNames } from '../options';
import { ShapeError, checkDataLength, formatShape, reuse, type Tensor } from '../tensor';
import type { Loss, Targets } from './loss';
import { checkTargets, isTensor } from './targets';

export class SoftmaxCrossEntropy implements Loss {
  readonly kind = 'SoftmaxCrossEntropy';
  /** Owns this loss's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('SoftmaxCrossEntropy');
  private probs: Tensor | undefined;
  private dScores: Tensor | undefined;
  private targets: Targets | undefined;
  private exps: Float64Array | undefined;

  constructor(options: Record<string, never> = {}) {
    checkOptionNames('SoftmaxCrossEntropy', options, []);
  }

  forward(scores: Tensor, targets: Targets): number {
    this.memory.assertLive();
    if (scores.shape.length !== 2 || scores.shape[0] < 1 || scores.shape[1] < 1) {
      throw new ShapeError(`SoftmaxCrossEntropy: expected scores [N, classes] with N, classes ≥ 1, got ${formatShape(scores.shape)}`);
    }
    checkDataLength('SoftmaxCrossEntropy scores', scores);
    const [n, classes] = scores.shape;
    const labels = checkTargets(targets, n, classes, scores.shape, this.kind);
    const z = scores.data;
    const p = (this.probs = reuse(this.probs, scores.shape, this.memory)).data;
    const e = this.rowExp(classes);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const row = i * classes;
      let max = -Infinity;
      for (let j = 0; j < classes; j++) if (z[row + j] > max) max = z[row + j];
      // One exp per element: pⱼ = exp(zⱼ − m) / Σ exp(zₖ − m), the exponentials kept in float64 between the
      // two loops (Math.exp is most of this loop's time: two per element cost ~15 µs more a step on the MLP).
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += e[j] = Math.exp(z[row + j] - max);
      const logSumExp = max + Math.log(sum);
      for (let j = 0; j < classes; j++) p[row + j] = e[j] / sum;
      if (labels !== undefined) {
        total += logSumExp - z[row + labels[i]];
      } else {
        const t = (targets as Tensor).data;
        // −Σ t·log p = Σ t·(logsumexp − z); exact even where p underflows to 0.
        for (let j = 0; j < classes; j++) if (t[row + j] !== 0) total += t[row + j] * (logSumExp - z[row + j]);
      }
    }
    this.targets = targets;
    return total / n;
  }

  /** A float64 row of `classes` values, kept between calls (the exponentials of one row of scores). */
  private rowExp(classes: number): Float64Array {
    if (this.exps === undefined || this.exps.length < classes) this.exps = new Float64Array(classes);
    return this.exps;
  }

  backward(): Tensor {
    this.memory.assertLive();
    const probs = this.probs;
    const targets = this.targets;
    if (probs === undefined || targets === undefined) throw new Error('SoftmaxCrossEntropy.backward called before forward');
    const [n, classes] = probs.shape;
    const d = (this.dScores = reuse(this.dScores, probs.shape, this.memory)).data;
    const p = probs.data;
    if (isTensor(targets)) {
      const t = targets.data;
      for (let i = 0; i < n; i++) {
        const row = i * classes;
        let mass = 0;
        for (let j = 0; j < classes; j++) mass += t[row + j];
        for (let j = 0; j < classes; j++) d[row + j] = (mass * p[row + j] - t[row + j]) / n;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const row = i * classes;
        for (let j = 0; j < classes; j++) d[row + j] = p[row + j] / n;
        d[row + targets[i]] -= 1 / n;
      }
    }
    return this.dScores!;
  }

  /** The softmax probabilities of the last forward ([N, classes]; valid until the next forward). */
  probabilities(): Tensor {
    if (this.probs === undefined) throw new Error('SoftmaxCrossEntropy.probabilities called before forward');
    return this.probs;
  }

  /** Gives back the loss's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }

  config(): object {
    return {};
  }
}
