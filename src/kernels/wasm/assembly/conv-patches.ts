// Rows of one sample's im2col, built from the input image: what Conv2D's forward product reads as its B
// panels instead of reading the batch's column matrix back from memory (conv-product.ts).
//
//   dst[j − j0] = x[c, oy·strideH − padTop + ky, ox·strideW − padLeft + kx]   (0 outside the image)
//   for j = oy·outW + ox in [j0, j1)
//
// The same values im2col (conv.ts) writes in row (c, ky, kx) of cols, columns n·P + [j0, j1): a copy, so
// no bit depends on which of the two a kernel reads.

/** First ox whose input column ox·stride + offset is ≥ 0 (clipped to [0, outW]). */
// @ts-ignore: decorator
@inline function firstInside(offset: i32, stride: i32, outW: i32): i32 {
  if (offset >= 0) return 0;
  return min(outW, (-offset + stride - 1) / stride);
}

/** One past the last ox ≥ lo whose input column ox·stride + offset is < size (clipped to [lo, outW]). */
// @ts-ignore: decorator
@inline function endInside(offset: i32, stride: i32, size: i32, outW: i32, lo: i32): i32 {
  const last = size - 1 - offset;
  if (last < 0) return lo;
  return max(lo, min(outW, last / stride + 1));
}

/**
 * Writes columns [j0, j1) of the patch row (ky, kx) of one input plane `plane` (height × width floats) to
 * dst. Runs within an output row are contiguous in x when strideW = 1: copied with f32x4 moves.
 */
export function patchRow(
  plane: usize, height: i32, width: i32, ky: i32, kx: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  outW: i32, j0: i32, j1: i32, dst: usize,
): void {
  const offset = kx - padLeft;
  const oxLo = firstInside(offset, strideW, outW);
  const oxHi = endInside(offset, strideW, width, outW, oxLo);
  for (let oy = j0 / outW; oy * outW < j1; oy++) {
    const rowStart = oy * outW;
    const a = max(j0 - rowStart, 0), b = min(j1 - rowStart, outW);
    const d = dst + (<usize>(rowStart - j0) << 2);
    const iy = oy * strideH - padTop + ky;
    if (iy < 0 || iy >= height) {
      zeroRange(d, a, b);
      continue;
    }
    const lo = max(a, oxLo), hi = min(b, oxHi);
    if (lo >= hi) {
      zeroRange(d, a, b);
      continue;
    }
    zeroRange(d, a, lo);
    const src = plane + (<usize>(iy * width + offset) << 2);
    if (strideW == 1) {
      copyRange(d, src, lo, hi);
    } else {
      for (let ox = lo; ox < hi; ox++) store<f32>(d + (<usize>ox << 2), load<f32>(src + (<usize>(ox * strideW) << 2)));
    }
    zeroRange(d, hi, b);
  }
}

/** dst[i] = src[i] for i in [lo, hi): f32x4 moves (memory.copy is a runtime call costing more than a short row). */
// @ts-ignore: decorator
@inline function copyRange(dst: usize, src: usize, lo: i32, hi: i32): void {
  let i = lo;
  for (; i + 4 <= hi; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < hi; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** dst[i] = 0 for i in [lo, hi). */
// @ts-ignore: decorator
@inline function zeroRange(dst: usize, lo: i32, hi: i32): void {
  const zero = f32x4.splat(0);
  let i = lo;
  for (; i + 4 <= hi; i += 4) v128.store(dst + (<usize>i << 2), zero);
  for (; i < hi; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/**
 * Copies sample planes [channels × height × width] into `dst` as [channels × hp × wp] with the padding
 * made real: dst[c, r, s] = x[c, r − padTop, s − padLeft], 0 outside the image (rows/columns past hp/wp,
 * which no window reads, are dropped). Then every window row of a stride-1 (along W) patch row is one
 * contiguous run of outW floats (patchRowPadded).
 */
export function padSample(
  xn: usize, channels: i32, height: i32, width: i32, padTop: i32, padLeft: i32, hp: i32, wp: i32, dst: usize,
): void {
  const lo = min(wp, max(padLeft, 0)), hi = min(wp, max(lo, padLeft + width));
  for (let c = 0; c < channels; c++) {
    const plane = xn + (<usize>(c * height * width) << 2);
    for (let r = 0; r < hp; r++) {
      const d = dst + (<usize>((c * hp + r) * wp) << 2);
      const iy = r - padTop;
      if (iy < 0 || iy >= height) {
        zeroRange(d, 0, wp);
        continue;
      }
      zeroRange(d, 0, lo);
      copyRange(d, plane + (<usize>(iy * width - padLeft) << 2), lo, hi);
      zeroRange(d, hi, wp);
    }
  }
}

/**
 * The whole patch row (ky, kx) of a padded plane (`wp` floats per row, from padSample), stride 1 along W:
 * dst[oy·outW + ox] = padded[oy·strideH + ky, kx + ox]. Each window row is copied as ⌈outW/4⌉ f32x4 moves in
 * increasing oy, the overshoot of one run overwritten by the next; the last run writes up to 3 floats past
 * outH·outW and reads up to 3 past its padded row, so both buffers need that slack.
 */
export function patchRowPadded(padded: usize, wp: i32, ky: i32, kx: i32, strideH: i32, outH: i32, outW: i32, dst: usize): void {
  const rowStep = <usize>(strideH * wp) << 2;
  let src = padded + (<usize>(ky * wp + kx) << 2);
  let d = dst;
  const runBytes = <usize>outW << 2;
  for (let oy = 0; oy < outH; oy++) {
    for (let i: usize = 0; i < runBytes; i += 16) v128.store(d + i, v128.load(src + i));
    src += rowStep;
    d += runBytes;
  }
}

/**
 * patchRowPadded for outW ≤ 32 (every Conv2D of the MNIST models), the same values, fewer instructions: the
 * ⌈outW/4⌉ f32x4 moves of a window row are unrolled with immediate offsets (the loop's index, compare and
 * branch per move cost more than the moves), and for outW = 4q + 2 (the default model's second Conv2D,
 * outW 14) two window rows are written as 2q + 1 aligned stores (copyRunPairs). Past outH·outW it writes
 * up to 3 floats (as patchRowPadded), or none for outW = 4q + 2.
 */
export function patchRowPaddedUnrolled(padded: usize, wp: i32, ky: i32, kx: i32, strideH: i32, outH: i32, outW: i32, dst: usize): void {
  const src = padded + (<usize>(ky * wp + kx) << 2);
  const rowStep = <usize>(strideH * wp) << 2, runBytes = <usize>outW << 2;
  if ((outW & 3) == 2 && outW <= 30) {
    switch (outW >> 2) {
      case 0: copyRunPairs(src, dst, rowStep, outH, 0); return;
      case 1: copyRunPairs(src, dst, rowStep, outH, 1); return;
      case 2: copyRunPairs(src, dst, rowStep, outH, 2); return;
      case 3: copyRunPairs(src, dst, rowStep, outH, 3); return;
      case 4: copyRunPairs(src, dst, rowStep, outH, 4); return;
      case 5: copyRunPairs(src, dst, rowStep, outH, 5); return;
      case 6: copyRunPairs(src, dst, rowStep, outH, 6); return;
      default: copyRunPairs(src, dst, rowStep, outH, 7); return;
    }
  }
  switch ((outW + 3) >> 2) {
    case 1: copyRuns(src, dst, rowStep, runBytes, outH, 1); return;
    case 2: copyRuns(src, dst, rowStep, runBytes, outH, 2); return;
    case 3: copyRuns(src, dst, rowStep, runBytes, outH, 3); return;
    case 4: copyRuns(src, dst, rowStep, runBytes, outH, 4); return;
    case 5: copyRuns(src, dst, rowStep, runBytes, outH, 5); return;
    case 6: copyRuns(src, dst, rowStep, runBytes, outH, 6); return;
    case 7: copyRuns(src, dst, rowStep, runBytes, outH, 7); return;
    case 8: copyRuns(src, dst, rowStep, runBytes, outH, 8); return;
    default: patchRowPadded(padded, wp, ky, kx, strideH, outH, outW, dst);
  }
}

/** outH runs of `vecs` f32x4 moves, each run's overshoot overwritten by the next (vecs: a constant after inlining). */
// @ts-ignore: decorator
@inline function copyRuns(src: usize, dst: usize, rowStep: usize, runBytes: usize, outH: i32, vecs: i32): void {
  let s = src, d = dst;
  for (let oy = 0; oy < outH; oy++) {
    v128.store(d, v128.load(s));
    if (vecs > 1) v128.store(d, v128.load(s, 16), 16);
    if (vecs > 2) v128.store(d, v128.load(s, 32), 32);
    if (vecs > 3) v128.store(d, v128.load(s, 48), 48);
    if (vecs > 4) v128.store(d, v128.load(s, 64), 64);
    if (vecs > 5) v128.store(d, v128.load(s, 80), 80);
    if (vecs > 6) v128.store(d, v128.load(s, 96), 96);
    if (vecs > 7) v128.store(d, v128.load(s, 112), 112);
    s += rowStep;
    d += runBytes;
  }
}

/**
 * outH runs of outW = 4q + 2 floats, two window rows at a time as 2q + 1 f32x4 stores: q moves of the first
 * row, one vector of its last two floats and the second row's first two (an f64 load and an f64 lane load),
 * q moves of the rest of the second row. With dst 16-byte aligned no store crosses a cache line, and none
 * overshoots (an odd last row ends on an f64 store). q is a constant after inlining.
 */
// @ts-ignore: decorator
@inline function copyRunPairs(src: usize, dst: usize, rowStep: usize, outH: i32, q: i32): void {
  const mid = <usize>q << 4;
  let s = src, d = dst;
  let oy = 0;
  for (; oy + 2 <= outH; oy += 2) {
    const s1 = s + rowStep;
    if (q > 0) v128.store(d, v128.load(s));
    if (q > 1) v128.store(d, v128.load(s, 16), 16);
    if (q > 2) v128.store(d, v128.load(s, 32), 32);
    if (q > 3) v128.store(d, v128.load(s, 48), 48);
    if (q > 4) v128.store(d, v128.load(s, 64), 64);
    if (q > 5) v128.store(d, v128.load(s, 80), 80);
    if (q > 6) v128.store(d, v128.load(s, 96), 96);
    v128.store(d + mid, v128.load64_lane(s1, v128.load64_zero(s + mid), 1));
    const d1 = d + mid + 16, t = s1 + 8;
    if (q > 0) v128.store(d1, v128.load(t));
    if (q > 1) v128.store(d1, v128.load(t, 16), 16);
    if (q > 2) v128.store(d1, v128.load(t, 32), 32);
    if (q > 3) v128.store(d1, v128.load(t, 48), 48);
    if (q > 4) v128.store(d1, v128.load(t, 64), 64);
    if (q > 5) v128.store(d1, v128.load(t, 80), 80);
    if (q > 6) v128.store(d1, v128.load(t, 96), 96);
    s = s1 + rowStep;
    d += (mid << 1) + 16;
  }
  if (oy < outH) {
    for (let i: usize = 0; i < mid; i += 16) v128.store(d + i, v128.load(s + i));
    store<f64>(d + mid, load<f64>(s + mid));
  }
}

/**
 * padSample's interior only, into a padded buffer whose border (the padding) is already zero: the border is
 * the same for every sample, so conv-product.ts zeroes the buffer once per call and copies only x's rows.
 * Each row is copied exactly (f32x4 moves, then an f64 and an f32 move): an overshoot would write x's next
 * values into the right border.
 */
export function padSampleInterior(
  xn: usize, channels: i32, height: i32, width: i32, padTop: i32, padLeft: i32, hp: i32, wp: i32, dst: usize,
): void {
  const lo = min(wp, max(padLeft, 0)), hi = min(wp, max(lo, padLeft + width));
  const r0 = max(padTop, 0), r1 = min(hp, padTop + height);
  const n = hi - lo;
  for (let c = 0; c < channels; c++) {
    const plane = xn + (<usize>(c * height * width) << 2);
    for (let r = r0; r < r1; r++) {
      const d = dst + (<usize>((c * hp + r) * wp + lo) << 2);
      const s = plane + (<usize>((r - padTop) * width + lo - padLeft) << 2);
      let i = 0;
      for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), v128.load(s + (<usize>i << 2)));
      if (i + 2 <= n) { store<f64>(d + (<usize>i << 2), load<f64>(s + (<usize>i << 2))); i += 2; }
      if (i < n) store<f32>(d + (<usize>i << 2), load<f32>(s + (<usize>i << 2)));
    }
  }
}
