import fc from 'fast-check';
import { kernelBackend, setKernelBackend } from '../../src/kernels/backend';
import { reluBackward, reluForward } from '../../src/kernels/activation';
import { windowGeometry } from '../../src/kernels/conv-geometry';
import { col2im, im2col } from '../../src/kernels/im2col';
import { batchToFilterRows, filterRowsToBatch } from '../../src/kernels/layout';
import { adamUpdate } from '../../src/kernels/optimizer';
import { accumulateColumnSums, addRowVector } from '../../src/kernels/bias';
import { allFinite } from '../../src/kernels/finite';
import { fillZero } from '../../src/kernels/fill';
import { maxPoolBackward, maxPoolForward } from '../../src/kernels/pooling';
import { matmul } from '../../src/kernels/gemm';
import { isResident } from '../../src/kernels/wasm/arena';
import { MemoryOwner } from '../../src/memory';
import { Rng } from '../../src/random';

/** Runs `body` once with the TypeScript kernels and once with wasm; returns both results. */
function both<T>(body: () => T): { ts: T; wasm: T } {
  const previous = kernelBackend();
  try {
    setKernelBackend('ts');
    const ts = body();
    setKernelBackend('wasm');
    const wasm = body();
    return { ts, wasm };
  } finally {
    setKernelBackend(previous);
  }
}

/** Values with ties, signed zeros and NaN: what makes ReLU and max pooling interesting. */
function awkward(rng: Rng, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const r = rng.next();
    out[i] = r < 0.05 ? NaN : r < 0.1 ? -0 : r < 0.15 ? 0 : r < 0.5 ? rng.int(5) - 2 : rng.uniform(-3, 3);
  }
  return out;
}

const sameBits = (a: Float32Array | Int32Array, b: Float32Array | Int32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('wasm kernels equal the TypeScript kernels', () => {
  test('ReLU forward and backward, bit for bit (NaN → 0, −0 → 0), any length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 2 ** 30 }), (n, seed) => {
        const rng = new Rng(seed);
        const x = awkward(rng, n), dy = awkward(rng, n);
        const r = both(() => {
          const y = new Float32Array(n), dx = new Float32Array(n);
          reluForward(x, y, n);
          reluBackward(x, dy, dx, n);
          return { y, dx };
        });
        return sameBits(r.ts.y, r.wasm.y) && sameBits(r.ts.dx, r.wasm.dx);
      }),
      { numRuns: 150, seed: 61 },
    );
  });

  test('2×2 max pooling: values, argmax (first of ties, NaN wins) and backward, odd sizes included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 13 }), fc.integer({ min: 2, max: 21 }), fc.integer({ min: 0, max: 2 ** 30 }),
        (planes, height, width, seed) => {
          const rng = new Rng(seed);
          const x = awkward(rng, planes * height * width);
          const outH = height >> 1, outW = width >> 1;
          const dy = awkward(rng, planes * outH * outW).map((v) => (Number.isNaN(v) ? 1 : v));
          const r = both(() => {
            const y = new Float32Array(planes * outH * outW), argmax = new Int32Array(y.length);
            maxPoolForward(x, y, argmax, windowGeometry('test', [planes, height, width], [2, 2], [2, 2], 0));
            const dx = new Float32Array(x.length).fill(7); // backward must overwrite
            maxPoolBackward(dy, argmax, dx, x.length, y.length);
            const dxPlanes = new Float32Array(x.length).fill(7); // told the planes: the same result
            maxPoolBackward(dy, argmax, dxPlanes, x.length, y.length, planes);
            return { y, argmax, dx, dxPlanes };
          });
          return sameBits(r.ts.y, r.wasm.y) && sameBits(r.ts.argmax, r.wasm.argmax) && sameBits(r.ts.dx, r.wasm.dx) &&
            sameBits(r.ts.dx, r.wasm.dxPlanes) && sameBits(r.ts.dx, r.ts.dxPlanes);
        },
      ),
      { numRuns: 150, seed: 62 },
    );
  });

  test('im2col and col2im on random geometry (stride, padding, asymmetric kernels)', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 3 }), channels: fc.integer({ min: 1, max: 3 }),
          height: fc.integer({ min: 1, max: 9 }), width: fc.integer({ min: 1, max: 9 }),
          kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
          sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
          ph: fc.integer({ min: 0, max: 2 }), pw: fc.integer({ min: 0, max: 2 }),
          seed: fc.integer({ min: 0, max: 2 ** 30 }),
        }),
        ({ batch, channels, height, width, kh, kw, sh, sw, ph, pw, seed }) => {
          const outH = Math.floor((height + 2 * ph - kh) / sh) + 1;
          const outW = Math.floor((width + 2 * pw - kw) / sw) + 1;
          if (outH <= 0 || outW <= 0) return true;
          const g = windowGeometry('test', [channels, height, width], [kh, kw], [sh, sw], [ph, pw], batch);
          const rng = new Rng(seed);
          const x = awkward(rng, batch * channels * height * width).map((v) => (Number.isNaN(v) ? 0.5 : v));
          const dCols = awkward(rng, channels * kh * kw * batch * outH * outW).map((v) => (Number.isNaN(v) ? 0.5 : v));
          const r = both(() => {
            const cols = new Float32Array(dCols.length).fill(9);
            im2col(x, cols, g);
            const dx = new Float32Array(x.length).fill(9);
            col2im(dCols, dx, g);
            return { cols, dx };
          });
          // col2im sums in the same order in both (row by row of cols), so even it is bit-identical.
          return sameBits(r.ts.cols, r.wasm.cols) && sameBits(r.ts.dx, r.wasm.dx);
        },
      ),
      { numRuns: 150, seed: 63 },
    );
  });

  test('Conv2D layout transposes; the bias gradient within float32 rounding of its sum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 30 }), fc.boolean(), fc.integer({ min: 0, max: 2 ** 30 }),
        (filters, batch, plane, withBias, seed) => {
          const rng = new Rng(seed);
          const rows = Float32Array.from({ length: filters * batch * plane }, () => rng.uniform(-2, 2));
          const bias = withBias ? Float32Array.from({ length: filters }, () => rng.uniform(-1, 1)) : undefined;
          const r = both(() => {
            const nchw = new Float32Array(rows.length);
            filterRowsToBatch(rows, nchw, filters, batch, plane, bias);
            const back = new Float32Array(rows.length);
            const biasGrad = withBias ? new Float32Array(filters).fill(0.25) : undefined;
            batchToFilterRows(nchw, back, filters, batch, plane, biasGrad);
            return { nchw, back, biasGrad };
          });
          if (!sameBits(r.ts.nchw, r.wasm.nchw) || !sameBits(r.ts.back, r.wasm.back)) return false;
          if (!withBias) return true;
          for (let f = 0; f < filters; f++) {
            let magnitude = 0.25;
            for (let i = 0; i < batch * plane; i++) magnitude += Math.abs(r.ts.back[f * batch * plane + i]);
            const bound = (batch * plane + 2) * 2 ** -23 * magnitude;
            if (Math.abs(r.ts.biasGrad![f] - r.wasm.biasGrad![f]) > bound) return false;
          }
          return true;
        },
      ),
      { numRuns: 150, seed: 64 },
    );
  });

  test('dense bias: addRowVector and accumulateColumnSums bit for bit, ragged widths, heap and resident arrays', () => {
    const owner = new MemoryOwner('test');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 37 }), fc.boolean(), fc.integer({ min: 0, max: 2 ** 30 }),
        (rows, cols, resident, seed) => {
          const rng = new Rng(seed);
          const x = awkward(rng, rows * cols), b = awkward(rng, cols), start = awkward(rng, cols);
          const place = (a: Float32Array) => {
            if (!resident) return a.slice();
            const view = owner.arenaFloat32(a.length);
            view.set(a);
            return view;
          };
          const r = both(() => {
            const y = place(x), s = place(start);
            addRowVector(y, b, rows, cols);
            accumulateColumnSums(x, s, rows, cols);
            return { y: y.slice(), s: s.slice() };
          });
          return sameBits(r.ts.y, r.wasm.y) && sameBits(r.ts.s, r.wasm.s);
        }),
      { numRuns: 150, seed: 66 },
    );
    owner.dispose();
  });

  test('allFinite: the same answer as the loop with a NaN or ±Infinity anywhere (vector lanes and tail)', () => {
    const owner = new MemoryOwner('test');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 30 }), (n, bad, seed) => {
        const rng = new Rng(seed);
        const heap = Float32Array.from({ length: n }, () => rng.uniform(-3e38, 3e38));
        for (let k = 0; k < bad && n > 0; k++) heap[rng.int(n)] = [NaN, Infinity, -Infinity][rng.int(3)];
        const resident = owner.arenaFloat32(n + 1);
        resident.set(heap);
        resident[n] = NaN; // past the n elements asked about: never looked at
        const expected = heap.every(Number.isFinite);
        const r = both(() => [allFinite(heap), allFinite(resident, n)]);
        // The first n − 1 elements only.
        const shorter = Math.max(0, n - 1);
        const prefix = both(() => allFinite(resident, shorter));
        owner.release(resident);
        return [...r.ts, ...r.wasm].every((x) => x === expected) &&
          prefix.ts === prefix.wasm && prefix.ts === heap.subarray(0, shorter).every(Number.isFinite);
      }),
      { numRuns: 200, seed: 67 },
    );
    owner.dispose();
  });

  test('fillZero zeroes the first n elements of resident and heap arrays and nothing after', () => {
    const owner = new MemoryOwner('test');
    for (const n of [0, 1, 5, 4096, 5001]) {
      for (const resident of [false, true]) {
        const r = both(() => {
          const a = resident ? owner.arenaFloat32(n + 3) : new Float32Array(n + 3);
          a.fill(-2);
          fillZero(a, n);
          const copy = a.slice();
          if (resident) owner.release(a);
          return copy;
        });
        const expected = new Float32Array(n + 3).fill(-2).fill(0, 0, n);
        expect(sameBits(r.ts, expected) && sameBits(r.wasm, expected)).toBe(true);
      }
    }
    owner.dispose();
  });

  test('Adam update: wasm (float32 arithmetic) within 1e-6 of the float64 loop, relative to the size of its terms', () => {
    let worst = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 2 ** 30 }), (n, t, seed) => {
        const rng = new Rng(seed);
        const value = Float32Array.from({ length: n }, () => rng.uniform(-3, 3));
        const grad = Float32Array.from({ length: n }, () => rng.uniform(-1, 1) * 10 ** rng.int(4));
        const m = Float32Array.from({ length: n }, () => rng.uniform(-0.1, 0.1));
        const v = Float32Array.from({ length: n }, () => rng.uniform(0, 0.01));
        const r = both(() => {
          const w = value.slice(), mm = m.slice(), vv = v.slice();
          adamUpdate(w, grad, mm, vv, n, 1e-3, 0.9, 0.999, 1e-8, t, 0.5, 1e-4);
          return { w, mm, vv };
        });
        // Each result within 1e-6 of the magnitude of the terms that make it (a float32 sum of
        // terms of that size is off by a few ulps of them, whatever cancellation leaves over).
        for (let i = 0; i < n; i++) {
          const g = 0.5 * grad[i] + 1e-4 * value[i];
          const scales = {
            mm: Math.abs(0.9 * m[i]) + Math.abs(0.1 * g),
            vv: Math.abs(0.999 * v[i]) + Math.abs(0.001 * g * g),
            w: Math.abs(value[i]) + Math.abs(value[i] - r.ts.w[i]),
          };
          for (const key of ['w', 'mm', 'vv'] as const) {
            const err = Math.abs(r.ts[key][i] - r.wasm[key][i]) / scales[key];
            worst = Math.max(worst, err);
            if (!(err <= 1e-6)) return false;
          }
        }
        return true;
      }),
      { numRuns: 150, seed: 65 },
    );
    console.log(`Adam wasm vs float64 loop: worst relative difference ${worst.toExponential(2)}`);
  });
});

test('Adam (wasm): gradients below 1e-15 count as 0, m and v below 1e-30 are stored as 0 (no subnormals); NaN passes', () => {
  const previous = kernelBackend();
  setKernelBackend('wasm');
  try {
    const n = 9; // 8 lanes and a scalar tail
    const value = new Float32Array(n).fill(1);
    const grad = new Float32Array(n).fill(1e-20);
    grad[3] = NaN;
    grad[8] = NaN;
    const m = new Float32Array(n).fill(1e-31);
    const v = new Float32Array(n).fill(2e-31);
    adamUpdate(value, grad, m, v, n, 1e-3, 0.9, 0.999, 1e-8, 5, 1, 0);
    for (let i = 0; i < n; i++) {
      if (i === 3 || i === 8) {
        expect(Number.isNaN(m[i]) && Number.isNaN(v[i]) && Number.isNaN(value[i])).toBe(true);
      } else {
        expect([m[i], v[i], value[i]]).toEqual([0, 0, 1]);
      }
    }
  } finally {
    setKernelBackend(previous);
  }
});

describe('resident arrays (views into the wasm memory)', () => {
  const owner = new MemoryOwner('test');
  const allocResident = (length: number) => owner.arenaFloat32(length);
  const releaseResident = (view: Float32Array) => owner.release(view);
  test('allocResident gives zeroed views, recognised as resident; plain arrays are not', () => {
    const a = allocResident(1000)!;
    expect(a).not.toBeNull();
    expect(isResident(a)).toBe(true);
    expect(isResident(a.subarray(10, 20))).toBe(true);
    expect(isResident(new Float32Array(10))).toBe(false);
    expect(a.every((v) => v === 0)).toBe(true);
  });

  test('released blocks are handed out again (zeroed), split and merged; subarrays and double releases are ignored', () => {
    const a = allocResident(5000)!;
    a.fill(3);
    releaseResident(a.subarray(0, 100)); // not a block: ignored
    releaseResident(new Float32Array(5000)); // not resident: ignored
    const b = allocResident(5000)!;
    const guard = allocResident(16)!; // keeps a and b below the top
    expect(b.byteOffset).not.toBe(a.byteOffset); // a is still in use
    releaseResident(a);
    releaseResident(a); // already free: ignored (a second allocation must not share it)
    const c = allocResident(5000)!;
    const d = allocResident(5000)!;
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(d.byteOffset).not.toBe(a.byteOffset);
    expect(c.every((v) => v === 0)).toBe(true);
    // Two adjacent released blocks merge: a block twice the size fits where they were.
    releaseResident(c);
    releaseResident(b);
    const e = allocResident(10000)!;
    expect(e.byteOffset).toBe(a.byteOffset);
    // And a small one is split off the front of a free range.
    releaseResident(e);
    const f = allocResident(100)!;
    expect(f.byteOffset).toBe(a.byteOffset);
    // Nothing handed out overlaps anything else in use.
    const live = [d, guard, f].map((v) => [v.byteOffset, v.byteOffset + v.byteLength]);
    for (const [lo, hi] of live) for (const [lo2, hi2] of live) if (lo !== lo2) expect(hi <= lo2 || hi2 <= lo).toBe(true);
  });

  test('a product on resident operands equals the same product on heap operands', () => {
    const rng = new Rng(5);
    const [m, k, n] = [13, 29, 11];
    const heapA = Float32Array.from({ length: m * k }, () => rng.uniform(-1, 1));
    const heapB = Float32Array.from({ length: k * n }, () => rng.uniform(-1, 1));
    const heapC = new Float32Array(m * n);
    const a = allocResident(m * k)!, b = allocResident(k * n)!, c = allocResident(m * n)!;
    a.set(heapA);
    b.set(heapB);
    matmul(heapA, heapB, heapC, m, k, n, false);
    matmul(a, b, c, m, k, n, false);
    expect(sameBits(c, heapC)).toBe(true);
  });

  test('a resident operand shorter than the call needs is refused (it would overwrite its neighbours)', () => {
    const previous = kernelBackend();
    setKernelBackend('wasm');
    try {
      const short = allocResident(10)!;
      expect(() => reluForward(new Float32Array(20), short, 20)).toThrow(/kernel operand has 10 elements, the call needs 20/);
    } finally {
      setKernelBackend(previous);
    }
  });
});
