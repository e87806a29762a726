/**
 * millefeuille/onnx — a net to ONNX and back: `toOnnx(net)` gives the bytes of an .onnx model that
 * onnxruntime, PyTorch (onnx2torch) or TensorRT run; `fromOnnx(bytes)` builds a Sequential from an ONNX graph
 * that is a chain of the supported ops (what torch.onnx.export writes for such models). A separate entry so
 * that protobufjs, which encodes the files, is loaded only by those who use it. Design: docs/onnx.md.
 */
export { toOnnx, registerOnnxExporter, MIN_OPSET, MAX_OPSET } from './export';
export { INPUT_NAME, OUTPUT_NAME, MILLEFEUILLE_DOMAIN } from './names';
export type { ToOnnxOptions, OnnxExportContext, OnnxLayerExporter } from './export';
export { fromOnnx, importOnnx, registerOnnxImporter } from './import';
export type { FromOnnxOptions, ImportedModel, ImportedLayer, OnnxImportContext, OnnxNodeImporter } from './import';
export { OnnxError } from './errors';
export { Attributes, intAttr, floatAttr, intsAttr, floatsAttr, stringAttr, describeNode } from './attributes';
export type { NodeProto, TensorProto, AttributeProto, ModelProto } from './proto';
