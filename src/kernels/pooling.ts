/**
 * Max and average pooling over NCHW planes (each of the N·C planes pooled independently), plain
 * TypeScript with the same Float32Array + WindowGeometry signatures as the WebAssembly version.
 * Window geometry as in im2col (kernels/conv-geometry.ts): output (oy, ox) covers rows
 * oy·sh − padTop + [0, kh) and columns ox·sw − padLeft + [0, kw); cells outside the image are padding.
 */
import { kernelState } from './backend';
import type { WindowGeometry } from './conv-geometry';
import { maxPool2x2Wasm, maxPoolBackwardWasm } from './wasm/memory-bound';

/**
 * Max pooling. `argmax[o]` receives the flat index into `x` of the winner of output o, so that
 * backward routes the gradient there. Padding never wins (it counts as −∞, so only real cells
 * are visited); ties go to the FIRST cell in row-major window order (strict `>`), which makes the
 * gradient deterministic; a NaN wins (and propagates) as in PyTorch. Every window holds at least
 * one real cell because the layer requires padding < window size.
 */
export function maxPoolForward(x: Float32Array, y: Float32Array, argmax: Int32Array, g: WindowGeometry): void {
  const { inH: height, inW: width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW } = g;
  // 2×2 windows, stride 2, no padding (the common case) on the wasm SIMD kernel when loaded.
  if (kernelState.backend === 'wasm' && kernelH === 2 && kernelW === 2 && strideH === 2 && strideW === 2 &&
    padTop === 0 && padLeft === 0 && outH === height >> 1 && outW === width >> 1 &&
    maxPool2x2Wasm(x, y, argmax, g)) return;
  const planes = g.batch * g.channels;
  const planeIn = height * width;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * planeIn;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * strideH - padTop;
      const yLo = y0 < 0 ? 0 : y0;
      const yHi = y0 + kernelH < height ? y0 + kernelH : height; // (not Math.min: measurably faster here)
      for (let ox = 0; ox < outW; ox++, o++) {
        const x0 = ox * strideW - padLeft;
        const xLo = x0 < 0 ? 0 : x0;
        const xHi = x0 + kernelW < width ? x0 + kernelW : width;
        let bestIndex = base + yLo * width + xLo;
        let best = x[bestIndex];
        for (let iy = yLo; iy < yHi; iy++) {
          const row = base + iy * width;
          for (let ix = xLo; ix < xHi; ix++) {
            const v = x[row + ix];
            if (v > best || (v !== v && best === best)) {
              best = v;
              bestIndex = row + ix;
            }
          }
        }
        y[o] = best;
        argmax[o] = bestIndex;
      }
    }
  }
}

/**
 * dx = 0, then dx[argmax[o]] += dy[o]: each output's gradient goes to its window's winner.
 * `planes` (optional, the N·C planes pooled independently) lets the wasm kernel split the work by
 * planes over threads.
 */
export function maxPoolBackward(
  dy: Float32Array, argmax: Int32Array, dx: Float32Array, inputLength: number, outputLength: number, planes = 1,
): void {
  if (kernelState.backend === 'wasm' && maxPoolBackwardWasm(dy, argmax, dx, inputLength, outputLength, planes)) return;
  dx.fill(0, 0, inputLength);
  for (let o = 0; o < outputLength; o++) dx[argmax[o]] += dy[o];
}

/**
 * The number an average-pooling window divides by: kh·kw when padding counts as zeros
 * (`countIncludePad`, PyTorch's default), else the number of real cells in the window
 * (Keras/TensorFlow's behaviour, never zero because padding < window size).
 */
function windowDivisor(
  y0: number, x0: number, height: number, width: number, kernelH: number, kernelW: number, countIncludePad: boolean,
): number {
  if (countIncludePad) return kernelH * kernelW;
  const rows = Math.min(height, y0 + kernelH) - Math.max(0, y0);
  const cols = Math.min(width, x0 + kernelW) - Math.max(0, x0);
  return rows * cols;
}

/** Average pooling: y[o] = (sum of the window's real cells) / divisor (see windowDivisor). */
export function avgPoolForward(x: Float32Array, y: Float32Array, g: WindowGeometry, countIncludePad: boolean): void {
  const { inH: height, inW: width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW } = g;
  const planes = g.batch * g.channels;
  const planeIn = height * width;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * planeIn;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * strideH - padTop;
      const yLo = Math.max(0, y0);
      const yHi = Math.min(height, y0 + kernelH);
      for (let ox = 0; ox < outW; ox++, o++) {
        const x0 = ox * strideW - padLeft;
        const xLo = Math.max(0, x0);
        const xHi = Math.min(width, x0 + kernelW);
        let sum = 0;
        for (let iy = yLo; iy < yHi; iy++) {
          const row = base + iy * width;
          for (let ix = xLo; ix < xHi; ix++) sum += x[row + ix];
        }
        y[o] = sum / windowDivisor(y0, x0, height, width, kernelH, kernelW, countIncludePad);
      }
    }
  }
}

/**
 * The adjoint of avgPoolForward: OVERWRITES dx, spreading dy[o]/divisor over each window's real cells.
 * (The same window walk as the forward, on purpose: a deliberate adjoint pair, each a plain loop.)
 */
export function avgPoolBackward(dy: Float32Array, dx: Float32Array, g: WindowGeometry, countIncludePad: boolean): void {
  const { inH: height, inW: width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW } = g;
  const planes = g.batch * g.channels;
  const planeIn = height * width;
  dx.fill(0, 0, planes * planeIn);
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * planeIn;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * strideH - padTop;
      const yLo = Math.max(0, y0);
      const yHi = Math.min(height, y0 + kernelH);
      for (let ox = 0; ox < outW; ox++, o++) {
        const x0 = ox * strideW - padLeft;
        const xLo = Math.max(0, x0);
        const xHi = Math.min(width, x0 + kernelW);
        const g = dy[o] / windowDivisor(y0, x0, height, width, kernelH, kernelW, countIncludePad);
        for (let iy = yLo; iy < yHi; iy++) {
          const row = base + iy * width;
          for (let ix = xLo; ix < xHi; ix++) dx[row + ix] += g;
        }
      }
    }
  }
}
