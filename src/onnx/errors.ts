/**
 * OnnxError: an ONNX file that cannot be read, a graph this library cannot represent, or a net that cannot
 * be exported. The message names what is wrong (the node and its op, the layer and its kind, the tensor)
 * and, where there is one, what to do; the CLI prints it alone, on one line.
 */
export class OnnxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxError';
  }
}
