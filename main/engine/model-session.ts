import * as ort from 'onnxruntime-node';
import { layerName, type Manifest } from '../model/manifest.js';
import type { ProviderName } from './providers.js';

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
}

export interface ForwardOutput {
  topToken: Int32Array;
  topProb: Float32Array;
  /** rows x vocab, only when asked for. */
  logits?: Float32Array;
}

/** What the decoding loop needs from a model: a forward over the uncached tail, and the cache. */
export interface ForwardModel {
  readonly manifest: Manifest;
  readonly provider: ProviderName;
  readonly cacheLength: number;
  reset(capacity: number): void;
  forward(req: ForwardRequest): Promise<ForwardOutput>;
}

/**
 * One ORT session plus the exact KV cache of the finished prefix. The cache is kept as
 * [position][kv heads * head dim], so the prefix the graph needs is one contiguous view of a
 * preallocated buffer: nothing is copied to feed it, and only new rows come back.
 */
export class ModelSession implements ForwardModel {
  private keys: Float32Array[] = [];
  private values: Float32Array[] = [];
  private length = 0;
  private capacity = 0;
  private readonly kvDim: number;
  private readonly names: { pastKey: string[]; pastValue: string[]; presentKey: string[]; presentValue: string[] };

  constructor(
    readonly session: ort.InferenceSession,
    readonly manifest: Manifest,
    readonly provider: ProviderName,
  ) {
    const a = manifest.architecture;
    this.kvDim = a.numKvHeads * a.headDim;
    const per = (t: string) => Array.from({ length: a.numLayers }, (_, i) => layerName(t, i));
    this.names = { pastKey: per(manifest.io.inputs.pastKey), pastValue: per(manifest.io.inputs.pastValue), presentKey: per(manifest.io.outputs.presentKey), presentValue: per(manifest.io.outputs.presentValue) };
  }

  get cacheLength(): number {
    return this.length;
  }

  /** Empties the cache and makes room for `capacity` positions. */
  reset(capacity: number): void {
    this.length = 0;
    if (capacity <= this.capacity) return;
    const n = this.manifest.architecture.numLayers;
    this.keys = Array.from({ length: n }, () => new Float32Array(capacity * this.kvDim));
    this.values = Array.from({ length: n }, () => new Float32Array(capacity * this.kvDim));
    this.capacity = capacity;
  }

  async forward(req: ForwardRequest): Promise<ForwardOutput> {
    const seq = req.ids.length;
    if (this.length + req.keep > this.capacity) throw new Error(`KV cache overflow: ${this.length} + ${req.keep} > ${this.capacity}`);
    const { inputs, outputs } = this.manifest.io;
    const past = this.length * this.kvDim;
    const feeds: Record<string, ort.Tensor> = {
      [inputs.inputIds]: new ort.Tensor('int64', BigInt64Array.from(Array.from(req.ids, (v) => BigInt(v))), [1, seq]),
      [inputs.blockLength]: new ort.Tensor('int64', BigInt64Array.of(BigInt(req.blockLength)), [1]),
      [inputs.logitsKeep]: new ort.Tensor('int64', BigInt64Array.of(BigInt(req.rows)), [1]),
    };
    for (let i = 0; i < this.keys.length; i++) {
      feeds[this.names.pastKey[i]] = new ort.Tensor('float32', this.keys[i].subarray(0, past), [1, this.length, this.kvDim]);
      feeds[this.names.pastValue[i]] = new ort.Tensor('float32', this.values[i].subarray(0, past), [1, this.length, this.kvDim]);
    }
    const fetches: string[] = [];
    if (req.want !== 'none') fetches.push(outputs.topToken, outputs.topProb);
    if (req.want === 'logits') fetches.push(outputs.logits);
    if (req.keep > 0) fetches.push(...this.names.presentKey, ...this.names.presentValue);
    if (fetches.length === 0) fetches.push(outputs.topToken);
    const result = await this.session.run(feeds, fetches);

    if (req.keep > 0) {
      const n = req.keep * this.kvDim;
      for (let i = 0; i < this.keys.length; i++) {
        this.keys[i].set((result[this.names.presentKey[i]].data as Float32Array).subarray(0, n), past);
        this.values[i].set((result[this.names.presentValue[i]].data as Float32Array).subarray(0, n), past);
      }
      this.length += req.keep;
    }
    const top = result[outputs.topToken];
    return {
      topToken: top ? Int32Array.from(top.data as BigInt64Array, Number) : new Int32Array(0),
      topProb: (result[outputs.topProb]?.data as Float32Array | undefined) ?? new Float32Array(0),
      logits: result[outputs.logits]?.data as Float32Array | undefined,
    };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
