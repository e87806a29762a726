import type { Layer } from '../layers/layer';
import { OnnxError } from './errors';
import type { OnnxExportContext } from './export';
import type { OnnxNodeImporter } from './import';

export function exportLocalResponseNormEven(layer: Layer, ctx: OnnxExportContext): string {
  throw new OnnxError(`layer ${ctx.index} (${layer.kind}) with an even size cannot be exported yet`);
}

export function exportLocalContrastNorm(layer: Layer, ctx: OnnxExportContext): string {
  throw new OnnxError(`layer ${ctx.index} (${layer.kind}) cannot be exported yet`);
}

export function importLocalNormFunction(_domain: string, _opType: string): OnnxNodeImporter | undefined {
  return undefined;
}
