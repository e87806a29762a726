/**
 * Node attributes both ways: builders for the exporter (`intAttr('group', 1)`) and readers for the importer
 * that name the node, the op and the attribute when one is missing or of the wrong type.
 */
import { OnnxError } from './errors';
import { AttributeType, toNumber, type AttributeProto, type NodeProto } from './proto';
import { readFloats } from './tensors';

export const intAttr = (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i });
export const floatAttr = (name: string, f: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f });
export const intsAttr = (name: string, ints: readonly number[]): AttributeProto => ({ name, type: AttributeType.INTS, ints: [...ints] });
export const floatsAttr = (name: string, floats: readonly number[]): AttributeProto => ({ name, type: AttributeType.FLOATS, floats: [...floats] });
export const stringAttr = (name: string, s: string): AttributeProto => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) });

/** "node "conv1" (Conv)": how every import error names a node. */
export function describeNode(node: NodeProto): string {
  return `node "${node.name || (node.output ?? [])[0] || '?'}" (${node.opType ?? '?'})`;
}

/**
 * The shortest decimal that rounds to the same float32. ONNX stores float attributes as float32, so 1e-5
 * comes back as 9.99999974e-6; a layer that computes in float64 with that constant would no longer give
 * the bits it gave before export. Every constant a user writes is a short decimal, so this recovers it.
 */
export function shortestFloat32(f: number): number {
  if (!Number.isFinite(f)) return f;
  const target = Math.fround(f);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(target.toPrecision(digits));
    if (Math.fround(candidate) === target) return candidate;
  }
  return target;
}

/** Reads a node's attributes by name, checking their types. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(private readonly node: NodeProto) {
    for (const a of node.attribute ?? []) if (a.name) this.byName.set(a.name, a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  private get(name: string, type: number, what: string): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a === undefined) return undefined;
    if (a.refAttrName) throw new OnnxError(`${describeNode(this.node)}: attribute "${name}" refers to a function attribute; only plain values are supported`);
    if (a.type !== undefined && a.type !== 0 && a.type !== type) {
      throw new OnnxError(`${describeNode(this.node)}: attribute "${name}" must be ${what} (attribute type ${type}), got type ${a.type}`);
    }
    return a;
  }

  int(name: string, fallback: number): number {
    const a = this.get(name, AttributeType.INT, 'an integer');
    return a === undefined ? fallback : toNumber(a.i);
  }

  /** A float attribute as the short decimal it was written as (see shortestFloat32). */
  float(name: string, fallback: number): number {
    const a = this.get(name, AttributeType.FLOAT, 'a float');
    return a === undefined ? fallback : shortestFloat32(a.f ?? 0);
  }

  ints(name: string): number[] | undefined {
    const a = this.get(name, AttributeType.INTS, 'a list of integers');
    return a === undefined ? undefined : (a.ints ?? []).map(toNumber);
  }

  string(name: string, fallback: string): string {
    const a = this.get(name, AttributeType.STRING, 'a string');
    return a === undefined ? fallback : new TextDecoder().decode(a.s ?? new Uint8Array(0));
  }

  tensorFloats(name: string): Float32Array | undefined {
    const a = this.get(name, AttributeType.TENSOR, 'a tensor');
    return a?.t ? readFloats(a.t, `${describeNode(this.node)} attribute "${name}"`) : undefined;
  }

  /** Throws if the node carries an attribute this importer does not understand (it could change the result). */
  allowOnly(known: readonly string[]): void {
    for (const name of this.byName.keys()) {
      if (!known.includes(name)) {
        throw new OnnxError(`${describeNode(this.node)}: attribute "${name}" is not supported (supported: ${known.join(', ') || 'none'})`);
      }
    }
  }
}
