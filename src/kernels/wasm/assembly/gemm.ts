// Single-precision GEMM, WebAssembly SIMD (f32x4), GotoBLAS structure:
//
//   for each block of nc columns of C            (jc)
//     for each block of kc along the sum         (pc)   pack B[kc × nc] into 8-column panels
//       for each 4-row block of C                (ic)   pack A[4 × kc], p-major
//         for each 8-column panel                (jr)   4×8 micro-kernel, 8 v128 accumulators
//                                                       (4×4 / 2×8 for a last narrow panel / short block)
//
// (A·Bᵀ with a long sum into a small C goes to gemm-abt.ts instead.) Measured alternatives that lost
// here: a 5×8 tile, unrolling the p loop, reading full B panels unpacked; and (issue 13, on a loaded
// 2-core EPYC) packing all of a few-row A once and B one panel at a time: no measurable change.
//
// A and B are addressed through (row stride, column stride) in elements, so the same driver serves
// C = A·B, Aᵀ·B and A·Bᵀ: only the packing reads differently.
//
// Every element of C is computed by the same instruction sequence whatever the tiling, the block
// sizes or the part of C a thread was given:  acc = (accumulate ? C : 0);  for p in 0..k-1:
// acc = madd(acc, a[i,p], b[p,j])  (an f32 multiply, then an f32 add; a fused multiply-add only in
// the relaxed-SIMD build, see `madd`). Blocking along k stores and
// reloads acc through C, which is exact in f32. So a multi-threaded call that splits C by rows or
// columns gives bit-identical results to one thread.
//
// Pointers are byte addresses in the (imported, shared) memory; the JS side owns the layout.

export const MR: i32 = 4;
export const NR: i32 = 8;
/**
 * Longest sum block: a packed A block (4·KC floats) and one B panel (KC·8 floats), 40 KB together,
 * stay in L1 (48 KB here); k = 784 (MNIST pixels) is then one block and C is loaded and stored once.
 */
export const KC: i32 = 800;
/** Widest column block for the longest sum block: the packed B block (KC·NC floats, 1.6 MB) stays in L2. */
const NC: i32 = 512;
/** The packed B block's budget in floats: shorter sum blocks get proportionally wider column blocks. */
const PACK_B_FLOATS: i32 = KC * NC;
export const NC_MAX: i32 = 1024;
/** The workspace in floats (packed A, packed B, the edge tile): Conv2D's forward lays out the same bytes its own way. */
export const WORKSPACE_FLOATS: i32 = MR * KC + PACK_B_FLOATS + MR * NR;

/** Bytes of workspace one thread needs: packed A, packed B, and the edge tile. */
export function gemmWorkspaceBytes(): i32 {
  return WORKSPACE_FLOATS * 4;
}

/**
 * C[i0..i1) × [j0..j1) (+)= A·B for the A(i,p) = a[i·aRs + p·aCs], B(p,j) = b[p·bRs + j·bCs].
 * C is row-major [m × n] at `c` (only the rectangle is written). `ws` is this thread's workspace.
 */
export function gemm(
  a: usize, aRs: i32, aCs: i32,
  b: usize, bRs: i32, bCs: i32,
  c: usize, n: i32, k: i32,
  i0: i32, i1: i32, j0: i32, j1: i32,
  accumulate: bool, ws: usize,
): void {
  if (i0 >= i1 || j0 >= j1) return;
  const ldc = <usize>n << 2;
  if (k <= 0) {
    if (!accumulate) {
      for (let i = i0; i < i1; i++) memory.fill(c + <usize>i * ldc + (<usize>j0 << 2), 0, <usize>(j1 - j0) << 2);
    }
    return;
  }
  const packA = ws;
  const packB = ws + (<usize>(MR * KC) << 2);
  const tile = packB + (<usize>PACK_B_FLOATS << 2);

  // Balanced sum blocks: k = 784 gives 2 × 392 rather than 384 + 384 + 16.
  const kBlocks = (k + KC - 1) / KC;
  const kcStep = (k + kBlocks - 1) / kBlocks;

  // Column blocks as wide as the packed-B budget allows for this sum block (multiples of 8), but no
  // wider than 1024: with a short sum (Conv2D's k = 25) a small block that every row block re-reads
  // from L1/L2 beats a wide one.
  const ncStep = min(NC_MAX, max(NR, (PACK_B_FLOATS / kcStep) & ~(NR - 1)));
  for (let jc = j0; jc < j1; jc += ncStep) {
    const nc = min(ncStep, j1 - jc);
    for (let pc = 0; pc < k; pc += kcStep) {
      const kc = min(kcStep, k - pc);
      const load = accumulate || pc > 0;
      packPanelsB(b, bRs, bCs, pc, kc, jc, nc, packB);
      for (let ic = i0; ic < i1; ic += MR) {
        const mr = min(MR, i1 - ic);
        packRowsA(a, aRs, aCs, ic, mr, pc, kc, packA);
        const cRow = c + <usize>ic * ldc;
        for (let jr = 0; jr < nc; jr += NR) {
          microTile(packA, packB + (<usize>(jr * kc) << 2), NR << 2, kc, cRow + (<usize>(jc + jr) << 2), ldc, mr, min(NR, nc - jr), load, 0, tile);
        }
      }
    }
  }
}

/**
 * One mr×nr block of C (mr ≤ 4, nr ≤ 8) from a packed A block and a packed B panel. Full 4×8, 2×8 and 4×4
 * blocks are written in place; other edges run the 4×8 kernel on a scratch tile and copy the valid part.
 * Every kernel gives each element the same instruction sequence, so the choice changes no bit.
 * The accumulators start from C (`load`), else from rowInit[0..4) (a value per row: Conv2D's bias; 4
 * readable floats) when rowInit ≠ 0, else from zero. B's row p of the panel is at pb + p·pbStep bytes:
 * 32 for a packed panel; Conv2D's forward passes its patch rows in place (conv-product.ts). The GEMM
 * passes the constants rowInit = 0 and pbStep = 32, which the optimizer folds after inlining.
 */
// @ts-ignore: decorator
@inline export function microTile(
  pa: usize, pb: usize, pbStep: usize, kc: i32, cTile: usize, ldc: usize, mr: i32, nr: i32, load: bool, rowInit: usize, tile: usize,
): void {
  if (nr == NR) {
    if (mr == MR) { kernel4x8(pa, pb, pbStep, kc, cTile, ldc, load, rowInit); return; }
    if (mr == 2) { kernel2x8(pa, pb, pbStep, kc, cTile, ldc, load, rowInit); return; }
  } else if (nr == 4 && mr == MR) {
    kernel4x4(pa, pb, pbStep, kc, cTile, ldc, load, rowInit);
    return;
  }
  if (load) copyTile(cTile, ldc, tile, NR << 2, mr, nr);
  // (A last panel of ≤ 4 columns takes the 4×4 kernel: half the work of 4×8; ≤ 2 rows the 2×8 kernel.)
  if (nr <= 4) kernel4x4(pa, pb, pbStep, kc, tile, NR << 2, load, rowInit);
  else if (mr <= 2) kernel2x8(pa, pb, pbStep, kc, tile, NR << 2, load, rowInit);
  else kernel4x8(pa, pb, pbStep, kc, tile, NR << 2, load, rowInit);
  copyTile(tile, NR << 2, cTile, ldc, mr, nr);
}

/** Copies rows × cols floats (≤ 4 × 8): element moves, as memory.copy is a runtime call costing more than this. */
function copyTile(src: usize, srcStride: usize, dst: usize, dstStride: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * srcStride, d = dst + <usize>r * dstStride;
    for (let j = 0; j < cols; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>j << 2)));
  }
}

/** packA[p·4 + r] = A(ic + r, pc + p); rows past `mr` are zero. */
export function packRowsA(a: usize, rs: i32, cs: i32, ic: i32, mr: i32, pc: i32, kc: i32, dst: usize): void {
  if (mr == MR && rs == 1) {
    // Aᵀ stored [k × m]: the 4 values of one p are contiguous.
    let src = a + ((<usize>ic + <usize>pc * <usize>cs) << 2);
    const step = <usize>cs << 2;
    for (let p = 0; p < kc; p++) {
      v128.store(dst + (<usize>p << 4), v128.load(src));
      src += step;
    }
    return;
  }
  if (mr == MR && cs == 1) {
    // A stored [m × k]: walk the 4 rows side by side, transposing 4×4 blocks with shuffles.
    const r0 = a + ((<usize>ic * <usize>rs + <usize>pc) << 2);
    const stride = <usize>rs << 2;
    const r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const off = <usize>p << 2;
      const x0 = v128.load(r0 + off), x1 = v128.load(r1 + off);
      const x2 = v128.load(r2 + off), x3 = v128.load(r3 + off);
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5); // a0 b0 a1 b1
      const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5); // c0 d0 c1 d1
      const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7); // a2 b2 a3 b3
      const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7); // c2 d2 c3 d3
      const d = dst + (<usize>p << 4);
      v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
      v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
      v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
    }
    for (; p < kc; p++) {
      const off = <usize>p << 2;
      const d = dst + (<usize>p << 4);
      store<f32>(d, load<f32>(r0 + off));
      store<f32>(d, load<f32>(r1 + off), 4);
      store<f32>(d, load<f32>(r2 + off), 8);
      store<f32>(d, load<f32>(r3 + off), 12);
    }
    return;
  }
  for (let p = 0; p < kc; p++) {
    const d = dst + (<usize>p << 4);
    for (let r = 0; r < MR; r++) {
      const v: f32 = r < mr ? load<f32>(a + ((<usize>(ic + r) * <usize>rs + <usize>(pc + p) * <usize>cs) << 2)) : 0;
      store<f32>(d + (<usize>r << 2), v);
    }
  }
}

/**
 * Packs B[pc..pc+kc) × [jc..jc+nc) into 8-column panels: panel q holds, for each p, the 8 values
 * B(pc + p, jc + 8q .. jc + 8q + 7) contiguously (zero past the last column).
 */
function packPanelsB(b: usize, rs: i32, cs: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const panel = dst + (<usize>(jr * kc) << 2);
    const j = jc + jr;
    if (nr == NR && cs == 1) {
      // B stored [k × n]: 8 contiguous values per p.
      let src = b + ((<usize>pc * <usize>rs + <usize>j) << 2);
      const step = <usize>rs << 2;
      for (let p = 0; p < kc; p++) {
        const d = panel + (<usize>p << 5);
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
        src += step;
      }
    } else if (nr == NR && rs == 1) {
      // Bᵀ stored [n × k]: 8 rows walked side by side, 4×4 transposes.
      const stride = <usize>cs << 2;
      const r0 = b + ((<usize>j * <usize>cs + <usize>pc) << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const off = <usize>p << 2;
        const d = panel + (<usize>p << 5);
        transpose4(r0 + off, stride, d);
        transpose4(r0 + off + (stride << 2), stride, d + 16);
      }
      for (; p < kc; p++) {
        const off = <usize>p << 2;
        const d = panel + (<usize>p << 5);
        for (let jj = 0; jj < NR; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(r0 + off + <usize>jj * stride));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = panel + (<usize>p << 5);
        for (let jj = 0; jj < NR; jj++) {
          const v: f32 = jj < nr ? load<f32>(b + ((<usize>(pc + p) * <usize>rs + <usize>(j + jj) * <usize>cs) << 2)) : 0;
          store<f32>(d + (<usize>jj << 2), v);
        }
      }
    }
  }
}

/** Reads a 4×4 block (rows `stride` bytes apart) and writes its transpose as 4 vectors 32 bytes apart. */
// @ts-ignore: decorator
@inline function transpose4(src: usize, stride: usize, dst: usize): void {
  const x0 = v128.load(src), x1 = v128.load(src + stride);
  const x2 = v128.load(src + stride * 2), x3 = v128.load(src + stride * 3);
  const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 32);
  v128.store(dst, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 64);
  v128.store(dst, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 96);
}

/**
 * The 4×8 micro-kernel: C[4×8] = (load ? C : 0) + Σp A[:,p]·B[p,:], with A packed p-major (4 per p)
 * and B packed p-major (8 per p). Eight v128 accumulators: more would spill on x64.
 */
// @ts-ignore: decorator
@inline function kernel4x8(pa: usize, pb: usize, pbStep: usize, kc: i32, c: usize, ldc: usize, load: bool, rowInit: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (load) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c1); c11 = v128.load(c1, 16);
    c20 = v128.load(c2); c21 = v128.load(c2, 16);
    c30 = v128.load(c3); c31 = v128.load(c3, 16);
  } else if (rowInit != 0) {
    c00 = c01 = v128.load32_splat(rowInit);
    c10 = c11 = v128.load32_splat(rowInit, 4);
    c20 = c21 = v128.load32_splat(rowInit, 8);
    c30 = c31 = v128.load32_splat(rowInit, 12);
  }
  // The loop ends on pa reaching its end: one integer add fewer per step than counting p (integer
  // work shares execution ports with the float adds and multiplies).
  for (const paEnd = pa + (<usize>kc << 4); pa < paEnd; ) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = v128.load32_splat(pa, 4);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    a = v128.load32_splat(pa, 8);
    c20 = madd(c20, a, b0);
    c21 = madd(c21, a, b1);
    a = v128.load32_splat(pa, 12);
    c30 = madd(c30, a, b0);
    c31 = madd(c31, a, b1);
    pa += 16;
    pb += pbStep;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

// The edge kernels repeat kernel4x8's body on fewer registers on purpose: each tile keeps all its
// accumulators in v128 locals, which a tile-size parameter would not guarantee in the hot loop.
/** The 4×4 edge kernel: the left half of an 8-wide packed panel (a last panel of ≤ 4 columns). */
// @ts-ignore: decorator
@inline function kernel4x4(pa: usize, pb: usize, pbStep: usize, kc: i32, c: usize, ldc: usize, load: bool, rowInit: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  if (load) {
    c0 = v128.load(c); c1 = v128.load(r1); c2 = v128.load(r2); c3 = v128.load(r3);
  } else if (rowInit != 0) {
    c0 = v128.load32_splat(rowInit); c1 = v128.load32_splat(rowInit, 4);
    c2 = v128.load32_splat(rowInit, 8); c3 = v128.load32_splat(rowInit, 12);
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    c0 = madd(c0, v128.load32_splat(pa), b0);
    c1 = madd(c1, v128.load32_splat(pa, 4), b0);
    c2 = madd(c2, v128.load32_splat(pa, 8), b0);
    c3 = madd(c3, v128.load32_splat(pa, 12), b0);
    pa += 16;
    pb += pbStep;
  }
  v128.store(c, c0); v128.store(r1, c1); v128.store(r2, c2); v128.store(r3, c3);
}

/** The 2×8 edge kernel: the top half of a 4-row packed block (a last row block of ≤ 2 rows). */
// @ts-ignore: decorator
@inline function kernel2x8(pa: usize, pb: usize, pbStep: usize, kc: i32, c: usize, ldc: usize, load: bool, rowInit: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  const c1 = c + ldc;
  if (load) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c10 = v128.load(c1); c11 = v128.load(c1, 16);
  } else if (rowInit != 0) {
    c00 = c01 = v128.load32_splat(rowInit);
    c10 = c11 = v128.load32_splat(rowInit, 4);
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = v128.load32_splat(pa, 4);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    pa += 16;
    pb += pbStep;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c1, c10); v128.store(c1, c11, 16);
}

/**
 * The 2×16 edge kernel: two rows of a 4-row packed block against two 8-column panels (pb0, pb1), i.e. two
 * kernel2x8 calls at once. kernel2x8 keeps only 4 accumulators, too few to cover the multiply-add
 * latency (2 per cycle × 4 cycles here), so it runs at half rate; Conv2D's F = 30 filters end every
 * sample on such a block (conv-product.ts). Same instruction sequence per element as kernel2x8.
 */
// @ts-ignore: decorator
@inline export function kernel2x16(pa: usize, pb0: usize, pb1: usize, pbStep: usize, kc: i32, c: usize, ldc: usize, load: bool, rowInit: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const c1 = c + ldc;
  if (load) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
    c10 = v128.load(c1); c11 = v128.load(c1, 16); c12 = v128.load(c1, 32); c13 = v128.load(c1, 48);
  } else if (rowInit != 0) {
    c00 = c01 = c02 = c03 = v128.load32_splat(rowInit);
    c10 = c11 = c12 = c13 = v128.load32_splat(rowInit, 4);
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb0), b1 = v128.load(pb0, 16);
    const b2 = v128.load(pb1), b3 = v128.load(pb1, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    c02 = madd(c02, a, b2);
    c03 = madd(c03, a, b3);
    a = v128.load32_splat(pa, 4);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    c12 = madd(c12, a, b2);
    c13 = madd(c13, a, b3);
    pa += 16;
    pb0 += pbStep;
    pb1 += pbStep;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
}

/**
 * acc + a·b. In the plain build an f32 multiply then an f32 add; in the relaxed-SIMD build
 * (kernels-fma.wasm, the default where the engine has relaxed SIMD; NN_WASM_FMA=0|1 pins one) a fused
 * multiply-add where the CPU has one (relaxed_madd may also round twice: the same on every call).
 * Either way one instruction sequence per element, whatever the tiling or thread split.
 */
// @ts-ignore: decorator
@inline export function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}
