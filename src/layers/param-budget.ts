/**
 * The values of a param or saved buffer, allocated against an optional budget: while a model file is being
 * loaded, its layers may allocate no more values than its weights file holds, so that a hostile or damaged
 * model.json (an Affine with `units: 1e6` beside a 3 KB weights file) is refused before gigabytes are
 * allocated and initialised, not after. Outside `withParamBudget` there is no limit.
 *
 * Built-in layers allocate every param and buffer through `paramValues`; a custom layer that allocates its
 * own is simply not counted.
 */

let budget: { remaining: number; limit: number; why: string } | undefined;

/**
 * Runs `build` (which constructs layers) with at most `values` param/buffer values allowed in all; `why` says
 * where the limit comes from ("twice the 1234 values in weights-….bin").
 */
export function withParamBudget<T>(values: number, why: string, build: () => T): T {
  const outer = budget;
  budget = { remaining: values, limit: values, why };
  try {
    return build();
  } finally {
    budget = outer;
  }
}

/** A zero-filled Float32Array of `length` values for a param or buffer (counted against the budget, if any). */
export function paramValues(length: number): Float32Array {
  if (budget !== undefined) {
    if (length > budget.remaining) {
      throw new RangeError(`its params would take the layers past ${budget.limit} values (${budget.why}): the layers do not match the weights`);
    }
    budget.remaining -= length;
  }
  return new Float32Array(length);
}
