/**
 * ONNX's protobuf messages, encoded and decoded by protobufjs/light from the JSON descriptor of the official
 * onnx.proto (schema.generated.ts). Everything else in src/onnx works on the plain objects declared here
 * (the subset of the schema this library writes and reads), never on bytes.
 *
 * Why protobufjs: it is the protobuf library of the npm ecosystem (onnxruntime-web and the `onnx-proto`
 * package use it), it reads a schema at run time from a JSON descriptor — so the official onnx.proto is the
 * source, not hand-written field numbers — and its light build (no .proto parser) is all that is loaded.
 * int64 fields come back as `Long` objects when the `long` package is present; `toNumber` flattens them.
 */
import * as protobuf from 'protobufjs/light.js';
import { OnnxError } from './errors';
import { ONNX_SCHEMA } from './schema.generated';

/** onnx.TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

/** onnx.AttributeProto.AttributeType values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** A 64-bit integer as protobufjs hands it over: a number, or a Long when the `long` package is loaded. */
export type Int64 = number | { toNumber(): number } | string;

export interface TensorProto {
  name?: string;
  dims?: Int64[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  rawData?: Uint8Array;
  dataLocation?: number;
  externalData?: { key?: string; value?: string }[];
}

export interface AttributeProto {
  name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: Int64[];
  refAttrName?: string;
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: AttributeProto[];
  docString?: string;
}

export interface Dimension {
  dimValue?: Int64;
  dimParam?: string;
}

export interface ValueInfoProto {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: Dimension[] } } };
  docString?: string;
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  sparseInitializer?: unknown[];
  docString?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
}

export interface OperatorSetIdProto {
  domain?: string;
  version?: Int64;
}

export interface FunctionProto {
  name?: string;
  input?: string[];
  output?: string[];
  attribute?: string[];
  node?: NodeProto[];
  docString?: string;
  opsetImport?: OperatorSetIdProto[];
  domain?: string;
}

export interface ModelProto {
  irVersion?: Int64;
  opsetImport?: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphProto;
  metadataProps?: { key?: string; value?: string }[];
  functions?: FunctionProto[];
}

let modelType: protobuf.Type | undefined;

function modelProtoType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA as protobuf.INamespace).lookupType('onnx.ModelProto');
  return modelType;
}

/** The bytes of a ModelProto. */
export function encodeModel(model: ModelProto): Uint8Array {
  const type = modelProtoType();
  const problem = type.verify(model);
  if (problem) throw new OnnxError(`cannot encode the ONNX model: ${problem}`);
  return type.encode(type.fromObject(model)).finish();
}

/** A ModelProto from bytes; damaged protobuf (truncated, random bytes) is an OnnxError saying so. */
export function decodeModel(bytes: Uint8Array, source = 'the ONNX bytes'): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new OnnxError(`fromOnnx needs the bytes of an .onnx file (a Uint8Array), got ${typeof bytes}`);
  if (bytes.length === 0) throw new OnnxError(`${source} are empty: not an ONNX model`);
  let message: protobuf.Message;
  try {
    message = modelProtoType().decode(bytes);
  } catch (err) {
    throw new OnnxError(`${source} are not an ONNX model: the protobuf encoding is damaged or truncated (${(err as Error).message})`);
  }
  return message as unknown as ModelProto;
}

/** An int64 field as a JS number (exact below 2⁵³, which every dimension and attribute here is). */
export function toNumber(value: Int64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}
