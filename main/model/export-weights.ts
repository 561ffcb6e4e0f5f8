import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { f16ToF32, type SafetensorsDtype } from './dtype.js';
import { ModelFolderError } from './errors.js';
import { MANIFEST_FILE, type Manifest } from './manifest.js';
import { openModelFolder } from './model-folder.js';
import { blobBytes, dequantizeRows, kBlocks, zeroPointRowBytes, type QuantSpec } from './quantize.js';
import { writeSafetensors } from './safetensors.js';

const { onnx } = onnxProto;

interface Located {
  dims: number[];
  dataType: number;
  offset: number;
  length: number;
}

/** Where each external initializer lives in the data file, read from the graph itself. */
function locateInitializers(graphPath: string): Map<string, Located> {
  const model = onnx.ModelProto.decode(readFileSync(graphPath));
  const out = new Map<string, Located>();
  for (const t of model.graph?.initializer ?? []) {
    const ext = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
    if (ext.offset === undefined) continue;
    out.set(t.name!, {
      dims: (t.dims ?? []).map(Number),
      dataType: t.dataType!,
      offset: Number(ext.offset),
      length: Number(ext.length),
    });
  }
  return out;
}

/**
 * Maps a model folder's weights back to checkpoint tensors using the manifest's record of each
 * tensor (initializer, packing, transpose, quantization) and writes them as a Hugging Face
 * safetensors file: the way back from a converted model to a checkpoint (for example to continue
 * training). Weights come back as float32: exact for fp32 models, the fp16 values of fp16 models,
 * and the dequantized values `(q - zero_point) * scale` of int4/int8 models.
 */
export function exportWeights(modelDir: string, outDir: string): { tensors: number; file: string } {
  const folder = openModelFolder(modelDir);
  const located = locateInitializers(folder.graphPath);
  const fd = openSync(join(modelDir, folder.manifest.externalData), 'r');
  const tensors: Parameters<typeof writeSafetensors>[1] = {};
  try {
    const readRaw = (name: string): { bytes: Buffer; loc: Located } => {
      const loc = located.get(name);
      if (!loc)
        throw new ModelFolderError(
          folder.manifest.graph,
          `initializer ${name} named in diffcoder.json is not in the graph`,
        );
      const bytes = Buffer.alloc(loc.length);
      readSync(fd, bytes, 0, loc.length, loc.offset);
      return { bytes, loc };
    };
    const readInit = (name: string): { data: Float32Array; dims: number[] } => {
      const { bytes: buf, loc } = readRaw(name);
      const fp16 = loc.dataType === onnx.TensorProto.DataType.FLOAT16;
      const data = fp16
        ? f16ToF32(new Uint16Array(buf.buffer, buf.byteOffset, loc.length / 2))
        : new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + loc.length));
      return { data, dims: loc.dims };
    };
    for (const m of folder.manifest.tensors) {
      if (m.quant) {
        tensors[m.checkpoint] = {
          dtype: 'F32' as SafetensorsDtype,
          shape: m.shape!,
          data: dequantizeMapping(m, readRaw, readInit),
        };
        continue;
      }
      const { data, dims } = readInit(m.initializer);
      let rows = dims[0];
      let cols = dims.length > 1 ? dims[1] : 1;
      let values = data;
      if (m.packed) {
        // Packed side by side along axis 1: take this tensor's columns.
        const { offset, length } = m.packed;
        const cut = new Float32Array(rows * length);
        for (let r = 0; r < rows; r++)
          cut.set(data.subarray(r * cols + offset, r * cols + offset + length), r * length);
        values = cut;
        cols = length;
      }
      let shape = dims.length > 1 ? [rows, cols] : [rows];
      if (m.transforms.includes('transpose')) {
        const t = new Float32Array(values.length);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = values[r * cols + c];
        values = t;
        [rows, cols] = [cols, rows];
        shape = [rows, cols];
      }
      tensors[m.checkpoint] = { dtype: 'F32' as SafetensorsDtype, shape, data: values };
    }
  } finally {
    closeSync(fd);
  }
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'model.safetensors');
  writeSafetensors(file, tensors);
  // The rest of a Hugging Face folder, so the result is a checkpoint that converts or trains again.
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
    if (existsSync(join(modelDir, f))) copyFileSync(join(modelDir, f), join(outDir, f));
  }
  return { tensors: Object.keys(tensors).length, file };
}

type TensorMapping = Manifest['tensors'][number];

/**
 * One checkpoint tensor out of a blockwise-quantized initializer: MatMulNBits data [N, blocks,
 * blob] (rows padded to whole blocks, projections stacked along N) or a GatherBlockQuantized
 * table [rows, ceil(K * bits / 8)] (unpadded), with `.scales` and `.zero_points` beside it.
 */
function dequantizeMapping(
  m: TensorMapping,
  readRaw: (name: string) => { bytes: Buffer; loc: Located },
  readInit: (name: string) => { data: Float32Array; dims: number[] },
): Float32Array {
  const q = m.quant!;
  if (!m.shape || m.shape.length !== 2)
    throw new ModelFolderError(
      MANIFEST_FILE,
      `tensor ${m.checkpoint}: a quantized tensor needs its 2-D checkpoint shape`,
    );
  const [rows, k] = m.shape;
  const spec: QuantSpec = { bits: q.bits, blockSize: q.blockSize, symmetric: q.symmetric };
  const { bytes, loc } = readRaw(m.initializer);
  const scales = readInit(`${m.initializer}.scales`).data;
  const zp = q.symmetric ? null : readRaw(`${m.initializer}.zero_points`).bytes;
  const nb = kBlocks(k, q.blockSize);
  const padded = nb * blobBytes(spec);
  const rowBytes = loc.dims.length === 3 ? padded : loc.dims[1];
  const zpRow = zeroPointRowBytes(k, spec);
  const first = m.packed?.offset ?? 0;
  // Re-pad table rows to whole blocks so one dequantizer serves both layouts.
  const data = new Uint8Array(rows * padded);
  for (let r = 0; r < rows; r++)
    data.set(bytes.subarray((first + r) * rowBytes, (first + r) * rowBytes + Math.min(rowBytes, padded)), r * padded);
  return dequantizeRows(
    {
      data,
      scales: scales.subarray(first * nb, (first + rows) * nb),
      zeroPoints: zp ? new Uint8Array(zp.buffer, zp.byteOffset + first * zpRow, rows * zpRow) : null,
    },
    rows,
    k,
    spec,
  );
}
