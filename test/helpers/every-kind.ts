/**
 * Every registered layer kind, built from the registry's own example (`layerExample`, one small factory per
 * kind next to its registration in src/layers/registry.ts). The suites that must cover every kind — the layer
 * contract (test/net/contract.test.ts), the gradient checks (test/properties/every-kind.property.test.ts, and
 * in a real browser test/browser/pages/suite-core.ts), save/load (test/net/every-kind-save-load.test.ts) —
 * iterate `layerKinds()` through here, so a new kind is tested everywhere by its registration alone, and a kind
 * registered without an example fails them by name.
 *
 * Imports the core as `../../src` only: the browser suite bundles this file with that import pointed at the
 * library's browser build.
 */
import fc from 'fast-check';
import { Rng, gradCheck, layerExample, layerFromConfig, layerKinds, tensor, type Layer, type Tensor } from '../../src';

export interface KindCase {
  kind: string;
  /** A new, unbuilt layer made by the registry from the example's config. */
  layer: Layer;
  config: object;
  /** The batch shape [N, …sample] the example draws. */
  input: number[];
}

/** Kinds registered without an example (the suites fail naming them). */
export function kindsWithoutExample(): string[] {
  return layerKinds().filter((kind) => layerExample(kind, new Rng(0)) === undefined);
}

/** The registry's example of `kind` drawn from `rng`, as a layer made by the registry. */
export function kindCase(kind: string, rng: Rng): KindCase {
  const example = layerExample(kind, rng);
  if (example === undefined) throw new Error(`layer kind ${kind} has no example: register it with one (registerLayer(kind, factory, example); CONTRIBUTING.md)`);
  return { kind, layer: layerFromConfig(kind, example.config), config: example.config, input: example.input };
}

/** A fast-check arbitrary of (kind, seed) over every registered kind. */
export function arbitraryKindSeed(): fc.Arbitrary<{ kind: string; seed: number }> {
  return fc.record({ kind: fc.constantFrom(...layerKinds()), seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }) });
}

/** Distinct values 0.04 apart (four finite-difference steps), shuffled, never exactly 0: no ties, no kink at a step. */
export function ladder(shape: number[], rng: Rng): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tensor(shape, rng.shuffle(Array.from({ length: size }, (_, i) => (i - size / 2 + 0.5) * 0.04)));
}

export interface GradCheckSummary {
  kinds: string[];
  runs: number;
  /** The worst relative error per kind. */
  worstError: Record<string, number>;
  failures: string[];
}

/** Gradient checks of every registered kind on `runsPerKind` random examples (fast-check), on the kernels in use. */
export function gradCheckEveryKind(runsPerKind: number, seed: number): GradCheckSummary {
  const kinds = layerKinds();
  const missing = kindsWithoutExample();
  if (missing.length > 0) return { kinds, runs: 0, worstError: {}, failures: [`no example registered for ${missing.join(', ')}`] };
  let runs = 0;
  const worstError: Record<string, number> = {};
  const failures: string[] = [];
  for (const kind of kinds) {
    worstError[kind] = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (caseSeed) => {
        const rng = new Rng(caseSeed);
        const { layer, input, config } = kindCase(kind, rng);
        layer.build(input.slice(1), rng);
        const result = gradCheck(layer, ladder(input, rng), { seed: caseSeed, maxCoordinatesPerTensor: 8 });
        runs++;
        worstError[kind] = Math.max(worstError[kind], result.maxError);
        if (!result.passed) failures.push(`${kind} ${JSON.stringify(config)} on [${input.join(', ')}] (seed ${caseSeed}): ${result.report}`);
        // Collected rather than thrown, so that the summary names every failing example with its report.
      }),
      { numRuns: runsPerKind, seed },
    );
  }
  return { kinds, runs, worstError, failures };
}
