import type { ForwardModel, ForwardOutput, ForwardRequest } from '../../main/engine/model-session.js';
import type { ModelSession } from '../../main/engine/model-session.js';

/**
 * Decoding without a KV cache: every forward recomputes the whole block-causal prefix from
 * position 0 with the same graph. Decoding through it must give the same tokens as the cache.
 */
export class RecomputeModel implements ForwardModel {
  private prefix: number[] = [];
  forwards = 0;
  constructor(private inner: ModelSession) {}
  get manifest() {
    return this.inner.manifest;
  }
  get provider() {
    return this.inner.provider;
  }
  get cacheLength() {
    return this.prefix.length;
  }
  reset(capacity: number) {
    this.prefix = [];
    this.inner.reset(capacity);
  }
  async forward(req: ForwardRequest): Promise<ForwardOutput> {
    this.forwards++;
    const full = [...this.prefix, ...Array.from(req.ids)];
    this.inner.reset(full.length);
    const out = await this.inner.forward({ ...req, ids: full, keep: 0 });
    this.prefix.push(...Array.from(req.ids).slice(0, req.keep));
    return out;
  }
}

/**
 * Hand-made logits for testing the decoding loop itself: `predict(position)` names the token each
 * absolute position proposes and its confidence. Counts forwards and records each request.
 */
export class ScriptedModel implements ForwardModel {
  readonly provider = 'cpu' as const;
  readonly manifest;
  private cached = 0;
  requests: ForwardRequest[] = [];
  constructor(
    private vocab: number,
    private predict: (position: number) => { token: number; prob: number },
  ) {
    this.manifest = {
      architecture: {
        vocabSize: vocab,
        maxPositions: 4096,
        numLayers: 1,
        numHeads: 1,
        numKvHeads: 1,
        headDim: 2,
        hiddenSize: 2,
      },
      dtype: 'fp32',
      tokens: { bos: null, eos: null, pad: null, mask: -1 },
    } as unknown as ForwardModel['manifest'];
  }
  get cacheLength() {
    return this.cached;
  }
  reset() {
    this.cached = 0;
  }
  async forward(req: ForwardRequest): Promise<ForwardOutput> {
    this.requests.push({ ...req, ids: Array.from(req.ids) });
    const first = this.cached + req.ids.length - req.rows;
    const topToken = new Int32Array(req.rows);
    const topProb = new Float32Array(req.rows);
    const logits = new Float32Array(req.rows * this.vocab);
    for (let r = 0; r < req.rows; r++) {
      const { token, prob } = this.predict(first + r);
      topToken[r] = token;
      topProb[r] = prob;
      // A row whose softmax gives `prob` to `token` and shares the rest evenly.
      const rest = (1 - prob) / (this.vocab - 1);
      for (let v = 0; v < this.vocab; v++) logits[r * this.vocab + v] = Math.log(v === token ? prob : rest);
    }
    this.cached += req.keep;
    return { topToken, topProb, logits: req.want === 'logits' ? logits : undefined };
  }
}
