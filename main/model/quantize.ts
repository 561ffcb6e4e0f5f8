/**
 * Blockwise round-to-nearest weight quantization in the layout of com.microsoft.MatMulNBits and
 * GatherBlockQuantized, with ORT's own quantizer formula (MLAS `MlasQuantizeBlockwise`, see
 * ../shared/docs/ort-notes.md §1), so a folder we write dequantizes exactly like one written by
 * ORT's Python quantizer.
 *
 * Rows are the N output channels (a checkpoint linear weight [out, in] is already row n = column n
 * of the MatMul weight, so no transpose is needed); each row is cut into blocks of `blockSize`
 * along K (zero-padded at the end). Arithmetic is float32 (Math.fround) as in MLAS.
 */

export interface QuantSpec {
  bits: 4 | 8;
  blockSize: number;
  symmetric: boolean;
}

export interface QuantizedRows {
  /** [rows, kBlocks, blockSize * bits / 8] packed, low nibble first for 4 bits. */
  data: Uint8Array;
  /** [rows, kBlocks] */
  scales: Float32Array;
  /** Asymmetric only: [rows, ceil(kBlocks * bits / 8)] packed like `data`. */
  zeroPoints: Uint8Array | null;
}

export const kBlocks = (k: number, blockSize: number): number => Math.ceil(k / blockSize);
export const blobBytes = (spec: QuantSpec): number => (spec.blockSize * spec.bits) / 8;
export const zeroPointRowBytes = (k: number, spec: QuantSpec): number =>
  Math.ceil((kBlocks(k, spec.blockSize) * spec.bits) / 8);

const f = Math.fround;

/** Round half away from zero, as C's roundf (the argument is never negative here, but be exact). */
const roundf = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

/**
 * Quantizes `rows` rows of length `k` from `src` (row-major, float32). Returns freshly allocated
 * arrays sized for exactly these rows, so callers can stream a weight a few rows at a time.
 */
export function quantizeRows(src: Float32Array, rows: number, k: number, spec: QuantSpec): QuantizedRows {
  const { bits, blockSize, symmetric } = spec;
  const qmax = (1 << bits) - 1;
  const mid = 1 << (bits - 1);
  const nb = kBlocks(k, blockSize);
  const blob = blobBytes(spec);
  const data = new Uint8Array(rows * nb * blob);
  const scales = new Float32Array(rows * nb);
  const zpRow = zeroPointRowBytes(k, spec);
  const zeroPoints = symmetric ? null : new Uint8Array(rows * zpRow);
  const q = new Uint8Array(blockSize);

  for (let r = 0; r < rows; r++) {
    const rowBase = r * k;
    for (let b = 0; b < nb; b++) {
      const start = b * blockSize;
      const end = Math.min(start + blockSize, k);
      let lo = 0;
      let hi = 0;
      let absMax = 0;
      let signedMax = 0;
      for (let i = start; i < end; i++) {
        const v = src[rowBase + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        if (Math.abs(v) > absMax) {
          absMax = Math.abs(v);
          signedMax = v;
        }
      }
      let scale: number;
      let zp: number;
      if (symmetric) {
        scale = f(signedMax / -mid);
        zp = mid;
      } else {
        scale = f(f(hi - lo) / qmax);
        const zpFloat = scale !== 0 ? f(0 - f(lo / scale)) : lo;
        zp = zpFloat < 0 ? 0 : zpFloat > qmax ? qmax : roundf(zpFloat);
      }
      const recip = scale !== 0 ? f(1 / scale) : 0;
      q.fill(zp);
      for (let i = start; i < end; i++) {
        const x = roundf(f(f(src[rowBase + i] * recip) + zp));
        q[i - start] = x < 0 ? 0 : x > qmax ? qmax : x;
      }
      // The zero padding past K quantizes to the zero point, which dequantizes to exactly 0.
      scales[r * nb + b] = scale;
      const out = (r * nb + b) * blob;
      if (bits === 8) data.set(q, out);
      else for (let i = 0; i < blob; i++) data[out + i] = q[2 * i] | (q[2 * i + 1] << 4);
      if (zeroPoints) {
        if (bits === 8) zeroPoints[r * zpRow + b] = zp;
        else zeroPoints[r * zpRow + (b >> 1)] |= b & 1 ? zp << 4 : zp;
      }
    }
  }
  return { data, scales, zeroPoints };
}

/** The inverse: float32 values [rows, k] that MatMulNBits computes with, `(q - zp) * scale`. */
export function dequantizeRows(qr: QuantizedRows, rows: number, k: number, spec: QuantSpec): Float32Array {
  const { bits, blockSize } = spec;
  const nb = kBlocks(k, blockSize);
  const blob = blobBytes(spec);
  const zpRow = zeroPointRowBytes(k, spec);
  const mid = 1 << (bits - 1);
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nb; b++) {
      const scale = qr.scales[r * nb + b];
      let zp = mid;
      if (qr.zeroPoints) {
        const byte = qr.zeroPoints[r * zpRow + (bits === 8 ? b : b >> 1)];
        zp = bits === 8 ? byte : b & 1 ? byte >> 4 : byte & 15;
      }
      const base = (r * nb + b) * blob;
      const end = Math.min(blockSize, k - b * blockSize);
      for (let i = 0; i < end; i++) {
        const v =
          bits === 8 ? qr.data[base + i] : i & 1 ? qr.data[base + (i >> 1)] >> 4 : qr.data[base + (i >> 1)] & 15;
        out[r * k + b * blockSize + i] = f((v - zp) * scale);
      }
    }
  }
  return out;
}
