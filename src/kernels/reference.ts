/**
 * Plain, obviously-correct loops: the oracle every fast kernel is tested against, and the
 * fallback when WebAssembly SIMD is not available. Row-major everywhere.
 */
import type { WindowGeometry } from './conv-geometry';

/** C[m×n] (+)= A[m×k] · B[k×n]. */
export function matmulReference(
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
      c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
    }
  }
}

/** C[m×n] (+)= Aᵀ · B with A stored [k×m], B [k×n]. */
export function matmulTransAReference(
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[p * m + i] * b[p * n + j];
      c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
    }
  }
}

/** C[m×n] (+)= A · Bᵀ with A stored [m×k], B [n×k]. */
export function matmulTransBReference(
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[j * k + p];
      c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
    }
  }
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// Convolution and pooling references (Conv2D, MaxPool, AvgPool): the test oracles for
// kernels/im2col.ts, kernels/pooling.ts and the layers. One output at a time, straight from the
// definitions, padding handled by an explicit bounds test on every cell.
// ───────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Direct convolution (cross-correlation, as every DL framework defines it), NCHW:
 *   y[n, f, oy, ox] = bias[f] + Σ_{c, ky, kx} w[f, c, ky, kx] · x[n, c, oy·sh − padTop + ky, ox·sw − padLeft + kx]
 * with x = 0 outside the image. `w` is [F, C, kh, kw], `bias` [F] or null; returns y [N, F, outH, outW].
 */
export function conv2dReference(
  x: Float32Array, w: Float32Array, bias: Float32Array | null, filters: number, g: WindowGeometry,
): Float32Array {
  const y = new Float32Array(g.batch * filters * g.outH * g.outW);
  for (let n = 0; n < g.batch; n++) {
    for (let f = 0; f < filters; f++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          let sum = bias ? bias[f] : 0;
          for (let c = 0; c < g.channels; c++) {
            for (let ky = 0; ky < g.kernelH; ky++) {
              for (let kx = 0; kx < g.kernelW; kx++) {
                const iy = oy * g.strideH - g.padTop + ky;
                const ix = ox * g.strideW - g.padLeft + kx;
                if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
                sum += w[((f * g.channels + c) * g.kernelH + ky) * g.kernelW + kx] *
                  x[((n * g.channels + c) * g.inH + iy) * g.inW + ix];
              }
            }
          }
          y[((n * filters + f) * g.outH + oy) * g.outW + ox] = sum;
        }
      }
    }
  }
  return y;
}

/** The column matrix [C·kh·kw × N·outH·outW] of kernels/im2col.ts, one entry at a time. */
export function im2colReference(x: Float32Array, g: WindowGeometry): Float32Array {
  const columns = g.batch * g.outH * g.outW;
  const cols = new Float32Array(g.channels * g.kernelH * g.kernelW * columns);
  for (let c = 0; c < g.channels; c++) {
    for (let ky = 0; ky < g.kernelH; ky++) {
      for (let kx = 0; kx < g.kernelW; kx++) {
        const r = (c * g.kernelH + ky) * g.kernelW + kx;
        for (let n = 0; n < g.batch; n++) {
          for (let oy = 0; oy < g.outH; oy++) {
            for (let ox = 0; ox < g.outW; ox++) {
              const q = (n * g.outH + oy) * g.outW + ox;
              const iy = oy * g.strideH - g.padTop + ky;
              const ix = ox * g.strideW - g.padLeft + kx;
              const inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
              cols[r * columns + q] = inside ? x[((n * g.channels + c) * g.inH + iy) * g.inW + ix] : 0;
            }
          }
        }
      }
    }
  }
  return cols;
}

/** The adjoint of im2colReference: every column-matrix entry added back to the pixel it was read from. */
export function col2imReference(cols: Float32Array, g: WindowGeometry): Float32Array {
  const columns = g.batch * g.outH * g.outW;
  const x = new Float32Array(g.batch * g.channels * g.inH * g.inW);
  for (let c = 0; c < g.channels; c++) {
    for (let ky = 0; ky < g.kernelH; ky++) {
      for (let kx = 0; kx < g.kernelW; kx++) {
        const r = (c * g.kernelH + ky) * g.kernelW + kx;
        for (let n = 0; n < g.batch; n++) {
          for (let oy = 0; oy < g.outH; oy++) {
            for (let ox = 0; ox < g.outW; ox++) {
              const iy = oy * g.strideH - g.padTop + ky;
              const ix = ox * g.strideW - g.padLeft + kx;
              if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
              x[((n * g.channels + c) * g.inH + iy) * g.inW + ix] +=
                cols[r * columns + (n * g.outH + oy) * g.outW + ox];
            }
          }
        }
      }
    }
  }
  return x;
}

/**
 * Max pooling over every (n, c) plane: each window scanned in row-major order over the PADDED
 * grid, padding = −∞, the first strict maximum wins. Returns the outputs and the flat input index
 * of each winner.
 */
export function maxPoolReference(x: Float32Array, g: WindowGeometry): { y: Float32Array; argmax: Int32Array } {
  const planes = g.batch * g.channels;
  const y = new Float32Array(planes * g.outH * g.outW);
  const argmax = new Int32Array(y.length);
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        let best = -Infinity;
        let bestIndex = -1;
        for (let ky = 0; ky < g.kernelH; ky++) {
          for (let kx = 0; kx < g.kernelW; kx++) {
            const iy = oy * g.strideH - g.padTop + ky;
            const ix = ox * g.strideW - g.padLeft + kx;
            const inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
            const index = (p * g.inH + iy) * g.inW + ix;
            const v = inside ? x[index] : -Infinity;
            if (bestIndex < 0 && inside) {
              best = v;
              bestIndex = index;
            } else if (v > best) {
              best = v;
              bestIndex = index;
            }
          }
        }
        const o = (p * g.outH + oy) * g.outW + ox;
        y[o] = best;
        argmax[o] = bestIndex;
      }
    }
  }
  return { y, argmax };
}

/**
 * Average pooling over every (n, c) plane: the sum of the window's real cells divided by kh·kw
 * when padding counts (as zeros) in the average, else by the number of real cells.
 */
export function avgPoolReference(x: Float32Array, g: WindowGeometry, countIncludePad: boolean): Float32Array {
  const planes = g.batch * g.channels;
  const y = new Float32Array(planes * g.outH * g.outW);
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        let sum = 0;
        let count = 0;
        for (let ky = 0; ky < g.kernelH; ky++) {
          for (let kx = 0; kx < g.kernelW; kx++) {
            const iy = oy * g.strideH - g.padTop + ky;
            const ix = ox * g.strideW - g.padLeft + kx;
            if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
            sum += x[(p * g.inH + iy) * g.inW + ix];
            count++;
          }
        }
        y[(p * g.outH + oy) * g.outW + ox] = sum / (countIncludePad ? g.kernelH * g.kernelW : count);
      }
    }
  }
  return y;
}

/**
 * The gradients of conv2dReference for an upstream dy [N, F, outH, outW], straight from the
 * definition (every output adds dy·x into dW and dy·w into dx): dW [F, C, kh, kw], db [F], dx [N, C, H, W].
 */
export function conv2dBackwardReference(
  x: Float32Array, w: Float32Array, dy: Float32Array, filters: number, g: WindowGeometry,
): { dWeights: Float64Array; dBias: Float64Array; dInput: Float64Array } {
  const dWeights = new Float64Array(w.length);
  const dBias = new Float64Array(filters);
  const dInput = new Float64Array(x.length);
  for (let n = 0; n < g.batch; n++) {
    for (let f = 0; f < filters; f++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const d = dy[((n * filters + f) * g.outH + oy) * g.outW + ox];
          dBias[f] += d;
          for (let c = 0; c < g.channels; c++) {
            for (let ky = 0; ky < g.kernelH; ky++) {
              for (let kx = 0; kx < g.kernelW; kx++) {
                const iy = oy * g.strideH - g.padTop + ky;
                const ix = ox * g.strideW - g.padLeft + kx;
                if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
                const wi = ((f * g.channels + c) * g.kernelH + ky) * g.kernelW + kx;
                const xi = ((n * g.channels + c) * g.inH + iy) * g.inW + ix;
                dWeights[wi] += d * x[xi];
                dInput[xi] += d * w[wi];
              }
            }
          }
        }
      }
    }
  }
  return { dWeights, dBias, dInput };
}
