/**
 * Local contrast normalisation (the LocalContrastNorm layer's loops; the maths is stated in
 * src/layers/local-contrast-norm.ts and docs/local-normalisation.md). Per image of C channels and
 * H×W pixels P, with G the Gaussian window (uniform over the channels, truncated at the border and
 * renormalised to sum 1 over the cells inside the image):
 *
 *   μ[P] = Σ_{i,Q} w(P,Q)·x[i,Q]            v[i,P] = x[i,P] − μ[P]
 *   s[P] = √(ε² + Σ_{i,Q} w(P,Q)·v[i,Q]²)     c = mean_P s[P]
 *   d[P] = smoothMax(c, s[P]) = (c + s + √((c − s)² + τ²c²)) / 2,     y[i,P] = v[i,P] / d[P]
 *
 * with w(P,Q) = g(Q_row − P_row)·g(Q_col − P_col) / (C·Z[P]) and Z[P] the sum of g·g over the window's
 * cells inside the image. The window is separable and its truncation a rectangle, so Z[P] =
 * Zrow[P_row]·Zcol[P_col] and each pass of the fast blur normalises itself: a row pass then a column
 * pass, 2·size taps per pixel instead of size². The reference functions at the end add the size×size
 * windows up directly, in float64, with Z summed cell by cell: the test oracle.
 */

/** τ of the smooth max: d exceeds max(c, s) by at most τ·c/2 (5 % of c), reached where s = c. */
export const SMOOTH_MAX_SOFTNESS = 0.1;

/** The window's taps g(t) = exp(−t²/2σ²) for offsets t ∈ [−⌊size/2⌋, ⌊(size−1)/2⌋] (offset t at index t + before). */
export interface GaussianTaps {
  readonly before: number;
  readonly after: number;
  readonly weights: Float64Array;
}

export function gaussianTaps(size: number, sigma: number): GaussianTaps {
  const before = Math.floor(size / 2), after = Math.floor((size - 1) / 2);
  const weights = new Float64Array(size);
  for (let t = -before; t <= after; t++) weights[t + before] = Math.exp(-(t * t) / (2 * sigma * sigma));
  return { before, after, weights };
}

/** Z along one axis of `length` cells: for each position, the sum of the taps that land inside. */
export function borderSums(taps: GaussianTaps, length: number): Float64Array {
  const z = new Float64Array(length);
  for (let p = 0; p < length; p++) {
    let sum = 0;
    for (let t = -taps.before; t <= taps.after; t++) if (p + t >= 0 && p + t < length) sum += taps.weights[t + taps.before];
    z[p] = sum;
  }
  return z;
}

/** Everything the fast loops need besides the data: taps, border sums and float64 scratch. */
export class LcnWorkspace {
  readonly taps: GaussianTaps;
  /** 1/Z along each axis (Z[P] = zRow[row]·zCol[col]). */
  readonly invZRow: Float64Array;
  readonly invZCol: Float64Array;
  /** Two H·W scratch images. */
  readonly a: Float64Array;
  readonly b: Float64Array;

  constructor(
    readonly channels: number, readonly height: number, readonly width: number, size: number, sigma: number,
    readonly eps: number,
  ) {
    this.taps = gaussianTaps(size, sigma);
    this.invZRow = borderSums(this.taps, height).map((z) => 1 / z);
    this.invZCol = borderSums(this.taps, width).map((z) => 1 / z);
    this.a = new Float64Array(height * width);
    this.b = new Float64Array(height * width);
  }
}

/**
 * out ← the normalised blur of `f` (H×W): a row pass into `tmp` then a column pass. With `adjoint`
 * the transpose instead: divide by Z first, then blur with the mirrored taps.
 */
function blur(f: Float64Array, out: Float64Array, tmp: Float64Array, ws: LcnWorkspace, adjoint: boolean): void {
  const H = ws.height, W = ws.width, { before, after, weights } = ws.taps;
  const invZRow = ws.invZRow, invZCol = ws.invZCol;
  // Forward: tmp[r, q] = Σ_t g(t)·f[r, q + t] / zCol[q];  out[r, q] = Σ_t g(t)·tmp[r + t, q] / zRow[r].
  // Adjoint (the transpose of that composition): tmp[r, q] = Σ_t g(t)·(f / zRow)[r − t, q];
  //                                              out[r, q] = Σ_t g(t)·(tmp / zCol)[r, q − t].
  // Every loop adds a whole shifted row (or column strip) at once: long, branch-free inner loops.
  if (!adjoint) {
    for (let r = 0; r < H; r++) {
      const row = r * W;
      for (let q = 0; q < W; q++) tmp[row + q] = 0;
      for (let t = -before; t <= after; t++) {
        // q + t inside the row: q ∈ [max(0, −t), min(W, W − t))
        const g = weights[t + before], qLo = t < 0 ? -t : 0, qHi = t > 0 ? W - t : W;
        for (let q = qLo; q < qHi; q++) tmp[row + q] += g * f[row + q + t];
      }
      for (let q = 0; q < W; q++) tmp[row + q] *= invZCol[q];
    }
    for (let r = 0; r < H; r++) {
      const lo = r - before < 0 ? -r : -before, hi = r + after >= H ? H - 1 - r : after;
      const row = r * W;
      for (let q = 0; q < W; q++) out[row + q] = 0;
      for (let t = lo; t <= hi; t++) {
        const g = weights[t + before] * invZRow[r], src = (r + t) * W;
        for (let q = 0; q < W; q++) out[row + q] += g * tmp[src + q];
      }
    }
  } else {
    // With u = −t (source = target + u, u ∈ [−after, before]) the weight is g(−u) = weights[before − u].
    for (let r = 0; r < H; r++) {
      const lo = -after > -r ? -after : -r, hi = before < H - 1 - r ? before : H - 1 - r;
      const row = r * W;
      for (let q = 0; q < W; q++) tmp[row + q] = 0;
      for (let u = lo; u <= hi; u++) {
        const src = r + u, g = weights[before - u] * invZRow[src], srcRow = src * W;
        for (let q = 0; q < W; q++) tmp[row + q] += g * f[srcRow + q];
      }
    }
    for (let r = 0; r < H; r++) {
      const row = r * W;
      for (let q = 0; q < W; q++) {
        tmp[row + q] *= invZCol[q];
        out[row + q] = 0;
      }
      for (let u = -after; u <= before; u++) {
        const g = weights[before - u], qLo = u < 0 ? -u : 0, qHi = u > 0 ? W - u : W;
        for (let q = qLo; q < qHi; q++) out[row + q] += g * tmp[row + q + u];
      }
    }
  }
}

/**
 * Forward over a batch. Writes y, and for backward: v (x − μ), s and d per pixel (N·H·W float64) and
 * c per image.
 */
export function lcnForward(
  x: Float32Array, y: Float32Array, v: Float32Array, s: Float64Array, d: Float64Array, c: Float64Array,
  batch: number, ws: LcnWorkspace, mean: Float64Array,
): void {
  const C = ws.channels, S = ws.height * ws.width, invC = 1 / C, eps2 = ws.eps * ws.eps, tau2 = SMOOTH_MAX_SOFTNESS ** 2;
  const m = ws.a, tmp = ws.b;
  for (let n = 0; n < batch; n++) {
    const sample = n * C * S, pixels = n * S;
    // μ = blur(channel mean of x)
    m.fill(0, 0, S);
    for (let i = 0; i < C; i++) for (let p = 0; p < S; p++) m[p] += x[sample + i * S + p];
    for (let p = 0; p < S; p++) m[p] *= invC;
    blur(m, mean, tmp, ws, false);
    // v = x − μ; s² = ε² + blur(channel mean of v²)
    m.fill(0, 0, S);
    for (let i = 0; i < C; i++) {
      const base = sample + i * S;
      for (let p = 0; p < S; p++) {
        const centred = x[base + p] - mean[p];
        v[base + p] = centred;
        m[p] += centred * centred;
      }
    }
    for (let p = 0; p < S; p++) m[p] *= invC;
    blur(m, mean, tmp, ws, false); // (mean's μ is no longer needed: it now holds the local variance)
    let total = 0;
    for (let p = 0; p < S; p++) {
      const sp = Math.sqrt(eps2 + mean[p]);
      s[pixels + p] = sp;
      total += sp;
    }
    const cn = total / S;
    c[n] = cn;
    for (let p = 0; p < S; p++) {
      const gap = cn - s[pixels + p];
      d[pixels + p] = 0.5 * (cn + s[pixels + p] + Math.sqrt(gap * gap + tau2 * cn * cn));
    }
    for (let i = 0; i < C; i++) {
      const base = sample + i * S;
      for (let p = 0; p < S; p++) y[base + p] = v[base + p] / d[pixels + p];
    }
  }
}

/** dx (overwritten) from dy and what lcnForward kept. `g1`, `g2` are float64 scratch of H·W values. */
export function lcnBackward(
  dy: Float32Array, dx: Float32Array, v: Float32Array, s: Float64Array, d: Float64Array, c: Float64Array,
  batch: number, ws: LcnWorkspace, g1: Float64Array, g2: Float64Array,
): void {
  const C = ws.channels, S = ws.height * ws.width, invC = 1 / C, tau2 = SMOOTH_MAX_SOFTNESS ** 2;
  const gs = ws.a, tmp = ws.b, gq = g2, gm = gs; // (gs is used up before gm is written)
  for (let n = 0; n < batch; n++) {
    const sample = n * C * S, pixels = n * S, cn = c[n];
    // gd[P] = −Σ_i dy·v / d²  (into g1)
    g1.fill(0, 0, S);
    for (let i = 0; i < C; i++) {
      const base = sample + i * S;
      for (let p = 0; p < S; p++) g1[p] -= dy[base + p] * v[base + p];
    }
    // Through the smooth max: ∂d/∂c = (1 + (c − s + τ²c)/r)/2, ∂d/∂s = (1 − (c − s)/r)/2, r = √((c − s)² + τ²c²).
    let gc = 0;
    for (let p = 0; p < S; p++) {
      const dp = d[pixels + p], sp = s[pixels + p];
      const gd = g1[p] / (dp * dp);
      const gap = cn - sp, r = Math.sqrt(gap * gap + tau2 * cn * cn);
      gc += gd * 0.5 * (1 + (gap + tau2 * cn) / r);
      gs[p] = gd * 0.5 * (1 - gap / r);
    }
    // s = √(ε² + blur(q)), c = mean s: g(s²) = (gs + gc/S) / 2s, then gq = blurᵀ(g(s²)).
    for (let p = 0; p < S; p++) g1[p] = (gs[p] + gc / S) / (2 * s[pixels + p]);
    blur(g1, gq, tmp, ws, true);
    // gv = dy/d + (2/C)·gq·v ; gμ = −Σ_i gv ; gx = gv + blurᵀ(gμ)/C
    // gv is computed twice rather than stored in float32: its two terms (≈ dy/d, which is large where
    // the image is flat) cancel in gx, and a float32 intermediate would lose that difference.
    g1.fill(0, 0, S);
    for (let i = 0; i < C; i++) {
      const base = sample + i * S;
      for (let p = 0; p < S; p++) g1[p] -= dy[base + p] / d[pixels + p] + 2 * invC * gq[p] * v[base + p];
    }
    for (let p = 0; p < S; p++) g1[p] *= invC;
    blur(g1, gm, tmp, ws, true);
    for (let i = 0; i < C; i++) {
      const base = sample + i * S;
      for (let p = 0; p < S; p++) dx[base + p] = dy[base + p] / d[pixels + p] + 2 * invC * gq[p] * v[base + p] + gm[p];
    }
  }
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// Reference: the definitions above with the size×size window added up directly, in float64.
// ───────────────────────────────────────────────────────────────────────────────────────────────

export interface LcnShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
  size: number;
  sigma: number;
  eps: number;
}

/** Σ_{Q in window(P) ∩ image} g·g·f[Q] / Σ_{same Q} g·g, for every pixel P of the H×W image f. */
function windowAverage(f: Float64Array, taps: GaussianTaps, H: number, W: number): Float64Array {
  const out = new Float64Array(H * W);
  for (let r = 0; r < H; r++) {
    for (let q = 0; q < W; q++) {
      let sum = 0, z = 0;
      for (let a = -taps.before; a <= taps.after; a++) {
        for (let b = -taps.before; b <= taps.after; b++) {
          const rr = r + a, qq = q + b;
          if (rr < 0 || rr >= H || qq < 0 || qq >= W) continue;
          const g = taps.weights[a + taps.before] * taps.weights[b + taps.before];
          z += g;
          sum += g * f[rr * W + qq];
        }
      }
      out[r * W + q] = sum / z;
    }
  }
  return out;
}

interface ReferenceState {
  y: Float64Array;
  v: Float64Array;
  s: Float64Array;
  d: Float64Array;
  c: Float64Array;
}

function referenceForward(x: ArrayLike<number>, sh: LcnShape): ReferenceState {
  const { batch, channels: C, height: H, width: W } = sh, S = H * W;
  const taps = gaussianTaps(sh.size, sh.sigma), tau2 = SMOOTH_MAX_SOFTNESS ** 2;
  const y = new Float64Array(batch * C * S), v = new Float64Array(batch * C * S);
  const s = new Float64Array(batch * S), d = new Float64Array(batch * S), c = new Float64Array(batch);
  for (let n = 0; n < batch; n++) {
    const m = new Float64Array(S);
    for (let i = 0; i < C; i++) for (let p = 0; p < S; p++) m[p] += x[(n * C + i) * S + p] / C;
    const mu = windowAverage(m, taps, H, W);
    const q = new Float64Array(S);
    for (let i = 0; i < C; i++) {
      for (let p = 0; p < S; p++) {
        const at = (n * C + i) * S + p;
        v[at] = x[at] - mu[p];
        q[p] += (v[at] * v[at]) / C;
      }
    }
    const variance = windowAverage(q, taps, H, W);
    let total = 0;
    for (let p = 0; p < S; p++) total += (s[n * S + p] = Math.sqrt(sh.eps * sh.eps + variance[p]));
    c[n] = total / S;
    for (let p = 0; p < S; p++) {
      const sp = s[n * S + p];
      d[n * S + p] = (c[n] + sp + Math.sqrt((c[n] - sp) ** 2 + tau2 * c[n] ** 2)) / 2;
      for (let i = 0; i < C; i++) y[(n * C + i) * S + p] = v[(n * C + i) * S + p] / d[n * S + p];
    }
  }
  return { y, v, s, d, c };
}

/** y of x, straight from the definitions (the oracle of lcnForward). */
export function lcnForwardReference(x: ArrayLike<number>, shape: LcnShape): Float64Array {
  return referenceForward(x, shape).y;
}

/**
 * dx of x and dy by the chain rule written out per cell: the adjoint of a window average is
 * gᵀ[Q] = Σ_{P : Q ∈ window(P)} w(P, Q)·g[P], summed over every P directly (the oracle of lcnBackward).
 */
export function lcnBackwardReference(x: ArrayLike<number>, dy: ArrayLike<number>, sh: LcnShape): Float64Array {
  const { batch, channels: C, height: H, width: W } = sh, S = H * W;
  const taps = gaussianTaps(sh.size, sh.sigma), tau2 = SMOOTH_MAX_SOFTNESS ** 2;
  const { v, s, d, c } = referenceForward(x, sh);
  const dx = new Float64Array(batch * C * S);
  // w(P, Q) (without the 1/C): zero outside the window or the image.
  const weight = (P: number, Q: number): number => {
    const a = Math.floor(Q / W) - Math.floor(P / W), b = (Q % W) - (P % W);
    if (a < -taps.before || a > taps.after || b < -taps.before || b > taps.after) return 0;
    let z = 0;
    for (let aa = -taps.before; aa <= taps.after; aa++) {
      for (let bb = -taps.before; bb <= taps.after; bb++) {
        const rr = Math.floor(P / W) + aa, qq = (P % W) + bb;
        if (rr >= 0 && rr < H && qq >= 0 && qq < W) z += taps.weights[aa + taps.before] * taps.weights[bb + taps.before];
      }
    }
    return (taps.weights[a + taps.before] * taps.weights[b + taps.before]) / z;
  };
  const adjoint = (g: Float64Array): Float64Array => {
    const out = new Float64Array(S);
    for (let Q = 0; Q < S; Q++) for (let P = 0; P < S; P++) out[Q] += weight(P, Q) * g[P];
    return out;
  };
  for (let n = 0; n < batch; n++) {
    const cn = c[n];
    const gd = new Float64Array(S), gs = new Float64Array(S);
    for (let p = 0; p < S; p++) {
      for (let i = 0; i < C; i++) gd[p] -= (dy[(n * C + i) * S + p] * v[(n * C + i) * S + p]) / d[n * S + p] ** 2;
    }
    let gc = 0;
    for (let p = 0; p < S; p++) {
      const sp = s[n * S + p], r = Math.sqrt((cn - sp) ** 2 + tau2 * cn * cn);
      gc += gd[p] * (1 + (cn - sp + tau2 * cn) / r) / 2;
      gs[p] = (gd[p] * (1 - (cn - sp) / r)) / 2;
    }
    const gVariance = new Float64Array(S);
    for (let p = 0; p < S; p++) gVariance[p] = (gs[p] + gc / S) / (2 * s[n * S + p]);
    const gq = adjoint(gVariance);
    const gMu = new Float64Array(S);
    for (let i = 0; i < C; i++) {
      for (let p = 0; p < S; p++) {
        const at = (n * C + i) * S + p;
        dx[at] = dy[at] / d[n * S + p] + (2 / C) * gq[p] * v[at];
        gMu[p] -= dx[at];
      }
    }
    const gm = adjoint(gMu);
    for (let i = 0; i < C; i++) for (let p = 0; p < S; p++) dx[(n * C + i) * S + p] += gm[p] / C;
  }
  return dx;
}
