/**
 * Owners of the kernels' memory (issue 9): dispose() on nets, layers, losses and optimizers (idempotent, then
 * DisposedError), fit's temporaries freed however it ends, optimizer slots released by reset()/loadState(),
 * owned views (subarrays keep their owner), and a KernelMemoryError — never a silent change of kernels — when
 * the arena is full.
 */
import {
  Adam, Affine, Conv2D, DisposedError, Flatten, KernelMemoryError, MemoryOwner, OwnedFloat32Array, ReLU, SGD, Sequential,
  SoftmaxCrossEntropy, fit, memoryStats, setMemoryLimit, tensor, wasmStatus,
} from '../../src/index';
import { arenaProblem } from '../../src/kernels/wasm/arena';
import { ownedBytes, syntheticDigits } from './helpers';

const describeWasm = wasmStatus().available ? describe : describe.skip;

function convNet(seed = 1): Sequential {
  return new Sequential([new Conv2D({ filters: 8, kernelSize: 3 }), new ReLU(), new Flatten(), new Affine({ units: 10 })], {
    inputShape: [1, 28, 28], seed,
  });
}

function bytesOf(kind: string): number {
  return memoryStats().owners[kind]?.bytes ?? 0;
}

describe('dispose()', () => {
  test('a disposed net, layer, loss or optimizer refuses to work, naming itself; dispose() twice is fine', () => {
    const net = convNet();
    const loss = new SoftmaxCrossEntropy();
    const optimizer = new SGD({ lr: 0.1 });
    const x = tensor([2, 1, 28, 28]);
    loss.forward(net.forward(x), new Int32Array([1, 2]));
    net.dispose();
    net.dispose();
    expect(net.disposed).toBe(true);
    expect(() => net.forward(x)).toThrow(DisposedError);
    expect(() => net.forward(x)).toThrow(/^Sequential \(Conv2D, ReLU, Flatten, Affine\) was disposed/);
    expect(() => net.params()).toThrow(DisposedError);
    expect(() => net.layers[0].forward(x, false)).toThrow(/^Conv2D was disposed/);
    loss.dispose();
    loss.dispose();
    expect(() => loss.forward(tensor([2, 10]), new Int32Array([1, 2]))).toThrow(/^SoftmaxCrossEntropy was disposed/);
    optimizer.dispose();
    optimizer.dispose();
    expect(() => optimizer.step([])).toThrow(/^SGD was disposed/);
  });

  test('a MemoryOwner refuses to allocate once disposed', () => {
    const owner = new MemoryOwner('test owner');
    owner.float32(10);
    owner.dispose();
    expect(() => owner.float32(10)).toThrow(/^test owner was disposed/);
  });
});

describeWasm('blocks and their owners', () => {
  test('a net\'s blocks are counted under its layers\' kinds and all go back on dispose()', () => {
    const before = ownedBytes();
    const net = convNet();
    net.forward(tensor([4, 1, 28, 28]), true);
    expect(bytesOf('Conv2D')).toBeGreaterThan(0);
    expect(bytesOf('Affine')).toBeGreaterThan(0);
    net.dispose();
    expect(ownedBytes()).toBe(before);
    expect(arenaProblem()).toBeNull();
  });

  test('fit gives back its batch buffers and weight snapshot, also when it throws', async () => {
    const data = syntheticDigits(40, 3);
    const net = convNet();
    const loss = new SoftmaxCrossEntropy();
    const optimizer = new SGD({ lr: 0.01 });
    await fit(net, loss, optimizer, data, { epochs: 2, batchSize: 16, validationSplit: 0.25, patience: 1 });
    expect(bytesOf('fit')).toBe(0);
    let batches = 0;
    const failing = fit(net, loss, optimizer, data, {
      epochs: 1, batchSize: 16, augment: () => {
        if (++batches === 2) throw new Error('augment failed');
      },
    });
    await expect(failing).rejects.toThrow('augment failed');
    expect(bytesOf('fit')).toBe(0);
    net.dispose();
    loss.dispose();
    optimizer.dispose();
  });

  test('Optimizer.reset() and loadState() release the slots they replace', () => {
    const net = new Sequential([new Affine({ units: 256 })], { inputShape: [64], seed: 2 });
    for (const p of net.params()) p.grad.fill(0.5);
    const adam = new Adam();
    const before = bytesOf('Adam');
    adam.step(net.params());
    const slots = bytesOf('Adam') - before;
    expect(slots).toBeGreaterThanOrEqual(2 * 64 * 256 * 4); // m and v of the weights
    const state = adam.state(net.params());
    adam.loadState(state, net.params());
    adam.loadState(state, net.params());
    expect(bytesOf('Adam') - before).toBe(slots);
    adam.reset();
    expect(bytesOf('Adam') - before).toBe(0);
    adam.step(net.params());
    adam.dispose();
    expect(bytesOf('Adam') - before).toBe(0);
    net.dispose();
  });

  test('views keep their owner: subarrays are owned views, copies are plain arrays', () => {
    const owner = new MemoryOwner('views');
    const view = owner.float32(5000);
    expect(view).toBeInstanceOf(OwnedFloat32Array);
    const part = view.subarray(100, 200);
    expect(part).toBeInstanceOf(OwnedFloat32Array);
    expect((part as OwnedFloat32Array).owner).toBe(owner);
    expect((part.subarray(1) as OwnedFloat32Array).owner).toBe(owner);
    expect(view.slice(0, 10).constructor).toBe(Float32Array);
    expect(view.map((v) => v + 1).constructor).toBe(Float32Array);
    owner.release(part); // not a block: ignored
    expect(owner.bytes).toBeGreaterThan(0);
    owner.release(view);
    owner.release(view); // already free: ignored
    expect(owner.bytes).toBe(0);
    owner.dispose();
  });

  test('a full arena is a KernelMemoryError saying who holds the memory, not a switch to other kernels', () => {
    const holder = convNet();
    holder.forward(tensor([8, 1, 28, 28]), true);
    setMemoryLimit(memoryStats().bytesReserved + (1 << 20));
    try {
      let error: unknown;
      try {
        new Sequential([new Affine({ units: 4096 })], { inputShape: [1024] }); // 16 MiB of weights
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KernelMemoryError);
      expect((error as Error).message).toMatch(/cannot give 16\.0 MiB to Affine/);
      expect((error as Error).message).toMatch(/Conv2D \d+\.\d MiB in \d+ blocks?/); // one block since Conv2D keeps no column matrix with wasm
      expect((error as Error).message).toMatch(/dispose\(\)/);
      expect((error as KernelMemoryError).stats.owners.Conv2D.bytes).toBeGreaterThan(0);
    } finally {
      setMemoryLimit();
      holder.dispose();
    }
    expect(arenaProblem()).toBeNull();
  });

  test('setMemoryLimit refuses nonsense', () => {
    expect(() => setMemoryLimit(-1)).toThrow(/positive whole number of bytes/);
    expect(() => setMemoryLimit(1.5)).toThrow(/positive whole number of bytes/);
  });
});
