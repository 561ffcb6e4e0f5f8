import * as ort from 'onnxruntime-node';
import { layerName, type Manifest } from '../model/manifest.js';
import type { ProviderName } from '../../common/providers.js';

export interface ForwardRequest {
  /** Tokens at positions [cacheLength, cacheLength + ids.length). */
  ids: ArrayLike<number>;
  /** How many of the last rows to return outputs for. */
  rows: number;
  /** How many of the first rows to append to the cache (finished blocks). */
  keep: number;
  /** `top`: argmax and its probability per row; `logits`: the full rows too. */
  want: 'top' | 'logits' | 'none';
  blockLength: number;
  /** Also return the k best tokens and their probabilities per row (traces with candidates). */
  candidates?: boolean;
}

/** The k best tokens per row, best first, and their probabilities: rows x k each. */
export interface TopK {
  k: number;
  tokens: Int32Array;
  probs: Float32Array;
}

export interface ForwardOutput {
  topToken: Int32Array;
  topProb: Float32Array;
  /** rows x vocab, only when asked for. */
  logits?: Float32Array;
  /** Only when `candidates` was asked for. */
  topK?: TopK;
}

/** What the decoding loop needs from a model: a forward over the uncached tail, and the cache. */
export interface ForwardModel {
  readonly manifest: Manifest;
  readonly provider: ProviderName;
  readonly cacheLength: number;
  reset(capacity: number): void;
  forward(req: ForwardRequest): Promise<ForwardOutput>;
}

export type KvDtype = 'fp32' | 'fp16';

/** Candidates per row when the graph has no top-k outputs (the builder's TOP_K_CANDIDATES). */
const TOP_K = 5;

/** The k best of each row of `rows x vocab` logits with their softmax probabilities (float64 sums), best first. */
export function topKFromLogits(logits: Float32Array, rows: number, vocab: number, kMax: number): TopK {
  const k = Math.min(kMax, vocab);
  const tokens = new Int32Array(rows * k);
  const probs = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * vocab, (r + 1) * vocab);
    const best: number[] = [];
    for (let v = 0; v < row.length; v++) {
      if (best.length === k && row[v] <= row[best[k - 1]]) continue;
      let i = best.length < k ? best.length : k - 1;
      best[i] = v;
      // Insertion keeps `best` sorted, best first; ties keep the lower id first (as ArgMax does).
      while (i > 0 && row[best[i]] > row[best[i - 1]]) {
        [best[i], best[i - 1]] = [best[i - 1], best[i]];
        i--;
      }
    }
    const max = best.length ? row[best[0]] : 0;
    let sum = 0;
    for (let v = 0; v < row.length; v++) sum += Math.exp(row[v] - max);
    best.forEach((v, i) => {
      tokens[r * k + i] = v;
      probs[r * k + i] = Math.exp(row[v] - max) / sum;
    });
  }
  return { k, tokens, probs };
}

/**
 * How a graph exchanges the KV cache with the session.
 * - `dtype`: the manifest's computeDtype. fp16 caches are Uint16Array bit patterns fed as 'float16'
 *   (GPU targets only: the CPU EP computes attention in fp32).
 * - `presentKv`: `new` (every graph today) returns only the rows of this forward, [1, seq, kvDim],
 *   and the session appends the first `keep` of them; `all` returns the cache the next forward
 *   reads, [1, past + kv_keep, kvDim], so that on WebGPU it can stay in a GPU buffer that is fed
 *   back as is (docs/gpu.md: onnxruntime-node cannot concatenate or read back device tensors).
 * - `kvKeep`: the int64 [1] input that tells an `all` graph how many new rows to append.
 * Both come from the manifest's io (`presentKv` defaults to `new`; WebGPU folders are built `all`).
 */
export interface KvLayout {
  dtype: KvDtype;
  presentKv: 'new' | 'all';
  kvKeep: string | null;
}

export function kvLayoutOf(manifest: Manifest): KvLayout {
  const io = manifest.io;
  const presentKv = io.presentKv === 'all' ? 'all' : 'new';
  const kvKeep = io.inputs.kvKeep ?? null;
  if (presentKv === 'all' && !kvKeep)
    throw new Error(
      'diffcoder.json: io.presentKv "all" needs io.inputs.kvKeep (the input that says how many new rows to keep)',
    );
  return { dtype: manifest.computeDtype ?? 'fp32', presentKv, kvKeep };
}

/**
 * Whether a session asks for present keys/values in GPU buffers: WebGPU (the only provider with
 * device tensors in onnxruntime-node) and a graph that returns the whole cache, since new rows
 * alone could not be appended on the device.
 */
export function devicePresents(manifest: Manifest, provider: ProviderName): boolean {
  return provider === 'webgpu' && kvLayoutOf(manifest).presentKv === 'all';
}

const KV_BYTES: Record<KvDtype, number> = { fp32: 4, fp16: 2 };

/** Keys plus values of one position over all layers: 128 KiB in fp16 for Stable-DiffCoder 8B (32 layers x 8 x 128). */
export function kvBytesPerPosition(
  arch: Pick<Manifest['architecture'], 'numLayers' | 'numKvHeads' | 'headDim'>,
  dtype: KvDtype,
): number {
  return 2 * arch.numLayers * arch.numKvHeads * arch.headDim * KV_BYTES[dtype];
}

/**
 * Host<->device bytes the KV cache costs one forward over `seq` new positions with `cached`
 * positions cached, `keep` of the new ones kept. With the cache in host memory (CPU, CUDA and DML
 * in onnxruntime-node, which has no IO binding for them) every forward uploads the whole cached
 * prefix, because attention reads every cached row: at context N that is
 * N x kvBytesPerPosition, e.g. 256 MiB fp16 / 512 MiB fp32 at N = 2048 for the 8B model. Only the
 * valid prefix is sent (never the preallocated capacity), and present rows come back only on
 * forwards that keep some: all `seq` new rows with a `new` graph, the whole cache with an `all`
 * graph on the host. A device-resident cache (WebGPU, `all` graph) moves nothing.
 */
export function kvTransferBytes(
  arch: Pick<Manifest['architecture'], 'numLayers' | 'numKvHeads' | 'headDim'>,
  dtype: KvDtype,
  f: { cached: number; seq: number; keep: number; presentKv?: 'new' | 'all'; deviceResident?: boolean },
): { upload: number; download: number } {
  if (f.deviceResident) return { upload: 0, download: 0 };
  const per = kvBytesPerPosition(arch, dtype);
  const returned = f.keep === 0 ? 0 : f.presentKv === 'all' ? f.cached + f.keep : f.seq;
  return { upload: f.cached * per, download: returned * per };
}

type KvArray = Float32Array | Uint16Array;

/** An output's fp16 bits. The Tensor constructor wraps Uint16Array data in a Float16Array where the runtime has one (Electron). */
function kvData(t: ort.Tensor, dtype: KvDtype): KvArray {
  const data = t.data as ArrayBufferView & { length: number };
  if (dtype === 'fp32') return data as Float32Array;
  return data instanceof Uint16Array ? data : new Uint16Array(data.buffer, data.byteOffset, data.length);
}

/**
 * One ORT session plus the exact KV cache of the finished prefix. On the host the cache is kept
 * as [position][kv heads * head dim], so the prefix the graph needs is one contiguous view of a
 * preallocated buffer: nothing is copied to feed it, and only new rows come back. When the
 * session returns present keys/values in GPU buffers (WebGPU with an `all` graph), the cache is
 * those tensors, fed back to the next forward untouched.
 */
export class ModelSession implements ForwardModel {
  private keys: KvArray[] = [];
  private values: KvArray[] = [];
  /** Per layer, the cache as a device tensor [1, length, kvDim]; null while it is on the host. */
  private deviceKeys: (ort.Tensor | null)[];
  private deviceValues: (ort.Tensor | null)[];
  private length = 0;
  private capacity = 0;
  private allocated = 0;
  private readonly kvDim: number;
  private readonly tensorType: 'float32' | 'float16';
  readonly kv: KvLayout;
  /**
   * onnxruntime-node 1.30 runs a session that has any 'gpu-buffer' output location through one
   * IoBinding kept for the session's life, and output bindings accumulate across runs: a run that
   * fetches fewer outputs than an earlier one fails with "Output count mismatch." [run, CPU EP];
   * and locations are looked up by position in the fetch list, not by output, so a partial fetch
   * would put outputs in the wrong place. Such sessions fetch every output on every run.
   */
  private readonly fetchAll: boolean;
  private readonly names: { pastKey: string[]; pastValue: string[]; presentKey: string[]; presentValue: string[] };

  constructor(
    readonly session: ort.InferenceSession,
    readonly manifest: Manifest,
    readonly provider: ProviderName,
  ) {
    const a = manifest.architecture;
    this.kvDim = a.numKvHeads * a.headDim;
    this.kv = kvLayoutOf(manifest);
    this.tensorType = this.kv.dtype === 'fp16' ? 'float16' : 'float32';
    this.fetchAll = devicePresents(manifest, provider);
    const per = (t: string) => Array.from({ length: a.numLayers }, (_, i) => layerName(t, i));
    this.names = {
      pastKey: per(manifest.io.inputs.pastKey),
      pastValue: per(manifest.io.inputs.pastValue),
      presentKey: per(manifest.io.outputs.presentKey),
      presentValue: per(manifest.io.outputs.presentValue),
    };
    this.deviceKeys = new Array(a.numLayers).fill(null);
    this.deviceValues = new Array(a.numLayers).fill(null);
    // A dtype mismatch would otherwise surface as ORT's "Unexpected input data type" mid-run.
    const meta = session.inputMetadata?.find((m) => m.name === this.names.pastKey[0]);
    if (meta?.isTensor && meta.type !== this.tensorType) {
      throw new Error(
        `graph input ${meta.name} is ${meta.type} but diffcoder.json says computeDtype ${this.kv.dtype} (${this.tensorType})`,
      );
    }
  }

  get cacheLength(): number {
    return this.length;
  }

  /** Whether the cache currently lives in device buffers. */
  get deviceResident(): boolean {
    return this.deviceKeys[0] !== null;
  }

  /** Empties the cache and makes room for `capacity` positions. */
  reset(capacity: number): void {
    this.length = 0;
    this.releaseDevice();
    this.capacity = Math.max(this.capacity, capacity);
  }

  /** Host buffers are allocated when first written, so a device-resident session never holds a host copy. */
  private ensureHost(): void {
    if (this.allocated >= this.capacity) return;
    const n = this.manifest.architecture.numLayers;
    const make = () =>
      this.kv.dtype === 'fp16'
        ? new Uint16Array(this.capacity * this.kvDim)
        : new Float32Array(this.capacity * this.kvDim);
    this.keys = Array.from({ length: n }, make);
    this.values = Array.from({ length: n }, make);
    this.allocated = this.capacity;
  }

  private releaseDevice(): void {
    for (const list of [this.deviceKeys, this.deviceValues]) {
      for (let i = 0; i < list.length; i++) {
        list[i]?.dispose();
        list[i] = null;
      }
    }
  }

  /** The cached prefix of one layer as a feed: the device tensor itself, or a view of the host buffer. */
  private pastFeed(device: ort.Tensor | null, host: KvArray | undefined): ort.Tensor {
    if (device) return device;
    const view = host
      ? host.subarray(0, this.length * this.kvDim)
      : this.kv.dtype === 'fp16'
        ? new Uint16Array(0)
        : new Float32Array(0);
    return new ort.Tensor(this.tensorType, view, [1, this.length, this.kvDim]);
  }

  async forward(req: ForwardRequest): Promise<ForwardOutput> {
    const seq = req.ids.length;
    if (this.length + req.keep > this.capacity)
      throw new Error(`KV cache overflow: ${this.length} + ${req.keep} > ${this.capacity}`);
    const { inputs, outputs } = this.manifest.io;
    const feeds: Record<string, ort.Tensor> = {
      [inputs.inputIds]: new ort.Tensor('int64', BigInt64Array.from(Array.from(req.ids, (v) => BigInt(v))), [1, seq]),
      [inputs.blockLength]: new ort.Tensor('int64', BigInt64Array.of(BigInt(req.blockLength)), [1]),
      [inputs.logitsKeep]: new ort.Tensor('int64', BigInt64Array.of(BigInt(req.rows)), [1]),
    };
    if (this.kv.kvKeep) feeds[this.kv.kvKeep] = new ort.Tensor('int64', BigInt64Array.of(BigInt(req.keep)), [1]);
    for (let i = 0; i < this.names.pastKey.length; i++) {
      feeds[this.names.pastKey[i]] = this.pastFeed(this.deviceKeys[i], this.keys[i]);
      feeds[this.names.pastValue[i]] = this.pastFeed(this.deviceValues[i], this.values[i]);
    }
    const fetches: string[] = [];
    if (this.fetchAll) {
      fetches.push(...this.session.outputNames);
    } else {
      if (req.want !== 'none') fetches.push(outputs.topToken, outputs.topProb);
      if (req.want === 'logits' || (req.candidates && !outputs.topKToken)) fetches.push(outputs.logits);
      if (req.candidates && outputs.topKToken && outputs.topKProb) fetches.push(outputs.topKToken, outputs.topKProb);
      // Present rows are fetched only when some are kept: a denoising step's would be thrown away.
      if (req.keep > 0) fetches.push(...this.names.presentKey, ...this.names.presentValue);
      if (fetches.length === 0) fetches.push(outputs.topToken);
    }
    const result = await this.session.run(feeds, fetches);

    const presentKeys = this.names.presentKey.map((n) => result[n]);
    const presentValues = this.names.presentValue.map((n) => result[n]);
    if (req.keep > 0) {
      this.append(presentKeys, presentValues, req.keep);
    } else if (this.fetchAll) {
      // Fetched only to satisfy the binding: the cache the graph returned is the one it was fed.
      for (const t of [...presentKeys, ...presentValues]) if (t?.location === 'gpu-buffer') t.dispose();
    }
    const top = result[outputs.topToken];
    const logits = result[outputs.logits]?.data as Float32Array | undefined;
    return {
      topToken: top ? Int32Array.from(top.data as BigInt64Array, Number) : new Int32Array(0),
      topProb: (result[outputs.topProb]?.data as Float32Array | undefined) ?? new Float32Array(0),
      logits: req.want === 'logits' ? logits : undefined,
      topK: req.candidates ? this.topK(result, logits, req.rows) : undefined,
    };
  }

  /** The graph's top-k outputs, or (folders built before them) the same computed here from the logits. */
  private topK(result: ort.InferenceSession.OnnxValueMapType, logits: Float32Array | undefined, rows: number): TopK {
    const { topKToken, topKProb } = this.manifest.io.outputs;
    const t = topKToken ? result[topKToken] : undefined;
    const p = topKProb ? result[topKProb] : undefined;
    if (t && p) {
      const k = Number(t.dims[t.dims.length - 1]);
      return { k, tokens: Int32Array.from(t.data as BigInt64Array, Number), probs: p.data as Float32Array };
    }
    return topKFromLogits(logits ?? new Float32Array(0), rows, this.manifest.architecture.vocabSize, TOP_K);
  }

  /** Adds `keep` positions to the cache from this forward's present keys/values. */
  private append(presentKeys: ort.Tensor[], presentValues: ort.Tensor[], keep: number): void {
    const past = this.length;
    if (presentKeys[0].location === 'gpu-buffer') {
      // Only a whole-cache graph can stay on the device: new rows alone would have to be
      // concatenated, and onnxruntime-node has no device op for that nor a way to read them back.
      if (this.kv.presentKv !== 'all')
        throw new Error(
          'present keys/values came back in GPU buffers, but this graph returns only new rows (io.presentKv "new")',
        );
      const rows = presentKeys[0].dims[1];
      if (rows !== past + keep) throw new Error(`present cache has ${rows} rows, expected ${past} + ${keep}`);
      // The previous tensors were this run's inputs; the run is over, so their buffers can go.
      this.releaseDevice();
      presentKeys.forEach((t, i) => (this.deviceKeys[i] = t));
      presentValues.forEach((t, i) => (this.deviceValues[i] = t));
      this.length += keep;
      return;
    }
    if (this.deviceResident)
      throw new Error('present keys/values came back on the host while the cache is on the device');
    this.ensureHost();
    // A `new` graph returns rows [past, past + seq) from 0; an `all` graph returns [0, past + keep).
    const from = (this.kv.presentKv === 'all' ? past : 0) * this.kvDim;
    const n = keep * this.kvDim;
    const at = past * this.kvDim;
    for (let i = 0; i < presentKeys.length; i++) {
      this.keys[i].set(kvData(presentKeys[i], this.kv.dtype).subarray(from, from + n), at);
      this.values[i].set(kvData(presentValues[i], this.kv.dtype).subarray(from, from + n), at);
    }
    this.length += keep;
  }

  async dispose(): Promise<void> {
    this.releaseDevice();
    await this.session.release();
  }
}
