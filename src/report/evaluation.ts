/**
 * What a classifier's evaluation shows a person: the confusion matrix, precision and recall per class, and
 * its worst mistakes — the wrong answers it was most sure of. Pure functions of the scores and labels.
 *
 *   precision(c) = right answers c / answers c        (of the images called c, how many are c)
 *   recall(c)    = right answers c / images of class c (of the images of c, how many were found)
 *
 * A class nobody predicted has no precision (NaN, shown as "–"), one without images no recall.
 */
import { OptionError } from '../errors';
import { predict } from '../net/train';
import type { Sequential } from '../net/sequential';
import { formatShape, type Tensor } from '../tensor';

export interface ClassMetrics {
  /** The class index. */
  label: number;
  /** Images of this class (the confusion row's sum). */
  support: number;
  /** Images predicted as this class (the column's sum). */
  predictedCount: number;
  precision: number;
  recall: number;
  /** Harmonic mean of precision and recall (NaN if either is). */
  f1: number;
}

/** One misclassified sample. */
export interface Mistake {
  /** Its row in the evaluated data (and in the images given to the report). */
  index: number;
  label: number;
  predicted: number;
  /** The softmax probability of the predicted class: how sure the model was of its wrong answer. */
  probability: number;
  /** The probability it gave the right class. */
  labelProbability: number;
}

export interface ClassificationEvaluation {
  samples: number;
  correct: number;
  accuracy: number;
  /** Mean cross-entropy of the softmax of the scores (float64). */
  loss: number;
  classes: number;
  /** confusion[t][p]: samples of class t predicted as p. */
  confusion: number[][];
  perClass: ClassMetrics[];
  /** The `worst` most confident mistakes, most confident first. */
  worst: Mistake[];
}

export interface EvaluationOptions {
  /** How many mistakes to keep (default 32). */
  worst?: number;
}

export const DEFAULT_WORST_COUNT = 32;

/**
 * Summarises raw scores [N, C] (logits; the softmax is applied here) against class labels. The predicted class
 * is the first maximum of a row, as `argmaxRows` picks it, so the numbers agree with `evaluate`.
 */
export function classificationEvaluation(scores: Tensor, labels: Int32Array, options: EvaluationOptions = {}): ClassificationEvaluation {
  if (scores.shape.length !== 2) throw new OptionError(`classificationEvaluation: scores must be [N, classes], got ${formatShape(scores.shape)}`);
  const [n, classes] = scores.shape;
  if (labels.length !== n) throw new OptionError(`classificationEvaluation: ${labels.length} labels for ${n} rows of scores`);
  if (n === 0) throw new OptionError('classificationEvaluation: no samples to evaluate');
  const worstCount = options.worst ?? DEFAULT_WORST_COUNT;
  if (!Number.isInteger(worstCount) || worstCount < 0) throw new OptionError(`classificationEvaluation: option "worst" must be a non-negative integer, got ${worstCount}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= classes) {
      throw new OptionError(`classificationEvaluation: label ${labels[i]} of sample ${i} is not a class index 0..${classes - 1}`);
    }
  }
  const probabilities = softmaxRows(scores);
  const predicted = new Int32Array(n);
  let lossSum = 0;
  const mistakes: Mistake[] = [];
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores.data[row + c] > scores.data[row + best]) best = c;
    predicted[i] = best;
    const label = labels[i];
    lossSum -= Math.log(Math.max(probabilities[row + label], Number.MIN_VALUE));
    if (best !== label) {
      mistakes.push({ index: i, label, predicted: best, probability: probabilities[row + best], labelProbability: probabilities[row + label] });
    }
  }
  const confusion = confusionMatrix(labels, predicted, classes);
  return {
    samples: n,
    correct: n - mistakes.length,
    accuracy: (n - mistakes.length) / n,
    loss: lossSum / n,
    classes,
    confusion,
    perClass: classMetrics(confusion),
    worst: worstMistakes(mistakes, worstCount),
  };
}

/** Scores, predictions and the summary of a net on (x, labels), in inference mode and in batches. */
export function evaluateClassifier(net: Sequential, x: Tensor, labels: Int32Array, options: EvaluationOptions & { batchSize?: number } = {}): ClassificationEvaluation {
  return classificationEvaluation(predict(net, x, options.batchSize ?? 256), labels, { worst: options.worst });
}

/** confusion[t][p] = the number of samples with label t predicted as p. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  if (labels.length !== predicted.length) throw new OptionError(`confusionMatrix: ${labels.length} labels but ${predicted.length} predictions`);
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predicted[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) throw new OptionError(`confusionMatrix: sample ${i} has label ${t} and prediction ${p}, outside 0..${classes - 1}`);
    matrix[t][p]++;
  }
  return matrix;
}

/** Precision, recall, F1 and counts of every class from a confusion matrix (rows true, columns predicted). */
export function classMetrics(confusion: readonly (readonly number[])[]): ClassMetrics[] {
  return confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((sum, r) => sum + r[c], 0);
    const right = row[c];
    const precision = predictedCount > 0 ? right / predictedCount : NaN;
    const recall = support > 0 ? right / support : NaN;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : Number.isNaN(precision + recall) ? NaN : 0;
    return { label: c, support, predictedCount, precision, recall, f1 };
  });
}

/** The `count` most confident mistakes: highest probability of the wrong class first, then the lower index. */
export function worstMistakes(mistakes: readonly Mistake[], count: number): Mistake[] {
  return [...mistakes].sort((a, b) => b.probability - a.probability || a.index - b.index).slice(0, count);
}

/** Row-wise softmax of [N, C] scores in float64, with the max subtracted (any logit size is safe). */
export function softmaxRows(scores: Tensor): Float64Array {
  const [n, classes] = scores.shape;
  const out = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, scores.data[row + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(scores.data[row + c] - max);
      out[row + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) out[row + c] /= sum;
  }
  return out;
}
