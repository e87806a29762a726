/**
 * ONNX tensors (initializers, Constant values) ↔ Float32Array. Written as raw little-endian bytes
 * (`raw_data`, what every exporter writes); read from raw_data or the typed repeated fields, float32 for
 * weights and int64/int32 for shapes. Data stored outside the file (external data) is refused by name.
 */
import { OnnxError } from './errors';
import { DataType, toNumber, type TensorProto } from './proto';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A float32 initializer named `name` holding `values` with dimensions `dims`. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  const data = Float32Array.from(values);
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return { name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw };
}

/** An int64 initializer (Reshape's shape, Pad's pads). */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  return { name, dims: [...dims], dataType: DataType.INT64, int64Data: [...values] };
}

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNumber);
}

function elementCount(t: TensorProto): number {
  return tensorDims(t).reduce((a, b) => a * b, 1);
}

function raw(t: TensorProto): Uint8Array | undefined {
  return t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
}

function checkStoredHere(t: TensorProto, what: string): void {
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
    throw new OnnxError(`${what} "${t.name}" keeps its data in an external file; save the model with its weights inside the .onnx file`);
  }
}

/** The values of a float tensor (float32, or float64 rounded to float32) — `what` names it in errors. */
export function readFloats(t: TensorProto, what: string): Float32Array {
  checkStoredHere(t, what);
  const count = elementCount(t);
  const bytes = raw(t);
  let out: Float32Array;
  if (t.dataType === DataType.FLOAT) {
    if (bytes) {
      if (bytes.length !== count * 4) throw new OnnxError(`${what} "${t.name}" has ${bytes.length} bytes of data for ${count} float32 values`);
      out = new Float32Array(count);
      if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
      else {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      }
    } else out = Float32Array.from(t.floatData ?? []);
  } else if (t.dataType === DataType.DOUBLE) {
    if (bytes) {
      if (bytes.length !== count * 8) throw new OnnxError(`${what} "${t.name}" has ${bytes.length} bytes of data for ${count} float64 values`);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
    } else out = Float32Array.from(t.doubleData ?? []);
  } else {
    throw new OnnxError(`${what} "${t.name}" has data type ${t.dataType}; only float32 (and float64) weights can be read`);
  }
  if (out.length !== count) {
    throw new OnnxError(`${what} "${t.name}" has ${out.length} values for dimensions [${tensorDims(t).join(', ')}] (${count} expected)`);
  }
  return out;
}

/** The values of an integer tensor (int64 or int32), e.g. a Reshape target shape. */
export function readInts(t: TensorProto, what: string): number[] {
  checkStoredHere(t, what);
  const count = elementCount(t);
  const bytes = raw(t);
  let out: number[];
  if (t.dataType === DataType.INT64) {
    if (bytes) {
      if (bytes.length !== count * 8) throw new OnnxError(`${what} "${t.name}" has ${bytes.length} bytes of data for ${count} int64 values`);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      out = Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    } else out = (t.int64Data ?? []).map(toNumber);
  } else if (t.dataType === DataType.INT32) {
    if (bytes) {
      if (bytes.length !== count * 4) throw new OnnxError(`${what} "${t.name}" has ${bytes.length} bytes of data for ${count} int32 values`);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      out = Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
    } else out = [...(t.int32Data ?? [])];
  } else {
    throw new OnnxError(`${what} "${t.name}" has data type ${t.dataType}; an integer tensor (int64) was expected`);
  }
  if (out.length !== count) throw new OnnxError(`${what} "${t.name}" has ${out.length} values for ${count} elements`);
  return out;
}
