/**
 * The evaluation the report draws: confusion counts, precision/recall and the worst-mistake selection,
 * checked on hand-computed examples and against plain recounts on random data.
 */
import fc from 'fast-check';
import { argmaxRows } from '../../src/net/train';
import { tensor } from '../../src/tensor';
import {
  classMetrics, classificationEvaluation, confusionMatrix, softmaxRows, worstMistakes, type Mistake,
} from '../../src/report/evaluation';
import { OptionError } from '../../src/errors';

describe('confusionMatrix and classMetrics', () => {
  test('a hand-counted 3-class example', () => {
    const labels = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    const predicted = [0, 0, 1, 1, 2, 2, 2, 2, 0];
    const confusion = confusionMatrix(labels, predicted, 3);
    expect(confusion).toEqual([[2, 1, 0], [0, 1, 1], [1, 0, 3]]);
    const m = classMetrics(confusion);
    // class 0: called 0 three times (2 right) → precision 2/3; 3 images of 0, 2 found → recall 2/3
    expect(m[0]).toEqual({ label: 0, support: 3, predictedCount: 3, precision: 2 / 3, recall: 2 / 3, f1: 2 / 3 });
    // class 1: called 1 twice (1 right); 2 images of 1 (1 found)
    expect(m[1].precision).toBe(0.5);
    expect(m[1].recall).toBe(0.5);
    // class 2: called 2 four times (3 right); 4 images (3 found)
    expect(m[2].precision).toBe(0.75);
    expect(m[2].recall).toBe(0.75);
  });

  test('a class never predicted has no precision; a class without images has no recall', () => {
    const m = classMetrics([[3, 0, 0], [1, 0, 0], [0, 0, 0]]);
    expect(m[1].precision).toBeNaN();
    expect(m[1].recall).toBe(0);
    expect(m[1].f1).toBeNaN();
    expect(m[2].recall).toBeNaN();
    expect(m[0].precision).toBe(0.75);
  });

  test('labels and predictions out of range are refused', () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(OptionError);
    expect(() => confusionMatrix([0], [0, 1], 3)).toThrow(/1 labels but 2 predictions/);
  });

  test('on random data the counts add up: rows sum to support, columns to answers, the diagonal to the right ones', () => {
    fc.assert(fc.property(
      fc.integer({ min: 2, max: 6 }).chain((k) => fc.tuple(fc.constant(k), fc.array(fc.tuple(fc.nat(k - 1), fc.nat(k - 1)), { minLength: 1, maxLength: 60 }))),
      ([k, pairs]) => {
        const confusion = confusionMatrix(pairs.map((p) => p[0]), pairs.map((p) => p[1]), k);
        const metrics = classMetrics(confusion);
        for (let c = 0; c < k; c++) {
          expect(metrics[c].support).toBe(pairs.filter((p) => p[0] === c).length);
          expect(metrics[c].predictedCount).toBe(pairs.filter((p) => p[1] === c).length);
          expect(confusion[c][c]).toBe(pairs.filter((p) => p[0] === c && p[1] === c).length);
        }
        expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(pairs.length);
      },
    ), { numRuns: 100 });
  });
});

describe('softmaxRows', () => {
  test('rows sum to 1 and huge logits stay finite', () => {
    const p = softmaxRows(tensor([2, 3], [0, Math.log(2), Math.log(3), 1000, 1000, -1000]));
    expect(p[0]).toBeCloseTo(1 / 6, 7); // the logits are float32: log 2 and log 3 are rounded
    expect(p[1]).toBeCloseTo(2 / 6, 7);
    expect(p[2]).toBeCloseTo(3 / 6, 7);
    expect(p[3]).toBeCloseTo(0.5, 12);
    expect(p[5]).toBe(0);
  });
});

describe('classificationEvaluation', () => {
  // 5 samples, 3 classes. Sample 1 (label 0) and 3 (label 2) are wrong; sample 3 is the more confident mistake.
  const scores = tensor([5, 3], [
    3, 0, 0, // 0 → 0
    0, 2, 0, // 0 → 1, p(1) = e²/(e²+2)
    0, 0, 1, // 2 → 2
    0, 5, 0, // 2 → 1, p(1) = e⁵/(e⁵+2)
    0, 0, 0, // 1 → 0 (ties go to the first class, as argmaxRows does) — a third mistake, p = 1/3
  ]);
  const labels = Int32Array.from([0, 0, 2, 2, 1]);

  test('accuracy, loss, confusion and the mistakes by confidence', () => {
    const e = classificationEvaluation(scores, labels);
    expect(e.samples).toBe(5);
    expect(e.correct).toBe(2);
    expect(e.accuracy).toBe(0.4);
    expect(e.confusion).toEqual([[1, 1, 0], [1, 0, 0], [0, 1, 1]]);
    expect(e.worst.map((m) => m.index)).toEqual([3, 1, 4]);
    expect(e.worst[0]).toMatchObject({ index: 3, label: 2, predicted: 1 });
    expect(e.worst[0].probability).toBeCloseTo(Math.exp(5) / (Math.exp(5) + 2), 12);
    expect(e.worst[0].labelProbability).toBeCloseTo(1 / (Math.exp(5) + 2), 12);
    expect(e.worst[2].probability).toBeCloseTo(1 / 3, 12);
    const p = (row: number[], label: number) => Math.exp(row[label]) / row.reduce((s, v) => s + Math.exp(v), 0);
    const expectedLoss = -[
      p([3, 0, 0], 0), p([0, 2, 0], 0), p([0, 0, 1], 2), p([0, 5, 0], 2), p([0, 0, 0], 1),
    ].reduce((s, v) => s + Math.log(v), 0) / 5;
    expect(e.loss).toBeCloseTo(expectedLoss, 12);
  });

  test('predictions agree with argmaxRows, and "worst" limits the list', () => {
    const e = classificationEvaluation(scores, labels, { worst: 2 });
    const predicted = argmaxRows(scores);
    expect(e.confusion).toEqual(confusionMatrix(labels, predicted, 3));
    expect(e.worst.map((m) => m.index)).toEqual([3, 1]);
    expect(classificationEvaluation(scores, labels, { worst: 0 }).worst).toEqual([]);
  });

  test('bad input: named errors', () => {
    expect(() => classificationEvaluation(tensor([2, 3]), Int32Array.from([0]))).toThrow(/1 labels for 2 rows/);
    expect(() => classificationEvaluation(tensor([1, 3]), Int32Array.from([3]))).toThrow(OptionError);
    expect(() => classificationEvaluation(tensor([6]), Int32Array.from([0]))).toThrow(/must be \[N, classes\]/);
    expect(() => classificationEvaluation(tensor([1, 3]), Int32Array.from([0]), { worst: -1 })).toThrow(OptionError);
  });
});

describe('worstMistakes', () => {
  test('most confident first; equal confidence in index order; never more than asked', () => {
    const m = (index: number, probability: number): Mistake => ({ index, label: 0, predicted: 1, probability, labelProbability: 0 });
    const picked = worstMistakes([m(4, 0.5), m(1, 0.9), m(7, 0.9), m(2, 0.6)], 3);
    expect(picked.map((x) => x.index)).toEqual([1, 7, 2]);
  });

  test('on random scores: exactly the wrong samples, sorted, the top k of them', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.array(fc.float({ min: -5, max: 5, noNaN: true }), { minLength: 4, maxLength: 4 }), fc.nat(3)), { minLength: 1, maxLength: 40 }),
      fc.nat(10),
      (rows, k) => {
        const scores = tensor([rows.length, 4], rows.flatMap((r) => r[0]));
        const labels = Int32Array.from(rows.map((r) => r[1]));
        const e = classificationEvaluation(scores, labels, { worst: k });
        const predicted = argmaxRows(scores);
        const wrong = [...labels.keys()].filter((i) => predicted[i] !== labels[i]);
        expect(e.samples - e.correct).toBe(wrong.length);
        expect(e.worst.length).toBe(Math.min(k, wrong.length));
        for (const mistake of e.worst) expect(wrong).toContain(mistake.index);
        for (let i = 1; i < e.worst.length; i++) expect(e.worst[i - 1].probability).toBeGreaterThanOrEqual(e.worst[i].probability);
        // nothing left out was more confident than the last one kept
        if (e.worst.length > 0) {
          const kept = new Set(e.worst.map((x) => x.index));
          const probs = softmaxRows(scores);
          const floor = e.worst[e.worst.length - 1].probability;
          for (const i of wrong) if (!kept.has(i)) expect(probs[i * 4 + predicted[i]]).toBeLessThanOrEqual(floor);
        }
      },
    ), { numRuns: 100 });
  });
});
