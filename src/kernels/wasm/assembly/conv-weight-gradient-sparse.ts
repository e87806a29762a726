// Conv2D backward's weight gradient when dy is mostly zeros (issue 13S):
//
//   dW[f, :] += Σ_{n in order} Σ_{p ascending, dy[n, f, p] ≠ 0} dy[n, f, p] · patch_n(p)      (patch_n(p): K = C·kh·kw floats)
//
// A Conv2D followed by ReLU and a non-overlapping max-pool gets a dy whose entries are mostly exactly 0:
// the pool's backward sends each window's gradient to one of its positions (≥ 75 % zeros for 2×2) and
// the ReLU's zeroes those whose activation was ≤ 0 (SimpleConvNet: ~85 %). The dense paths
// (conv-weight-gradient.ts) multiply every one of them; this one gathers, per sample and filter row, the
// positions of the nonzero entries (a branchless left-pack: one compare, bitmask and shuffle per 4
// floats) and adds value · patch_n(p) into the filter row's accumulators, kept in registers across the
// row's nonzeros (≤ 7 f32x4 at a time: 7 accumulators + 7 loaded patch vectors + the splat value fill the
// 15 xmm registers V8 gives wasm on x64). patch_n(p) is row p of the sample's patchesᵀ [P × K] built from
// its zero-padded copy (buildPatchesT, the in-place GEMM's builder: any stride and padding).
//
// Each element's sum is one fixed sequence:
//   acc = dW[f, j];  for n in order, for p ascending with dy ≠ 0: acc = madd(acc, dy[n, f, p], patch[n, j, p])
// (the accumulators stored to the workspace exactly between samples), whatever the thread split (threads
// take whole filter rows), the blocks of p or the blocks of columns. A zero in dy (+0 or −0) adds nothing,
// so where the dense product would add 0·patch this adds nothing: the same value unless the patch holds
// ±Inf or NaN (0·Inf = NaN in the definition). The caller therefore takes this path only when x is all
// finite (gemm-wasm.ts); a NaN or ±Inf in dy is "nonzero" here and propagates as in the dense path.
//
// The bias gradient rides along in the gather: each filter's four f32 lanes (p ≡ l mod 4, every sample in
// order) and its P mod 4 tail, folded ((l0 + l1) + (l2 + l3)) + t at the end: the dense paths' order, so
// db has the same bits whichever path ran.
import { padSample } from './conv-patches';
import { buildPatchesT, convWeightGradientPatchFloats } from './conv-weight-gradient';
import { WORKSPACE_FLOATS } from './gemm';

/** Widest block of accumulators (f32x4) kept in registers across a row's nonzeros: see the header. */
const BLOCK: i32 = 7;
/** Floats of slack after the padded sample: buildPatchesT's f32x4 runs read up to 3 past its end. */
const SLACK: i32 = 4;
/**
 * Floats of patchesᵀ a block of positions may hold (16 KiB): the rows a row's nonzeros pick are scattered, so
 * the block must stay in L1 (48 KiB here, shared with the dy row and its list). Measured on SimpleConvNet at
 * 85 % zeros: all 576 rows (63 KiB, in L2) 3.1 ms per call, blocks of 128–192 rows 1.3–1.5 ms, 64 rows 1.6–2.0 ms.
 */
const BLOCK_FLOATS: i32 = 4096;

/**
 * For each 4-bit mask of nonzero lanes, the i8x16 shuffle that packs those lanes (their 4 bytes each, in
 * order) to the front; the other bytes 0x80 (zero, never read).
 */
const LEFT_PACK: usize = memory.data<u8>([
  128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128,
  8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 128, 128, 128, 128,
  12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 128, 128, 128, 128,
  8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
], 16);

/**
 * How many floats are not ±0 (NaN counts) in rows 0, step, 2·step, … of the `rows` rows of `length` floats at
 * p: the caller's estimate of dy's zero fraction from a sample of its rows (gemm-wasm side).
 */
export function countNonzeroRows(p: usize, rows: i32, length: i32, step: i32): i32 {
  const zero = f32x4.splat(0), l4 = length & ~3;
  let total = 0;
  for (let r = 0; r < rows; r += step) {
    const row = p + ((<usize>r * <usize>length) << 2);
    let counts = i32x4.splat(0);
    for (let i = 0; i < l4; i += 4) counts = i32x4.sub(counts, f32x4.ne(v128.load(row + (<usize>i << 2)), zero));
    total += i32x4.extract_lane(counts, 0) + i32x4.extract_lane(counts, 1) + i32x4.extract_lane(counts, 2) + i32x4.extract_lane(counts, 3);
    for (let i = l4; i < length; i++) if (load<f32>(row + (<usize>i << 2)) != 0) total++;
  }
  return total;
}

/** f32x4 accumulators per filter row: blocks of BLOCK, the last one narrowed to 1, 2, 4 or BLOCK (see blockWidth). */
// @ts-ignore: decorator
@inline function rowVectors(k: i32): i32 {
  const vectors = (k + 3) >> 2, full = vectors / BLOCK;
  return full * BLOCK + blockWidth(vectors - full * BLOCK);
}

/** The accumulator kernel for the last `r` (< BLOCK) vectors: 1, 2, 4 or BLOCK wide (the extra lanes are discarded). */
// @ts-ignore: decorator
@inline function blockWidth(r: i32): i32 {
  return r == 0 ? 0 : r <= 2 ? r : r <= 4 ? 4 : BLOCK;
}

/** Floats per row of patchesᵀ: every accumulator vector, and ≥ 3 floats past K for buildPatchesT's overshoot. */
// @ts-ignore: decorator
@inline function patchPitch(k: i32): i32 {
  return max(rowVectors(k) << 2, (k + 3 + 3) & ~3);
}

/** The padded sample's floats (padSample), with SLACK. */
// @ts-ignore: decorator
@inline function paddedFloats(channels: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, outH: i32, outW: i32): i32 {
  return channels * ((outH - 1) * strideH + kernelH) * ((outW - 1) * strideW + kernelW) + SLACK;
}

/** Rows of patchesᵀ a block holds (≤ BLOCK_FLOATS floats unless 4 rows exceed it): all P, or a multiple of 4 (the bias lanes' p ≡ l mod 4 must not shift); 0 when not even 4 fit. */
// @ts-ignore: decorator
@inline function blockRows(paddedSize: i32, pitch: i32, plane: i32): i32 {
  const rows = min(max(4, BLOCK_FLOATS / pitch), (convWeightGradientPatchFloats() - paddedSize) / pitch);
  return rows >= plane ? plane : rows & ~3;
}

/** Bytes of workspace: per filter row its accumulators and bias lanes (20 bytes), then the position list. */
// @ts-ignore: decorator
@inline function workspaceBytes(filters: i32, k: i32, rows: i32): i64 {
  return <i64>filters * (<i64>(rowVectors(k) << 4) + 20) + (<i64>(rows + 4) << 2);
}

/** Whether one thread's patch buffer and workspace hold what the kernel needs for this window with all rows of dW. */
export function sparseWeightGradientFits(
  filters: i32, channels: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, outH: i32, outW: i32,
): bool {
  const k = channels * kernelH * kernelW, plane = outH * outW;
  if (filters <= 0 || k <= 0 || plane <= 0) return false;
  const padded = <i64>paddedFloats(channels, kernelH, kernelW, strideH, strideW, outH, outW);
  if (padded + 4 * <i64>patchPitch(k) > <i64>convWeightGradientPatchFloats()) return false;
  const rows = blockRows(<i32>padded, patchPitch(k), plane);
  return rows > 0 && workspaceBytes(filters, k, rows) <= <i64>WORKSPACE_FLOATS * 4;
}

/**
 * dW rows [i0, i1) += the sum above and, when biasGrad ≠ 0, biasGrad[i0, i1) += Σ_{n,p} dy. `ws` is the
 * thread's GEMM workspace, `patches` its patch buffer.
 */
export function convWeightGradientSparse(
  dy: usize, x: usize, dw: usize, biasGrad: usize, filters: i32,
  channels: i32, height: i32, width: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, batch: i32, i0: i32, i1: i32, ws: usize, patches: usize,
): void {
  if (i0 >= i1 || i1 > filters || !sparseWeightGradientFits(filters, channels, kernelH, kernelW, strideH, strideW, outH, outW)) return;
  const k = channels * kernelH * kernelW, plane = outH * outW, rows = i1 - i0;
  const hp = (outH - 1) * strideH + kernelH, wp = (outW - 1) * strideW + kernelW;
  const pitch = patchPitch(k), vectors = rowVectors(k);
  const paddedSize = paddedFloats(channels, kernelH, kernelW, strideH, strideW, outH, outW);
  const kcStep = blockRows(paddedSize, pitch, plane);
  const patchesT = patches + (<usize>paddedSize << 2);
  const acc = ws, lanes = acc + <usize>rows * (<usize>vectors << 4), list = lanes + <usize>rows * 20;
  loadAccumulators(dw, k, i0, rows, vectors, acc);
  memory.fill(lanes, 0, <usize>rows * 20);
  // The rows' floats past the overshoot are never written by buildPatchesT: zeroed once (read into discarded lanes).
  for (let p = 0; p < kcStep; p++) memory.fill(patchesT + (<usize>(p * pitch + k + 3) << 2), 0, <usize>(pitch - k - 3) << 2);
  const rowBytes = <usize>plane << 2;
  for (let n = 0; n < batch; n++) {
    padSample(x + ((<usize>n * <usize>(channels * height * width)) << 2), channels, height, width, padTop, padLeft, hp, wp, patches);
    for (let pc = 0; pc < plane; pc += kcStep) {
      const kc = min(kcStep, plane - pc);
      buildPatchesT(patches, hp, wp, kernelH, kernelW, strideH, strideW, outW, pc, kc, 0, k, pitch, patchesT);
      for (let f = 0; f < rows; f++) {
        const row = dy + (<usize>n * <usize>filters + <usize>(i0 + f)) * rowBytes + (<usize>pc << 2);
        const end = gatherNonzeros(row, kc, list, lanes + (<usize>f << 4), lanes + (<usize>rows << 4) + (<usize>f << 2));
        if (end != list) addPatches(list, end, row, patchesT, pitch, vectors, acc + <usize>f * (<usize>vectors << 4));
      }
    }
  }
  storeAccumulators(acc, k, i0, rows, vectors, dw);
  if (biasGrad != 0) foldBiasLanes(lanes, rows, biasGrad + (<usize>i0 << 2));
}

/**
 * The positions (byte offsets from `row`) of the nonzero floats among the kc at row, in order, into list;
 * returns the list's end. On the way the filter's bias lanes += the floats (4 at a time; the last kc mod 4,
 * only in a sample's last block, one by one into its tail).
 */
// @ts-ignore: decorator
@inline function gatherNonzeros(row: usize, kc: i32, list: usize, lane: usize, tail: usize): usize {
  const zero = f32x4.splat(0), step = i32x4.splat(16);
  let positions = i32x4(0, 4, 8, 12);
  let l = v128.load(lane), out = list;
  const end = row + (<usize>(kc & ~3) << 2);
  for (let s = row; s < end; s += 16) {
    const v = v128.load(s);
    l = f32x4.add(l, v);
    const mask = i32x4.bitmask(f32x4.ne(v, zero));
    const shuffle = v128.load(LEFT_PACK + (<usize>mask << 4));
    v128.store(out, ASC_FEATURE_RELAXED_SIMD ? i8x16.relaxed_swizzle(positions, shuffle) : i8x16.swizzle(positions, shuffle));
    out += <usize>popcnt(mask) << 2;
    positions = i32x4.add(positions, step);
  }
  v128.store(lane, l);
  if ((kc & 3) != 0) {
    let t = load<f32>(tail);
    for (let o = <usize>(kc & ~3) << 2, last = <usize>kc << 2; o < last; o += 4) {
      const v = load<f32>(row + o);
      t += v;
      if (v != 0) { store<i32>(out, <i32>o); out += 4; }
    }
    store<f32>(tail, t);
  }
  return out;
}

/**
 * The filter row's accumulators (`vectors` f32x4 at acc) += dy · patchesᵀ row p for each listed position
 * (byte offset o from `row`: dy at row + o, the patch row at patchesT + o·pitch), block by block of ≤ BLOCK
 * vectors, each block's accumulators in registers across the list.
 */
function addPatches(list: usize, end: usize, row: usize, patchesT: usize, pitch: i32, vectors: i32, acc: usize): void {
  const p = <usize>pitch;
  let v = 0;
  for (; v + BLOCK <= vectors; v += BLOCK) add7(list, end, row, patchesT + (<usize>v << 4), p, acc + (<usize>v << 4));
  const r = vectors - v, b = patchesT + (<usize>v << 4), a = acc + (<usize>v << 4);
  if (r == 4) add4(list, end, row, b, p, a);
  else if (r == 2) add2(list, end, row, b, p, a);
  else if (r == 1) add1(list, end, row, b, p, a);
}

/** Seven accumulators (28 floats of dW's row) over the list. */
function add7(list: usize, end: usize, row: usize, b: usize, pitch: usize, acc: usize): void {
  let a0 = v128.load(acc), a1 = v128.load(acc, 16), a2 = v128.load(acc, 32), a3 = v128.load(acc, 48);
  let a4 = v128.load(acc, 64), a5 = v128.load(acc, 80), a6 = v128.load(acc, 96);
  for (let q = list; q < end; q += 4) {
    const o = <usize>load<i32>(q);
    const d = v128.load32_splat(row + o), s = b + o * pitch;
    a0 = madd(a0, d, v128.load(s)); a1 = madd(a1, d, v128.load(s, 16)); a2 = madd(a2, d, v128.load(s, 32));
    a3 = madd(a3, d, v128.load(s, 48)); a4 = madd(a4, d, v128.load(s, 64)); a5 = madd(a5, d, v128.load(s, 80));
    a6 = madd(a6, d, v128.load(s, 96));
  }
  v128.store(acc, a0); v128.store(acc, a1, 16); v128.store(acc, a2, 32); v128.store(acc, a3, 48);
  v128.store(acc, a4, 64); v128.store(acc, a5, 80); v128.store(acc, a6, 96);
}

/** Four accumulators over the list. */
function add4(list: usize, end: usize, row: usize, b: usize, pitch: usize, acc: usize): void {
  let a0 = v128.load(acc), a1 = v128.load(acc, 16), a2 = v128.load(acc, 32), a3 = v128.load(acc, 48);
  for (let q = list; q < end; q += 4) {
    const o = <usize>load<i32>(q);
    const d = v128.load32_splat(row + o), s = b + o * pitch;
    a0 = madd(a0, d, v128.load(s)); a1 = madd(a1, d, v128.load(s, 16));
    a2 = madd(a2, d, v128.load(s, 32)); a3 = madd(a3, d, v128.load(s, 48));
  }
  v128.store(acc, a0); v128.store(acc, a1, 16); v128.store(acc, a2, 32); v128.store(acc, a3, 48);
}

/** Two accumulators over the list. */
function add2(list: usize, end: usize, row: usize, b: usize, pitch: usize, acc: usize): void {
  let a0 = v128.load(acc), a1 = v128.load(acc, 16);
  for (let q = list; q < end; q += 4) {
    const o = <usize>load<i32>(q);
    const d = v128.load32_splat(row + o), s = b + o * pitch;
    a0 = madd(a0, d, v128.load(s)); a1 = madd(a1, d, v128.load(s, 16));
  }
  v128.store(acc, a0); v128.store(acc, a1, 16);
}

/** One accumulator over the list. */
function add1(list: usize, end: usize, row: usize, b: usize, pitch: usize, acc: usize): void {
  let a0 = v128.load(acc);
  for (let q = list; q < end; q += 4) {
    const o = <usize>load<i32>(q);
    a0 = madd(a0, v128.load32_splat(row + o), v128.load(b + o * pitch));
  }
  v128.store(acc, a0);
}

/** The accumulators of filter rows [i0, i0 + rows) (`vectors` f32x4 each) := dW's rows (K floats; the rest 0). */
function loadAccumulators(dw: usize, k: i32, i0: i32, rows: i32, vectors: i32, acc: usize): void {
  const rowBytes = <usize>vectors << 4;
  memory.fill(acc, 0, <usize>rows * rowBytes);
  for (let f = 0; f < rows; f++) memory.copy(acc + <usize>f * rowBytes, dw + (<usize>(i0 + f) * <usize>k << 2), <usize>k << 2);
}

/** dW's rows [i0, i0 + rows) := the first K floats of each row's accumulators. */
function storeAccumulators(acc: usize, k: i32, i0: i32, rows: i32, vectors: i32, dw: usize): void {
  const rowBytes = <usize>vectors << 4;
  for (let f = 0; f < rows; f++) memory.copy(dw + (<usize>(i0 + f) * <usize>k << 2), acc + <usize>f * rowBytes, <usize>k << 2);
}

/** biasGrad[f] += ((l0 + l1) + (l2 + l3)) + t for each of `rows` filters' lanes (conv-weight-gradient.ts's fold). */
function foldBiasLanes(lanes: usize, rows: i32, biasGrad: usize): void {
  const tails = lanes + (<usize>rows << 4);
  for (let f = 0; f < rows; f++) {
    const l = v128.load(lanes + (<usize>f << 4));
    const s = (f32x4.extract_lane(l, 0) + f32x4.extract_lane(l, 1)) + (f32x4.extract_lane(l, 2) + f32x4.extract_lane(l, 3)) +
      load<f32>(tails + (<usize>f << 2));
    const bp = biasGrad + (<usize>f << 2);
    store<f32>(bp, load<f32>(bp) + s);
  }
}

// madd as in gemm.ts and conv-weight-gradient.ts (kept in each file on purpose: the rounding contract above).
/** acc + a·b: f32 multiply then add in the plain build, a fused multiply-add in the relaxed-SIMD build. */
// @ts-ignore: decorator
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}
