// Optimizer updates, f32x4 with a scalar tail. Byte pointers, lengths in floats.

const TINY_GRADIENT: f32 = 1e-15;
const TINY_STATE: f32 = 1e-30;

/**
 * Adam, one param (see src/optimizers/adam.ts for the rule):
 *   g = gradScale·grad + decay·w;  m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;
 *   w −= stepSize·m / (√v + epsHat)     with stepSize = lr·√c₂/c₁, epsHat = ε·√c₂,
 * which is lr·(m/c₁)/(√(v/c₂) + ε) with the bias corrections c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ moved onto the
 * two scalars (Kingma & Ba's "efficient version" of Algorithm 1): one division and one square root per
 * element instead of three divisions and a root, the dearest instructions of the loop. The JS side
 * computes the scalars in float64 and rounds each once; 1 − β likewise, since 1 − fround(0.999) is
 * off by 1.3e-5 relative. The arithmetic per element is float32 (the TypeScript loop uses float64).
 *
 * Subnormal floats cost ~40× a normal operation on x64 (microcode assists; wasm cannot set
 * flush-to-zero), and Adam makes them: m of a dead unit decays by β₁ per step into the subnormal
 * range, and g² of a 1e-20 gradient is one. So g with |g| < 1e-15 counts as 0, and m, v below 1e-30
 * are stored as 0: far below anything that moves a weight (ε = 1e-8 bounds the step by lr·|m̂|/ε),
 * and every product of what is stored stays normal. NaN passes through (the comparisons are "<").
 */
export function adamUpdate(
  w: usize, grad: usize, m: usize, v: usize, n: i32,
  stepSize: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, epsHat: f32,
  gradScale: f32, decay: f32,
): void {
  const vScale = f32x4.splat(gradScale), vDecay = f32x4.splat(decay);
  const vB1 = f32x4.splat(beta1), vB1c = f32x4.splat(oneMinusBeta1);
  const vB2 = f32x4.splat(beta2), vB2c = f32x4.splat(oneMinusBeta2);
  const vStep = f32x4.splat(stepSize), vEps = f32x4.splat(epsHat);
  const gTiny = f32x4.splat(TINY_GRADIENT), stateTiny = f32x4.splat(TINY_STATE);
  let i = 0;
  // Two vectors a turn: each one's division and square root wait ~10–14 cycles on the divider, and the
  // second vector's loads and arithmetic fill that wait.
  for (; i + 8 <= n; i += 8) {
    const off = <usize>i << 2;
    adamVector(w + off, grad + off, m + off, v + off, vScale, vDecay, vB1, vB1c, vB2, vB2c, vStep, vEps, gTiny, stateTiny);
    adamVector(w + off + 16, grad + off + 16, m + off + 16, v + off + 16, vScale, vDecay, vB1, vB1c, vB2, vB2c, vStep, vEps, gTiny, stateTiny);
  }
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    adamVector(w + off, grad + off, m + off, v + off, vScale, vDecay, vB1, vB1c, vB2, vB2c, vStep, vEps, gTiny, stateTiny);
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const wi = load<f32>(w + off);
    let g = gradScale * load<f32>(grad + off) + decay * wi;
    if (abs<f32>(g) < TINY_GRADIENT) g = 0;
    let mi = beta1 * load<f32>(m + off) + oneMinusBeta1 * g;
    let vi = beta2 * load<f32>(v + off) + oneMinusBeta2 * g * g;
    if (abs<f32>(mi) < TINY_STATE) mi = 0;
    if (vi < TINY_STATE) vi = 0;
    store<f32>(m + off, mi);
    store<f32>(v + off, vi);
    store<f32>(w + off, wi - (stepSize * mi) / (sqrt<f32>(vi) + epsHat));
  }
}

/** Adam on the 4 floats at w, grad, m, v (adamUpdate's rule, the same operations in the same order). */
// @ts-ignore: decorator
@inline function adamVector(
  w: usize, grad: usize, m: usize, v: usize, vScale: v128, vDecay: v128, vB1: v128, vB1c: v128, vB2: v128, vB2c: v128,
  vStep: v128, vEps: v128, gTiny: v128, stateTiny: v128,
): void {
  const wi = v128.load(w);
  let g = f32x4.add(f32x4.mul(vScale, v128.load(grad)), f32x4.mul(vDecay, wi));
  g = v128.andnot(g, f32x4.lt(f32x4.abs(g), gTiny));
  let mi = f32x4.add(f32x4.mul(vB1, v128.load(m)), f32x4.mul(vB1c, g));
  let vi = f32x4.add(f32x4.mul(vB2, v128.load(v)), f32x4.mul(f32x4.mul(vB2c, g), g));
  mi = v128.andnot(mi, f32x4.lt(f32x4.abs(mi), stateTiny));
  vi = v128.andnot(vi, f32x4.lt(vi, stateTiny));
  v128.store(m, mi);
  v128.store(v, vi);
  const step = f32x4.div(f32x4.mul(vStep, mi), f32x4.add(f32x4.sqrt(vi), vEps));
  v128.store(w, f32x4.sub(wi, step));
}
