/**
 * The public gradient checker (ARCHITECTURE §7): compares each layer's backward with central finite
 * differences of its forward, for a single layer, a loss, or a whole Sequential.
 *
 * - Objective: L = Σ rᵢ·yᵢ with fixed random rᵢ ∈ [−1, 1] for a layer (or a net without a loss), so
 *   that the upstream gradient is not all ones; the real loss for a net with `loss` + `labels` and for
 *   a Loss. L is accumulated in float64 even though layers compute in float32.
 * - Numeric derivative: (L(x + ε) − L(x − ε)) / (fround(x + ε) − fround(x − ε)), ε = 1e-2: the step
 *   actually realised in float32, never the nominal 2ε.
 * - Pass iff |analytic − numeric| ≤ tol·max(1, |analytic|, |numeric|) for every checked coordinate.
 * - Kinks (ReLU at 0, a max-pool argmax change): a coordinate whose ±ε error exceeds tol/10 is
 *   re-examined at two scales, h = ε and h = max(ε/8, 1e-3):
 *   · if a central difference with step h/2 or h agrees within tol/10, the ±ε window merely crossed
 *     a kink: the coordinate counts as verified (`recheckedKinks` if its ±ε error had failed) and
 *     reports that smaller error, so a crossing never inflates maxError;
 *   · else, if at some scale the second-order one-sided differences through (x, x ± h/2, x ± h)
 *     disagree with each other (the objective is not smooth there) and the analytic value equals one
 *     of them, the coordinate is a kink: skipped (`skippedKinks`, left out of maxError) — no step
 *     can measure it better;
 *   · else the ordinary rule decides (a smaller-step agreement within tol also counts as verified).
 *   A wrong backward on a smooth objective is never excused: there both one-sided differences agree
 *   with the true derivative, so the "not smooth" test fails, and every central difference disagrees.
 *   A check that had to skip more than max(2, half) of its coordinates verified too little to mean
 *   anything, so it fails.
 * - Every param tensor (biases included) and dInput are checked; a tensor larger than
 *   `maxCoordinatesPerTensor` is sampled (seeded, without replacement).
 * - The target is frozen (setFrozen(true): a fixed Dropout mask, BatchNorm running stats untouched)
 *   for the whole check; param values and grads and every buffer are snapshotted and restored, so the
 *   model is left exactly as it was (then thawed).
 */
import type { Layer, NamedArray, Param } from '../layers/layer';
import type { Loss, Targets } from '../losses/loss';
import { OptionError, formatValue } from '../errors';
import { booleanOption, optionsObject, positiveIntegerOption, positiveOption } from '../options';
import { Rng } from '../random';
import { ShapeError, sizeOf, formatShape, type Tensor } from '../tensor';
import { Sequential } from './sequential';

export interface GradCheckOptions {
  /** Class labels or a target tensor: required for a Loss, and for a Sequential checked with `loss`. */
  labels?: Targets;
  /** For a Sequential: check L = loss(net(x), labels) instead of Σ r·y. */
  loss?: Loss;
  /** Finite-difference half-step (default 1e-2; float32 makes anything ≤ 1e-4 pure noise). */
  epsilon?: number;
  /** Mixed tolerance (default 1e-3 for a layer, 1e-2 for a loss or a net). */
  tolerance?: number;
  /** Coordinates checked per tensor; larger tensors are sampled (default 24). */
  maxCoordinatesPerTensor?: number;
  /** Seed for the objective's weights r and for the coordinate sample (default 0). */
  seed?: number;
  /** Mode passed to forward (default true: Dropout active with a frozen mask, BatchNorm batch stats). */
  training?: boolean;
}

/** One compared coordinate. `error` is the mixed relative error |a − n| / max(1, |a|, |n|). */
export interface GradCheckCoordinate {
  readonly tensor: string;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
  readonly lossPlus: number;
  readonly lossMinus: number;
  readonly error: number;
}

export interface GradCheckResult {
  readonly passed: boolean;
  /** Coordinates compared (all tensors), kinks included. */
  readonly checked: number;
  /** Coordinates whose ±ε window crossed a kink and that were skipped (analytic matched one side). */
  readonly skippedKinks: number;
  /** Coordinates whose ±ε window crossed a kink and that were verified with a smaller step. */
  readonly recheckedKinks: number;
  /** Largest mixed relative error over the coordinates not skipped. */
  readonly maxError: number;
  /** The coordinate with the largest error (undefined if nothing was checked). */
  readonly worst?: GradCheckCoordinate;
  /** Coordinates that failed (all of them). */
  readonly failures: readonly GradCheckCoordinate[];
  /** Per tensor: its name, size and how many coordinates were checked. */
  readonly tensors: readonly { name: string; size: number; checked: number }[];
  readonly tolerance: number;
  readonly epsilon: number;
  /** A human-readable summary naming the worst coordinate (and the failures). */
  readonly report: string;
}

/** Thrown by assertGradCheck; carries the full result. */
export class GradCheckError extends Error {
  constructor(readonly result: GradCheckResult) {
    super(result.report);
    this.name = 'GradCheckError';
  }
}

export type GradCheckTarget = Layer | Sequential | Loss;

const DEFAULT_EPSILON = 1e-2;
const MIN_RECHECK_STEP = 1e-3;
const DEFAULT_COORDINATES = 24;

interface Objective {
  /** L at the current values, in float64. */
  evaluate(): number;
  /** Zeroes grads, runs forward + backward at the current values; returns L and dInput (a copy). */
  analytic(): { loss: number; dInput: Float32Array };
}

/** A param, by the name the report gives it. */
interface NamedParam {
  name: string;
  param: Param;
}

interface CheckedTensor {
  name: string;
  values: Float32Array;
  analytic: Float32Array;
}

/**
 * The check, in stages: resolve the options and the target's params → snapshot and freeze the target →
 * the analytic gradients at the input → compare each sampled coordinate with its finite difference →
 * tally the verdicts into the result; the finally restores the target whatever happened.
 */
function gradCheckImpl(target: GradCheckTarget, input: Tensor, options: GradCheckOptions = {}): GradCheckResult {
  const kind = targetKind(target);
  const opts = checkOptions(options, kind);
  checkInputTensor(input);

  const name = kind === 'net' ? 'Sequential' : (target as Layer | Loss).kind;
  const x: Tensor = { shape: [...input.shape], data: input.data.slice() };
  const rng = new Rng(opts.seed);
  const { params, buffers } = paramsAndBuffers(target, kind, name);
  const restore = snapshot(params, buffers);

  setFrozen(target, kind, true);
  try {
    const objective = makeObjective(target, kind, x, opts, rng, params.map((p) => p.param));
    const { loss: baseLoss, dInput } = objective.analytic();
    if (!Number.isFinite(baseLoss)) throw new RangeError(`gradCheck: the objective is ${baseLoss} at the given input; nothing can be checked`);

    const tensors: CheckedTensor[] = params.map(({ name: paramName, param }) => ({
      name: paramName,
      values: param.value,
      analytic: param.grad.slice(),
    }));
    tensors.push({ name: 'input', values: x.data, analytic: dInput });
    return checkResult(name, checkTensors(objective, tensors, baseLoss, opts, rng), opts);
  } finally {
    restore();
    setFrozen(target, kind, false);
  }
}

/** The target's params, named as the report names them ("Affine.weights", "2.Conv2D.bias"), each finite, and its buffers. */
function paramsAndBuffers(target: GradCheckTarget, kind: TargetKind, name: string): { params: NamedParam[]; buffers: NamedArray[] } {
  const params: NamedParam[] =
    kind === 'net'
      ? (target as Sequential).namedParams().map((p) => ({ name: p.name, param: p.param }))
      : kind === 'layer'
        ? (target as Layer).params().map((param) => ({ name: `${name}.${param.name}`, param }))
        : [];
  const buffers: NamedArray[] =
    kind === 'net' ? (target as Sequential).buffers() : kind === 'layer' ? ((target as Layer).buffers?.() ?? []) : [];

  params.forEach(({ name: paramName, param }) => {
    const bad = firstNonFinite(param.value);
    if (bad >= 0) throw new RangeError(`gradCheck: param ${paramName} holds ${param.value[bad]} at index ${bad}; params must be finite`);
  });
  return { params, buffers };
}

/**
 * Copies of every param value and grad and every buffer, and the function that puts them back: the check
 * moves values and overwrites grads (and a net's forward may touch buffers), and must leave the model as it was.
 */
function snapshot(params: NamedParam[], buffers: NamedArray[]): () => void {
  const valueSnapshot = params.map(({ param }) => param.value.slice());
  const gradSnapshot = params.map(({ param }) => param.grad.slice());
  const bufferSnapshot = buffers.map((b) => b.value.slice());
  return () => {
    params.forEach(({ param }, i) => {
      param.value.set(valueSnapshot[i]);
      param.grad.set(gradSnapshot[i]);
    });
    buffers.forEach((b, i) => b.value.set(bufferSnapshot[i]));
  };
}

/** Freezes (or thaws) a layer or a net, so that forward is a deterministic function of its input (§3); a loss has nothing to freeze. */
function setFrozen(target: GradCheckTarget, kind: TargetKind, frozen: boolean): void {
  if (kind === 'net') (target as Sequential).setFrozen(frozen);
  else if (kind === 'layer') (target as Layer).setFrozen?.(frozen);
}

/** The verdicts over every checked coordinate, before they are judged as a whole. */
interface Tally {
  checked: number;
  skippedKinks: number;
  recheckedKinks: number;
  maxError: number;
  worst: GradCheckCoordinate | undefined;
  failures: GradCheckCoordinate[];
  perTensor: { name: string; size: number; checked: number }[];
}

/** Checks a sample of each tensor's coordinates (drawn with `rng`, tensor by tensor in order) and tallies the verdicts. */
function checkTensors(objective: Objective, tensors: CheckedTensor[], baseLoss: number, opts: ResolvedOptions, rng: Rng): Tally {
  const tally: Tally = { checked: 0, skippedKinks: 0, recheckedKinks: 0, maxError: 0, worst: undefined, failures: [], perTensor: [] };
  for (const t of tensors) {
    const indices = sampleIndices(t.values.length, opts.maxCoordinatesPerTensor, rng);
    tally.perTensor.push({ name: t.name, size: t.values.length, checked: indices.length });
    for (const index of indices) {
      const outcome = checkCoordinate(objective, t, index, baseLoss, opts);
      tally.checked++;
      if (outcome.verdict === 'skipped-kink') {
        tally.skippedKinks++;
        continue;
      }
      if (outcome.verdict === 'rechecked-kink') tally.recheckedKinks++;
      const c = outcome.coordinate;
      if (outcome.verdict === 'failed') tally.failures.push(c);
      if (tally.worst === undefined || c.error > tally.worst.error) tally.worst = c;
      if (c.error > tally.maxError) tally.maxError = c.error;
    }
  }
  return tally;
}

/**
 * The result: passed when no coordinate failed and no more than max(2, half) of them were skipped as kinks
 * (a check that skips most coordinates verified too little to mean anything), with its report.
 */
function checkResult(name: string, tally: Tally, opts: ResolvedOptions): GradCheckResult {
  const { checked, skippedKinks, recheckedKinks, maxError, worst, failures, perTensor } = tally;
  const kinkBudget = Math.max(2, Math.floor(0.5 * checked));
  const tooManyKinks = skippedKinks > kinkBudget;
  const passed = failures.length === 0 && !tooManyKinks;
  const partial = {
    passed,
    checked,
    skippedKinks,
    recheckedKinks,
    maxError,
    worst,
    failures,
    tensors: perTensor,
    tolerance: opts.tolerance,
    epsilon: opts.epsilon,
  };
  return { ...partial, report: formatReport(name, partial, tooManyKinks, kinkBudget) };
}

type Verdict = 'passed' | 'failed' | 'rechecked-kink' | 'skipped-kink';

/** A realised point of the objective: L there, and the coordinate's value there (in float32). */
interface Sample {
  loss: number;
  at: number;
}

/** The finite differences of the objective along one coordinate, each returning the coordinate to its value. */
function coordinateProbe(objective: Objective, t: CheckedTensor, index: number) {
  const values = t.values;
  const original = values[index];
  const analytic = t.analytic[index];
  // L at original + step, in float32 as the layers see it; `at` remembers the realised point.
  const evaluateAt = (step: number): Sample => {
    values[index] = original + step;
    const at = values[index];
    const loss = objective.evaluate();
    values[index] = original;
    return { loss, at };
  };
  const central = (h: number) => {
    const plus = evaluateAt(h);
    const minus = evaluateAt(-h);
    const numeric = (plus.loss - minus.loss) / (plus.at - minus.at);
    const coordinate: GradCheckCoordinate = {
      tensor: t.name,
      index,
      analytic,
      numeric,
      lossPlus: plus.loss,
      lossMinus: minus.loss,
      error: mixedError(analytic, numeric),
    };
    return { coordinate, plus, minus };
  };
  return { original, analytic, evaluateAt, central };
}

/** The verdict on one coordinate: its ±ε central difference, re-examined at smaller steps when it is far off (kinks). */
function checkCoordinate(
  objective: Objective,
  t: CheckedTensor,
  index: number,
  baseLoss: number,
  opts: ResolvedOptions,
): { verdict: Verdict; coordinate: GradCheckCoordinate } {
  const { original, analytic, evaluateAt, central } = coordinateProbe(objective, t, index);
  const tol = opts.tolerance;

  const first = central(opts.epsilon);
  if (first.coordinate.error <= tol / 10) return { verdict: 'passed', coordinate: first.coordinate };

  // A large error (even one still within tolerance) may come from a ±ε window that crossed a kink.
  // Look again at two scales, ε and a smaller (still safe) step h: a central difference with step h/2
  // or h that agrees verifies the analytic value (a wrong backward disagrees at every step); and
  // second-order one-sided differences through (x, x ± h/2, x ± h), which on a side without a kink
  // equal the derivative to O(h²), tell whether the objective is smooth here.
  const base = { loss: baseLoss, at: original };
  let best = first.coordinate;
  let kinkExcuse = false;
  for (const h of [opts.epsilon, Math.max(opts.epsilon / 8, MIN_RECHECK_STEP)]) {
    const outer = h === opts.epsilon ? first : central(h);
    if (outer.coordinate.error < best.error) best = outer.coordinate;
    const halfPlus = evaluateAt(h / 2);
    const halfMinus = evaluateAt(-h / 2);
    const half = (halfPlus.loss - halfMinus.loss) / (halfPlus.at - halfMinus.at);
    if (mixedError(analytic, half) < best.error) {
      best = { ...first.coordinate, numeric: half, lossPlus: halfPlus.loss, lossMinus: halfMinus.loss, error: mixedError(analytic, half) };
    }
    const rightSlope = threePointSlope(base, halfPlus, outer.plus);
    const leftSlope = threePointSlope(base, halfMinus, outer.minus);
    const notSmooth = mixedError(rightSlope, leftSlope) > tol;
    const matchesOneSide = mixedError(analytic, rightSlope) <= tol || mixedError(analytic, leftSlope) <= tol;
    if (notSmooth && matchesOneSide) kinkExcuse = true;
    if (h <= MIN_RECHECK_STEP) break;
  }
  const firstPassed = first.coordinate.error <= tol;
  // Verified closely at a smaller step: the ±ε window only crossed a kink.
  if (best.error <= tol / 10) return { verdict: firstPassed ? 'passed' : 'rechecked-kink', coordinate: best };
  // Not smooth here and the analytic value is one side's derivative: no step measures it better.
  if (kinkExcuse) return { verdict: 'skipped-kink', coordinate: first.coordinate };
  if (firstPassed) return { verdict: 'passed', coordinate: best };
  if (best.error <= tol) return { verdict: 'rechecked-kink', coordinate: best };
  return { verdict: 'failed', coordinate: first.coordinate };
}

/** f′(x₀) from three points (any spacing): the derivative of the quadratic through them. */
function threePointSlope(p0: Sample, p1: Sample, p2: Sample): number {
  const [x0, x1, x2] = [p0.at, p1.at, p2.at];
  return (
    (p0.loss * (2 * x0 - x1 - x2)) / ((x0 - x1) * (x0 - x2)) +
    (p1.loss * (x0 - x2)) / ((x1 - x0) * (x1 - x2)) +
    (p2.loss * (x0 - x1)) / ((x2 - x0) * (x2 - x1))
  );
}

function mixedError(a: number, b: number): number {
  const diff = Math.abs(a - b);
  if (Number.isNaN(diff)) return Infinity;
  return diff / Math.max(1, Math.abs(a), Math.abs(b));
}

/** The objective for the target: the loss itself, a net under its loss, or Σ r·y (a layer, a net without a loss). */
function makeObjective(
  target: GradCheckTarget,
  kind: TargetKind,
  x: Tensor,
  opts: ResolvedOptions,
  rng: Rng,
  params: Param[],
): Objective {
  if (kind === 'loss') return lossObjective(target as Loss, x, opts.labels!);
  const zeroGrads = () => params.forEach((p) => p.grad.fill(0));
  const forward = (t: Tensor) =>
    kind === 'net' ? (target as Sequential).forward(t, opts.training) : (target as Layer).forward(t, opts.training);
  const backward = (dy: Tensor) => (kind === 'net' ? (target as Sequential).backward(dy) : (target as Layer).backward(dy));

  if (kind === 'net' && opts.loss !== undefined) {
    const loss = opts.loss;
    const labels = opts.labels!;
    return {
      evaluate: () => loss.forward(forward(x), labels),
      analytic: () => {
        zeroGrads();
        const value = loss.forward(forward(x), labels);
        return { loss: value, dInput: backward(loss.backward()).data.slice() };
      },
    };
  }
  // A forward that fails on a layer is most often a layer built for another shape: say so.
  const forwardNamingShape = (t: Tensor): Tensor => {
    try {
      return forward(t);
    } catch (err) {
      if (err instanceof Error && kind === 'layer') err.message = `gradCheck: ${(target as Layer).kind}.forward failed (is the layer built for input ${formatShape(x.shape.slice(1))}?): ${err.message}`;
      throw err;
    }
  };
  return weightedObjective(x, forward, forwardNamingShape, backward, zeroGrads, rng);
}

/** A Loss checked on its own: L is the loss of x against the labels, dInput its backward. */
function lossObjective(loss: Loss, x: Tensor, labels: Targets): Objective {
  return {
    evaluate: () => loss.forward(x, labels),
    analytic: () => {
      const value = loss.forward(x, labels);
      return { loss: value, dInput: loss.backward().data.slice() };
    },
  };
}

/**
 * L = Σ r·y with fixed weights r ∈ [−1, 1] drawn once, from the first output's size, so that the upstream
 * gradient r is not all ones. The analytic pass uses `firstForward` (which names the shape on failure).
 */
function weightedObjective(
  x: Tensor,
  forward: (t: Tensor) => Tensor,
  firstForward: (t: Tensor) => Tensor,
  backward: (dy: Tensor) => Tensor,
  zeroGrads: () => void,
  rng: Rng,
): Objective {
  let weights: Float32Array | undefined;
  let dy: Tensor | undefined;
  const weighted = (y: Tensor): number => {
    if (weights === undefined) {
      weights = new Float32Array(y.data.length);
      for (let i = 0; i < weights.length; i++) weights[i] = rng.uniform(-1, 1);
      dy = { shape: [...y.shape], data: weights };
    }
    let sum = 0;
    const yd = y.data;
    for (let i = 0; i < yd.length; i++) sum += weights[i] * yd[i];
    return sum;
  };
  return {
    evaluate: () => weighted(forward(x)),
    analytic: () => {
      zeroGrads();
      const value = weighted(firstForward(x));
      return { loss: value, dInput: backward(dy!).data.slice() };
    },
  };
}

type TargetKind = 'net' | 'layer' | 'loss';

function targetKind(target: GradCheckTarget): TargetKind {
  if (target instanceof Sequential) return 'net';
  if (target === null || typeof target !== 'object') {
    throw new TypeError(`gradCheck: target must be a Layer, a Loss or a Sequential, got ${String(target)}`);
  }
  const t = target as Partial<Layer>;
  if (typeof t.build === 'function' && typeof t.forward === 'function' && typeof t.backward === 'function' && typeof t.params === 'function') {
    return 'layer';
  }
  if (typeof t.forward === 'function' && typeof t.backward === 'function') return 'loss';
  throw new TypeError('gradCheck: target must be a Layer, a Loss or a Sequential (it has no forward/backward)');
}

interface ResolvedOptions {
  labels: Targets | undefined;
  loss: Loss | undefined;
  epsilon: number;
  tolerance: number;
  maxCoordinatesPerTensor: number;
  seed: number;
  training: boolean;
}

const OPTION_NAMES = ['labels', 'loss', 'epsilon', 'tolerance', 'maxCoordinatesPerTensor', 'seed', 'training'];

function checkOptions(options: GradCheckOptions, kind: TargetKind): ResolvedOptions {
  optionsObject('gradCheck', options, OPTION_NAMES, '{ epsilon: 1e-2, tolerance: 1e-3 }');
  const epsilon = positiveOption('gradCheck', 'epsilon', options.epsilon, DEFAULT_EPSILON);
  const tolerance = positiveOption('gradCheck', 'tolerance', options.tolerance, kind === 'layer' ? 1e-3 : 1e-2);
  const maxCoordinatesPerTensor = positiveIntegerOption('gradCheck', 'maxCoordinatesPerTensor', options.maxCoordinatesPerTensor ?? DEFAULT_COORDINATES);
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new OptionError(`gradCheck: option "seed" must be a finite number, got ${formatValue(seed)}`);
  const training = booleanOption('gradCheck', 'training', options.training, true);
  if (kind === 'loss' && options.labels === undefined) {
    throw new OptionError('gradCheck: option "labels" is required to check a Loss (class labels or a target tensor)');
  }
  if (options.labels !== undefined && kind !== 'loss' && options.loss === undefined) {
    // Labels alone would be silently ignored (the objective would be Σ r·y): say what they need.
    throw new OptionError('gradCheck: option "labels" is used only with option "loss" (for a Sequential) or a Loss target');
  }
  if (options.loss !== undefined) {
    if (kind !== 'net') throw new OptionError('gradCheck: option "loss" applies only to a Sequential target');
    if (options.labels === undefined) throw new OptionError('gradCheck: option "labels" is required with option "loss"');
  }
  return { labels: options.labels, loss: options.loss, epsilon, tolerance, maxCoordinatesPerTensor, seed, training };
}

function checkInputTensor(input: Tensor): void {
  if (input === null || typeof input !== 'object' || !(input.data instanceof Float32Array) || !Array.isArray(input.shape)) {
    throw new TypeError('gradCheck: input must be a Tensor { shape, data: Float32Array }');
  }
  if (input.shape.length < 1 || input.data.length !== sizeOf(input.shape) || input.data.length === 0) {
    throw new ShapeError(`gradCheck: input shape ${formatShape(input.shape)} does not match its ${input.data.length} values (or is empty)`);
  }
  const bad = firstNonFinite(input.data);
  if (bad >= 0) throw new RangeError(`gradCheck: input holds ${input.data[bad]} at index ${bad}; the input must be finite`);
}

function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** All indices if the tensor is small, else `k` distinct indices drawn with the seeded rng (in order). */
function sampleIndices(size: number, k: number, rng: Rng): number[] {
  const all = Array.from({ length: size }, (_, i) => i);
  if (size <= k) return all;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(size - i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, k).sort((a, b) => a - b);
}

function formatReport(
  name: string,
  r: Omit<GradCheckResult, 'report'>,
  tooManyKinks: boolean,
  kinkBudget: number,
): string {
  const g = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)).toString() : String(v));
  const coord = (c: GradCheckCoordinate) =>
    `${c.tensor}[${c.index}]: analytic ${g(c.analytic)}, numeric ${g(c.numeric)}, L(+) ${g(c.lossPlus)}, L(−) ${g(c.lossMinus)}, error ${g(c.error)}`;
  const lines = [
    `gradCheck ${name}: ${r.passed ? 'PASSED' : 'FAILED'}: ${r.checked} coordinates in ${r.tensors.length} tensors ` +
      `(${r.tensors.map((t) => `${t.name} ${t.checked}/${t.size}`).join(', ')}), max relative error ${g(r.maxError)} ` +
      `(tolerance ${r.tolerance}, ε ${r.epsilon}); kinks: ${r.skippedKinks} skipped, ${r.recheckedKinks} verified with a smaller step`,
  ];
  if (r.worst) lines.push(`worst ${coord(r.worst)}`);
  if (tooManyKinks) lines.push(`too many skipped kinks: ${r.skippedKinks} > ${kinkBudget} (a check that skips most coordinates verifies nothing: move the input away from kinks)`);
  if (r.failures.length > 0) {
    lines.push(`${r.failures.length} failing coordinates${r.failures.length > 10 ? ' (first 10)' : ''}:`);
    for (const c of r.failures.slice(0, 10)) lines.push(`  ${coord(c)}`);
  }
  return lines.join('\n');
}

/** Runs gradCheck and throws a GradCheckError carrying the report unless it passed. */
export function assertGradCheck(target: GradCheckTarget, input: Tensor, options: GradCheckOptions = {}): GradCheckResult {
  const result = gradCheckImpl(target, input, options);
  if (!result.passed) throw new GradCheckError(result);
  return result;
}

/** `gradCheck(target, input, options)`; `gradCheck.assert(...)` is assertGradCheck. */
export const gradCheck: typeof gradCheckImpl & { assert: typeof assertGradCheck } = Object.assign(gradCheckImpl, {
  assert: assertGradCheck,
});
