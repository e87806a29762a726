/**
 * Sequential's pooled-first order: a layer that declares itself the positive part (ReLU, `Layer.positivePart`)
 * directly followed by one that declares it commutes with it (MaxPool, `Layer.commutesWithPositivePart`) runs
 * pool first, so the positive part and its gradient touch the pooled tensor (a quarter of the values for 2×2
 * windows) instead of the full one. max(relu(a), relu(b), …) = relu(max(a, b, …)) because the positive part is
 * non-decreasing; where that max is > 0 the first maximal cell of x is the first maximal cell of relu(x), so
 * the pool sends the gradient to the same cell, and where it is ≤ 0 both orders give +0. The outputs, the
 * input gradient and so every param gradient are the declared order's, bit for bit (test/net/pooled-first.test.ts).
 *
 * A NaN is the one exception: it wins a max-pool, but the positive part maps it to 0 (so the declared order
 * pools the other cells). A step therefore checks that the pooled tensor is all finite (a pass at the speed of
 * the loads) and otherwise runs the pair again in the declared order, and remembers which order backward must undo.
 *
 * Only the order of execution changes: `Sequential.layers`, shapes, params, summaries, model files and ONNX
 * export all stay in the declared order. `declaredOrder: true` (or NN_DECLARED_ORDER=1) turns it off.
 */
import type { Layer } from '../layers/layer';
import { allFinite } from '../kernels/finite';
import type { Tensor } from '../tensor';

/** One unit of the forward pass: a single layer, or a positive part and the pool after it, run pool first. */
export interface ForwardStep {
  forward(x: Tensor, training: boolean): Tensor;
  backward(dy: Tensor): Tensor;
}

class SingleLayer implements ForwardStep {
  constructor(private readonly layer: Layer) {}

  forward(x: Tensor, training: boolean): Tensor {
    return this.layer.forward(x, training);
  }

  backward(dy: Tensor): Tensor {
    return this.layer.backward(dy);
  }
}

class PooledFirst implements ForwardStep {
  /** Whether the last forward ran pool first (false: declared order, after a non-finite pooled value). */
  private pooledFirst = true;

  constructor(private readonly positivePart: Layer, private readonly pool: Layer) {}

  forward(x: Tensor, training: boolean): Tensor {
    const pooled = this.pool.forward(x, training);
    this.pooledFirst = allFinite(pooled.data, pooled.data.length);
    if (this.pooledFirst) return this.positivePart.forward(pooled, training);
    return this.pool.forward(this.positivePart.forward(x, training), training);
  }

  backward(dy: Tensor): Tensor {
    if (this.pooledFirst) return this.pool.backward(this.positivePart.backward(dy));
    return this.positivePart.backward(this.pool.backward(dy));
  }
}

/** The steps that run `layers` (declared order): pairs pool first unless `declaredOrder`. */
export function forwardSteps(layers: readonly Layer[], declaredOrder: boolean): ForwardStep[] {
  const steps: ForwardStep[] = [];
  for (let i = 0; i < layers.length; i++) {
    const next = layers[i + 1];
    if (!declaredOrder && layers[i].positivePart === true && next?.commutesWithPositivePart === true) {
      steps.push(new PooledFirst(layers[i], next));
      i++;
    } else {
      steps.push(new SingleLayer(layers[i]));
    }
  }
  return steps;
}
