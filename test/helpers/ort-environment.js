// Jest environment for the suites that run onnxruntime-node: the Node environment, but with the host's
// typed-array constructors. Jest gives each test file its own globals, so a Float32Array made in a test is
// not `instanceof` the Float32Array onnxruntime-node's native binding checks against ("A float32 tensor's
// data must be type of function Float32Array()"); sharing the constructors makes the two one realm again.
'use strict';
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
