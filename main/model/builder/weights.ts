import { f32ToF16 } from '../dtype.js';
import type { Manifest } from '../manifest.js';
import type { GraphBuilder } from '../onnx-writer.js';
import { blobBytes, kBlocks, quantizeRows, zeroPointRowBytes, type QuantSpec } from '../quantize.js';
import type { TensorInfo } from '../safetensors.js';
import { withSources, type TensorSource } from './tensor-source.js';

type TensorMapping = Manifest['tensors'][number];
export type FloatStorage = 'fp32' | 'fp16';

/** Names of the initializers that hold one blockwise-quantized weight. */
export interface QuantizedWeight {
  data: string;
  scales: string;
  zeroPoints: string | null;
}

/** Elements converted per chunk: bounds convert's working memory whatever the model size. */
const CHUNK_ELEMENTS = 16 << 20;
/** Tensors up to this many elements are read whole for the transpose; larger ones tile. */
const WHOLE_TRANSPOSE_ELEMENTS = 64 << 20;

const castTransforms = (t: TensorInfo, out: FloatStorage): string[] =>
  (out === 'fp32' ? 'F32' : 'F16') === t.dtype ? [] : [`cast:${t.dtype.toLowerCase()}->${out}`];

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Streams checkpoint tensors into graph initializers, a bounded chunk at a time, and records in
 * the manifest where each checkpoint tensor went and how it was transformed (export-weights reads
 * that record to go back).
 */
export class WeightWriter {
  readonly tensors: TensorMapping[] = [];

  constructor(
    private g: GraphBuilder,
    private progress: (name: string, bytes: number) => void,
  ) {}

  private done(t: TensorInfo, mapping: Omit<TensorMapping, 'checkpoint'>): void {
    this.tensors.push({ checkpoint: t.name, shape: t.shape, ...mapping });
    this.progress(t.name, t.byteLength);
  }

  private emitFloat(storage: FloatStorage, emit: (b: Uint8Array) => void, chunk: Float32Array): void {
    emit(bytesOf(storage === 'fp16' ? f32ToF16(chunk) : chunk));
  }

  /** Stored as float32 whatever the dtype: norm weights are tiny and precision-sensitive. */
  vector(t: TensorInfo, initializer: string): string {
    const n = t.shape[0];
    withSources([t], ([s]) => {
      const values = new Float32Array(n);
      s.read(0, n, values);
      this.g.externalWeight(initializer, 'float32', [n], (emit) => emit(bytesOf(values)));
    });
    this.done(t, { initializer, transforms: castTransforms(t, 'fp32') });
    return initializer;
  }

  /** A [rows, cols] table kept in its orientation (the embedding, read with Gather). */
  table(t: TensorInfo, initializer: string, storage: FloatStorage): string {
    const [rows, cols] = t.shape;
    withSources([t], ([s]) => {
      this.g.externalWeight(initializer, storage === 'fp16' ? 'float16' : 'float32', t.shape, (emit) => {
        const band = Math.max(1, Math.floor(CHUNK_ELEMENTS / cols));
        for (let r0 = 0; r0 < rows; r0 += band)
          this.emitFloat(storage, emit, s.readRows(r0, Math.min(band, rows - r0)));
      });
    });
    this.done(t, { initializer, transforms: castTransforms(t, storage) });
    return initializer;
  }

  /**
   * A [rows, cols] table quantized along cols for GatherBlockQuantized (uint8 data, gather_axis 0,
   * quantize_axis 1): rows are not padded to whole blocks, unlike MatMulNBits.
   */
  quantizedTable(t: TensorInfo, initializer: string, spec: QuantSpec, accuracyLevel: number): QuantizedWeight {
    const [rows, cols] = t.shape;
    const rowBytes = Math.ceil((cols * spec.bits) / 8);
    const paddedRowBytes = kBlocks(cols, spec.blockSize) * blobBytes(spec);
    const names = this.quantized(
      initializer,
      spec,
      [rows, rowBytes],
      [rows, kBlocks(cols, spec.blockSize)],
      [rows, zeroPointRowBytes(cols, spec)],
      (emit, keep) =>
        withSources([t], ([s]) => {
          const band = Math.max(1, Math.floor(CHUNK_ELEMENTS / cols));
          for (let r0 = 0; r0 < rows; r0 += band) {
            const n = Math.min(band, rows - r0);
            const q = quantizeRows(s.readRows(r0, n), n, cols, spec);
            keep(q.scales, q.zeroPoints);
            if (rowBytes === paddedRowBytes) emit(q.data);
            else for (let r = 0; r < n; r++) emit(q.data.subarray(r * paddedRowBytes, r * paddedRowBytes + rowBytes));
          }
        }),
    );
    this.done(t, {
      initializer,
      transforms: [`quant:q${spec.bits}`],
      quant: { bits: spec.bits, blockSize: spec.blockSize, symmetric: spec.symmetric, accuracyLevel },
    });
    return names;
  }

  /**
   * Linear weights [out, in] from the checkpoint, transposed to [in, out] for MatMul and packed
   * side by side along the output axis (q|k|v, gate|up) so one MatMul serves several projections.
   */
  linear(sources: TensorInfo[], initializer: string, storage: FloatStorage): string {
    const inDim = sources[0].shape[1];
    const outDims = sources.map((s) => s.shape[0]);
    const outTotal = outDims.reduce((a, b) => a + b, 0);
    withSources(sources, (src) => {
      this.g.externalWeight(initializer, storage === 'fp16' ? 'float16' : 'float32', [inDim, outTotal], (emit) => {
        if (inDim * outTotal <= WHOLE_TRANSPOSE_ELEMENTS) {
          const whole = src.map((s) => s.readRows(0, s.rows));
          this.transposeBands(inDim, outDims, (r0, r, o, s) => whole[s][o * inDim + r0 + r], storage, emit);
        } else {
          this.transposeTiled(src, inDim, outDims, storage, emit);
        }
      });
    });
    let offset = 0;
    sources.forEach((s, i) => {
      this.done(s, {
        initializer,
        transforms: ['transpose', ...castTransforms(s, storage)],
        packed: sources.length > 1 ? { axis: 1, offset, length: outDims[i] } : undefined,
      });
      offset += outDims[i];
    });
    return initializer;
  }

  private transposeBands(
    inDim: number,
    outDims: number[],
    at: (r0: number, r: number, o: number, s: number) => number,
    storage: FloatStorage,
    emit: (b: Uint8Array) => void,
  ): void {
    const outTotal = outDims.reduce((a, b) => a + b, 0);
    const band = Math.max(1, Math.floor(CHUNK_ELEMENTS / outTotal));
    for (let r0 = 0; r0 < inDim; r0 += band) {
      const rows = Math.min(band, inDim - r0);
      const chunk = new Float32Array(rows * outTotal);
      for (let r = 0; r < rows; r++) {
        let col = r * outTotal;
        for (let s = 0; s < outDims.length; s++) for (let o = 0; o < outDims[s]; o++) chunk[col++] = at(r0, r, o, s);
      }
      this.emitFloat(storage, emit, chunk);
    }
  }

  /** Transpose of a tensor too large to hold: each band of input columns is read row segment by row segment. */
  private transposeTiled(
    src: TensorSource[],
    inDim: number,
    outDims: number[],
    storage: FloatStorage,
    emit: (b: Uint8Array) => void,
  ): void {
    const outTotal = outDims.reduce((a, b) => a + b, 0);
    const band = Math.max(1, Math.floor(CHUNK_ELEMENTS / outTotal));
    const seg = new Float32Array(band);
    for (let r0 = 0; r0 < inDim; r0 += band) {
      const rows = Math.min(band, inDim - r0);
      const chunk = new Float32Array(rows * outTotal);
      let col = 0;
      for (let s = 0; s < src.length; s++) {
        for (let o = 0; o < outDims[s]; o++, col++) {
          src[s].read(o * inDim + r0, rows, seg);
          for (let r = 0; r < rows; r++) chunk[r * outTotal + col] = seg[r];
        }
      }
      this.emitFloat(storage, emit, chunk);
    }
  }

  /**
   * Linear weights [out, in] quantized for com.microsoft.MatMulNBits: B is [N, kBlocks, blob] with
   * row n = output channel n, which is the checkpoint's own row order, so rows stream straight
   * through. Packed projections (q|k|v, gate|up) are stacked along N.
   */
  quantizedLinear(sources: TensorInfo[], initializer: string, spec: QuantSpec, accuracyLevel: number): QuantizedWeight {
    const k = sources[0].shape[1];
    const n = sources.reduce((a, s) => a + s.shape[0], 0);
    const nb = kBlocks(k, spec.blockSize);
    const names = this.quantized(
      initializer,
      spec,
      [n, nb, blobBytes(spec)],
      [n, nb],
      [n, zeroPointRowBytes(k, spec)],
      (emit, keep) =>
        withSources(sources, (src) => {
          const band = Math.max(1, Math.floor(CHUNK_ELEMENTS / k));
          for (const s of src) {
            for (let r0 = 0; r0 < s.rows; r0 += band) {
              const rows = Math.min(band, s.rows - r0);
              const q = quantizeRows(s.readRows(r0, rows), rows, k, spec);
              keep(q.scales, q.zeroPoints);
              emit(q.data);
            }
          }
        }),
    );
    let offset = 0;
    for (const s of sources) {
      this.done(s, {
        initializer,
        transforms: [`quant:q${spec.bits}`],
        packed: sources.length > 1 ? { axis: 0, offset, length: s.shape[0] } : undefined,
        quant: { bits: spec.bits, blockSize: spec.blockSize, symmetric: spec.symmetric, accuracyLevel },
      });
      offset += s.shape[0];
    }
    return names;
  }

  /**
   * Writes packed data, then its scales and zero points as their own initializers. Scales and
   * zero points are a few percent of the data and are held until the data is written.
   */
  private quantized(
    initializer: string,
    spec: QuantSpec,
    dataDims: number[],
    scaleDims: number[],
    zpDims: number[],
    produce: (emit: (b: Uint8Array) => void, keep: (scales: Float32Array, zp: Uint8Array | null) => void) => void,
  ): QuantizedWeight {
    const scales: Float32Array[] = [];
    const zps: Uint8Array[] = [];
    this.g.externalWeight(initializer, 'uint8', dataDims, (emit) =>
      produce(emit, (s, z) => {
        scales.push(s);
        if (z) zps.push(z);
      }),
    );
    const scaleName = this.g.externalWeight(`${initializer}.scales`, 'float32', scaleDims, (emit) =>
      scales.forEach((s) => emit(bytesOf(s))),
    );
    const zpName = spec.symmetric
      ? null
      : this.g.externalWeight(`${initializer}.zero_points`, 'uint8', zpDims, (emit) => zps.forEach((z) => emit(z)));
    return { data: initializer, scales: scaleName, zeroPoints: zpName };
  }
}
