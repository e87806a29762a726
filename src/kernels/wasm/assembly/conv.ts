// im2col / col2im and 2×2 max pooling: the memory-bound halves of a convolutional layer.
// Same layouts and semantics as src/kernels/im2col.ts and src/kernels/pooling.ts (see there).

// @ts-ignore: decorator
@inline function firstValid(offset: i32, stride: i32, outW: i32): i32 {
  // ox ≥ ⌈−offset / stride⌉, clipped to [0, outW]
  if (offset >= 0) return 0;
  const lo = (-offset + stride - 1) / stride;
  return min(outW, lo);
}

// @ts-ignore: decorator
@inline function endValid(offset: i32, stride: i32, size: i32, outW: i32, lo: i32): i32 {
  // ox ≤ ⌊(size − 1 − offset) / stride⌋
  const last = size - 1 - offset;
  if (last < 0) return lo;
  return max(lo, min(outW, last / stride + 1));
}

// Short rows (a conv's outW is 8..28 floats) copied and cleared with f32x4 moves: memory.copy and
// memory.fill leave the wasm code for a runtime call each, which costs more than the copy itself
// at this size (im2col was ~10 % of the best model's step).

/** dst[0..n) = src[0..n) (no overlap). */
// @ts-ignore: decorator
@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dst + off, v128.load(src + off));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dst + off, load<f32>(src + off));
  }
}

/** dst[0..n) = 0. */
// @ts-ignore: decorator
@inline function zeroFloats(dst: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), zero);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/**
 * cols[C·kh·kw × N·outH·outW] from x[N, C, H, W] (zeros where the window reads padding), for the
 * samples [n0, n1) (their columns of every row).
 */
export function im2col(
  x: usize, cols: usize, batch: i32, channels: i32, height: i32, width: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  n0: i32, n1: i32,
): void {
  if (strideH == 1 && strideW == 1 && outW == width) {
    im2colSameWidth(x, cols, batch, channels, height, width, kernelH, kernelW, padTop, padLeft, outH, n0, n1);
    return;
  }
  const planeOut = outH * outW;
  const rowLength = <usize>batch * <usize>planeOut;
  const planeIn = height * width;
  for (let c = 0; c < channels; c++) {
    for (let ky = 0; ky < kernelH; ky++) {
      for (let kx = 0; kx < kernelW; kx++) {
        const row = <usize>((c * kernelH + ky) * kernelW + kx) * rowLength;
        const oxLo = firstValid(kx - padLeft, strideW, outW);
        const oxHi = endValid(kx - padLeft, strideW, width, outW, oxLo);
        for (let n = n0; n < n1; n++) {
          const plane = <usize>(n * channels + c) * <usize>planeIn;
          let q = row + <usize>n * <usize>planeOut;
          for (let oy = 0; oy < outH; oy++, q += <usize>outW) {
            const dst = cols + (q << 2);
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= height) {
              zeroFloats(dst, outW);
              continue;
            }
            const src = x + ((plane + <usize>(iy * width + kx - padLeft)) << 2);
            if (oxLo > 0) zeroFloats(dst, oxLo);
            if (strideW == 1) {
              copyFloats(dst + (<usize>oxLo << 2), src + (<usize>oxLo << 2), oxHi - oxLo);
            } else {
              for (let ox = oxLo; ox < oxHi; ox++) {
                store<f32>(dst + (<usize>ox << 2), load<f32>(src + (<usize>(ox * strideW) << 2)));
              }
            }
            if (oxHi < outW) zeroFloats(dst + (<usize>oxHi << 2), outW - oxHi);
          }
        }
      }
    }
  }
}

/**
 * x[N, C, H, W] = Σ over window cells of cols (the adjoint of im2col; x is overwritten), for the
 * samples [n0, n1). The window walk repeats im2col's on purpose: a deliberate adjoint pair, each one hot loop.
 */
export function col2im(
  cols: usize, x: usize, batch: i32, channels: i32, height: i32, width: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  n0: i32, n1: i32,
): void {
  const planeOut = outH * outW;
  const rowLength = <usize>batch * <usize>planeOut;
  const planeIn = height * width;
  const sample = <usize>channels * <usize>planeIn;
  memory.fill(x + ((<usize>n0 * sample) << 2), 0, (<usize>(n1 - n0) * sample) << 2);
  if (strideH == 1 && strideW == 1 && outW == width) {
    col2imSameWidth(cols, x, batch, channels, height, width, kernelH, kernelW, padTop, padLeft, outH, n0, n1);
    return;
  }
  for (let c = 0; c < channels; c++) {
    for (let ky = 0; ky < kernelH; ky++) {
      for (let kx = 0; kx < kernelW; kx++) {
        const row = <usize>((c * kernelH + ky) * kernelW + kx) * rowLength;
        const oxLo = firstValid(kx - padLeft, strideW, outW);
        const oxHi = endValid(kx - padLeft, strideW, width, outW, oxLo);
        for (let n = n0; n < n1; n++) {
          const plane = <usize>(n * channels + c) * <usize>planeIn;
          let q = row + <usize>n * <usize>planeOut;
          for (let oy = 0; oy < outH; oy++, q += <usize>outW) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= height) continue;
            const src = cols + (q << 2);
            const dst = x + ((plane + <usize>(iy * width + kx - padLeft)) << 2);
            if (strideW == 1) {
              let ox = oxLo;
              for (; ox + 4 <= oxHi; ox += 4) {
                const off = <usize>ox << 2;
                v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(src + off)));
              }
              for (; ox < oxHi; ox++) {
                const off = <usize>ox << 2;
                store<f32>(dst + off, load<f32>(dst + off) + load<f32>(src + off));
              }
            } else {
              for (let ox = oxLo; ox < oxHi; ox++) {
                const d = dst + (<usize>(ox * strideW) << 2);
                store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ox << 2)));
              }
            }
          }
        }
      }
    }
  }
}

// Stride 1 with outW = width ('same' padding, the default model's convolutions): a (kernel cell,
// sample) block of cols is outH·width contiguous floats, and the pixel it reads is the block index
// shifted by delta = (ky − padTop)·width + (kx − padLeft) in the same plane. So im2col copies each
// block as ONE contiguous run and then zeroes the few cells that read padding, instead of a row of
// 14 floats at a time with its branches (im2col ~5 % of the default model's step).

/**
 * One block: dst[k] = src[k + rowShift·width + colShift] where that pixel is in the image, else 0,
 * for k in [0, outH·width); src is the sample's (height × width) plane.
 */
// @ts-ignore: decorator
@inline function im2colShiftedBlock(src: usize, dst: usize, height: i32, width: i32, outH: i32, rowShift: i32, colShift: i32): void {
  const oyLo = min(outH, max(0, -rowShift)); // the rows oy whose iy = oy + rowShift is in the image
  const oyHi = max(oyLo, min(outH, height - rowShift));
  if (oyHi == oyLo || colShift >= width || colShift <= -width) {
    zeroFloats(dst, outH * width);
    return;
  }
  zeroFloats(dst, oyLo * width);
  zeroFloats(dst + (<usize>(oyHi * width) << 2), (outH - oyHi) * width);
  const left = max(0, -colShift), right = max(0, colShift); // padding columns at each end of a row
  // The run starts and ends inside the plane: its first and last cells are the first row's first and
  // the last row's last real pixel.
  const kLo = oyLo * width + left, kHi = oyHi * width - right;
  copyFloats(dst + (<usize>kLo << 2), src + (<usize>(kLo + rowShift * width + colShift) << 2), kHi - kLo);
  if (left == 0 && right == 0) return;
  for (let oy = oyLo; oy < oyHi; oy++) {
    const rowStart = dst + (<usize>(oy * width) << 2);
    for (let i = 0; i < left; i++) store<f32>(rowStart + (<usize>i << 2), 0);
    for (let i = width - right; i < width; i++) store<f32>(rowStart + (<usize>i << 2), 0);
  }
}

/** im2col for strideH = strideW = 1 and outW = width (the caller checks), samples [n0, n1). */
function im2colSameWidth(
  x: usize, cols: usize, batch: i32, channels: i32, height: i32, width: i32,
  kernelH: i32, kernelW: i32, padTop: i32, padLeft: i32, outH: i32, n0: i32, n1: i32,
): void {
  const planeOut = <usize>outH * <usize>width;
  const rowLength = <usize>batch * planeOut;
  const planeIn = <usize>height * <usize>width;
  for (let c = 0; c < channels; c++) {
    for (let ky = 0; ky < kernelH; ky++) {
      for (let kx = 0; kx < kernelW; kx++) {
        const row = <usize>((c * kernelH + ky) * kernelW + kx) * rowLength;
        for (let n = n0; n < n1; n++) {
          const src = x + (((<usize>n * <usize>channels + <usize>c) * planeIn) << 2);
          const dst = cols + ((row + <usize>n * planeOut) << 2);
          im2colShiftedBlock(src, dst, height, width, outH, ky - padTop, kx - padLeft);
        }
      }
    }
  }
}

/**
 * col2im for strideH = strideW = 1 and outW = width (the caller checks), samples [n0, n1), x already
 * zeroed: the general loop without its per-row bounds arithmetic (each block's real rows and columns
 * are worked out once; measured 1.25× faster). Pixels receive their terms in the same (ky, kx) order:
 * the same bits. (Adding whole blocks as one run with the padding cells masked to +0 was slower: the
 * lane mask costs more than the short rows it saves.)
 */
function col2imSameWidth(
  cols: usize, x: usize, batch: i32, channels: i32, height: i32, width: i32,
  kernelH: i32, kernelW: i32, padTop: i32, padLeft: i32, outH: i32, n0: i32, n1: i32,
): void {
  const planeOut = <usize>outH * <usize>width;
  const rowLength = <usize>batch * planeOut;
  const planeIn = <usize>height * <usize>width;
  for (let c = 0; c < channels; c++) {
    for (let ky = 0; ky < kernelH; ky++) {
      for (let kx = 0; kx < kernelW; kx++) {
        const row = <usize>((c * kernelH + ky) * kernelW + kx) * rowLength;
        for (let n = n0; n < n1; n++) {
          const plane = x + (((<usize>n * <usize>channels + <usize>c) * planeIn) << 2);
          const block = cols + ((row + <usize>n * planeOut) << 2);
          col2imShiftedBlock(block, plane, height, width, outH, ky - padTop, kx - padLeft);
        }
      }
    }
  }
}

/** plane[k + rowShift·width + colShift] += src[k] for the k of [0, outH·width) whose pixel is in the image. */
// @ts-ignore: decorator
@inline function col2imShiftedBlock(src: usize, plane: usize, height: i32, width: i32, outH: i32, rowShift: i32, colShift: i32): void {
  const oyLo = min(outH, max(0, -rowShift));
  const oyHi = max(oyLo, min(outH, height - rowShift));
  const oxLo = min(width, max(0, -colShift)), oxHi = max(oxLo, min(width, width - colShift));
  const n = oxHi - oxLo;
  let s = src + (<usize>(oyLo * width + oxLo) << 2);
  let d = plane + (<usize>((oyLo + rowShift) * width + colShift + oxLo) << 2);
  const step = <usize>width << 2;
  for (let oy = oyLo; oy < oyHi; oy++, s += step, d += step) {
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      v128.store(d + off, f32x4.add(v128.load(d + off), v128.load(s + off)));
    }
    for (; i < n; i++) {
      const off = <usize>i << 2;
      store<f32>(d + off, load<f32>(d + off) + load<f32>(s + off));
    }
  }
}

/** Cell (v) beats the best so far: greater, or NaN while the best is not (ties keep the first cell). */
// @ts-ignore: decorator
@inline function beats(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), v128.andnot(f32x4.eq(best, best), f32x4.eq(v, v)));
}

/**
 * Four 2×2 windows of one output row: outputs ox..ox+3 (written at y/argmax + o), input rows r0 and
 * r1 = r0 + width, whose flat index in x starts at rowIndex.
 */
// @ts-ignore: decorator
@inline function maxPool2x2Four(r0: usize, r1: usize, rowIndex: i32, width: i32, ox: i32, y: usize, argmax: usize, o: usize): void {
  const lane = i32x4(0, 2, 4, 6);
  const off = <usize>ox << 3;
  const a0 = v128.load(r0 + off), a1 = v128.load(r0 + off, 16);
  const b0 = v128.load(r1 + off), b1 = v128.load(r1 + off, 16);
  const i00 = i32x4.add(i32x4.splat(rowIndex + 2 * ox), lane);
  let best = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6);
  let bi = i00;
  let v = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
  let take = beats(v, best);
  best = v128.bitselect(v, best, take);
  bi = v128.bitselect(i32x4.add(i00, i32x4.splat(1)), bi, take);
  v = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
  take = beats(v, best);
  best = v128.bitselect(v, best, take);
  bi = v128.bitselect(i32x4.add(i00, i32x4.splat(width)), bi, take);
  v = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
  take = beats(v, best);
  best = v128.bitselect(v, best, take);
  bi = v128.bitselect(i32x4.add(i00, i32x4.splat(width + 1)), bi, take);
  v128.store(y + (o << 2), best);
  v128.store(argmax + (o << 2), bi);
}

/**
 * Max pooling, 2×2 windows, stride 2, no padding (outH = ⌊H/2⌋, outW = ⌊W/2⌋): y and argmax (flat
 * index into x) per output. Cells are visited in row-major window order and a cell wins when it is
 * greater than the best so far, or NaN while the best is not: ties go to the first cell, NaN propagates.
 * Planes [p0, p1) only.
 *
 * A row whose outW is not a multiple of 4 ends with four windows that overlap the ones before (they
 * are recomputed to the same values): a scalar tail of branches on random data cost 7×7-output planes
 * (3 of 7 outputs in the tail) twice the time per element of 14×14 ones.
 */
export function maxPool2x2(x: usize, y: usize, argmax: usize, planes: i32, height: i32, width: i32, outH: i32, outW: i32, p0: i32, p1: i32): void {
  let o: usize = <usize>p0 * <usize>outH * <usize>outW;
  for (let p = p0; p < p1; p++) {
    const base = p * height * width;
    for (let oy = 0; oy < outH; oy++, o += <usize>outW) {
      const rowIndex = base + 2 * oy * width;
      const r0 = x + (<usize>rowIndex << 2);
      const r1 = r0 + (<usize>width << 2);
      let ox = 0;
      for (; ox + 4 <= outW; ox += 4) maxPool2x2Four(r0, r1, rowIndex, width, ox, y, argmax, o + <usize>ox);
      if (ox == outW) continue;
      if (outW >= 4) {
        maxPool2x2Four(r0, r1, rowIndex, width, outW - 4, y, argmax, o + <usize>(outW - 4));
        continue;
      }
      for (; ox < outW; ox++) maxPool2x2One(x, rowIndex + 2 * ox, width, y, argmax, o + <usize>ox);
    }
  }
}

/** One 2×2 window at flat input index i0, branch-free (same winner rule as maxPool2x2Four). */
// @ts-ignore: decorator
@inline function maxPool2x2One(x: usize, i0: i32, width: i32, y: usize, argmax: usize, o: usize): void {
  let best = load<f32>(x + (<usize>i0 << 2));
  let bi = i0;
  for (let c = 1; c < 4; c++) {
    const idx = i0 + (c >> 1) * width + (c & 1);
    const v = load<f32>(x + (<usize>idx << 2));
    const take = v > best || (v != v && best == best);
    best = select<f32>(v, best, take);
    bi = select<i32>(idx, bi, take);
  }
  store<f32>(y + (o << 2), best);
  store<i32>(argmax + (o << 2), bi);
}

/**
 * dx[fillStart, fillStart + fillLength) = 0, then dx[argmax[o]] += dy[o] for o in [o0, o1), plane by
 * plane (inPlane inputs and outPlane outputs each; the whole range is one plane when they are not
 * known): a plane's dx is zeroed and scattered into while it is still in L1, not zeroed in one pass
 * over megabytes and read back in a second. A part of whole planes only touches its own planes.
 */
export function maxPoolBackward(
  dy: usize, argmax: usize, dx: usize, fillStart: i32, fillLength: i32, o0: i32, o1: i32, inPlane: i32, outPlane: i32,
): void {
  if (inPlane <= 0 || outPlane <= 0 || o0 >= o1) {
    // One chunk: the whole range (also when there are no outputs at all: dx is still zeroed).
    memory.fill(dx + (<usize>fillStart << 2), 0, <usize>fillLength << 2);
    for (let q = o0; q < o1; q++) {
      const off = <usize>q << 2;
      const d = dx + (<usize>load<i32>(argmax + off) << 2);
      store<f32>(d, load<f32>(d) + load<f32>(dy + off));
    }
    return;
  }
  let f = fillStart;
  for (let o = o0; o < o1; o += outPlane, f += inPlane) {
    memory.fill(dx + (<usize>f << 2), 0, <usize>inPlane << 2);
    const end = min(o1, o + outPlane);
    for (let q = o; q < end; q++) {
      const off = <usize>q << 2;
      const d = dx + (<usize>load<i32>(argmax + off) << 2);
      store<f32>(d, load<f32>(d) + load<f32>(dy + off));
    }
  }
}
