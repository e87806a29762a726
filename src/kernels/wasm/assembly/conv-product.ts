// Conv2D forward's product written straight into the layer's NCHW output, bias included:
//
//   y[n, f, 0..P) = bias[f];   y[n] += W[F × K] · cols[0..K) × [n·P, n·P + P)      for n in [n0, n1)
//
// with cols [K × N·P] (im2col of the whole batch). Each sample's block of y is a row-major [F × P] matrix,
// so the GEMM writes it in place: no [F × N·P] product and no transpose pass after it (the layout pass
// was ~4 % of a SimpleConvNet step). Every element is bias, then the GEMM's multiply-add sequence over
// p = 0..K−1 — the same whichever thread runs the sample.
import { gemm } from './gemm';

export function convForwardProduct(
  w: usize, cols: usize, y: usize, bias: usize, filters: i32, k: i32, plane: i32, batch: i32, n0: i32, n1: i32, ws: usize,
): void {
  const ldCols = batch * plane;
  const sampleBytes = (<usize>filters * <usize>plane) << 2;
  const rowBytes = <usize>plane << 2;
  for (let n = n0; n < n1; n++) {
    const yn = y + <usize>n * sampleBytes;
    if (bias != 0) {
      for (let f = 0; f < filters; f++) fillFloats(yn + <usize>f * rowBytes, load<f32>(bias + (<usize>f << 2)), plane);
    }
    gemm(w, k, 1, cols + (<usize>(n * plane) << 2), ldCols, 1, yn, plane, k, 0, filters, 0, plane, bias != 0, ws);
  }
}

/** dst[0..n) = v. */
// @ts-ignore: decorator
@inline function fillFloats(dst: usize, v: f32, n: i32): void {
  const s = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), s);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), v);
}
