import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { halfToFloat } from '../dtype.js';
import { ModelFolderError } from '../errors.js';
import type { TensorInfo } from '../safetensors.js';

/**
 * Reads elements of one checkpoint tensor as float32 on demand, through one open file, so a
 * tensor of any size (an fp32 8B embedding is 2.5 GB) is converted a slice at a time and never
 * held whole.
 */
export class TensorSource {
  private fd: number;
  private scratch = Buffer.alloc(0);
  readonly bytesPerElement: number;

  constructor(readonly info: TensorInfo) {
    this.fd = openSync(info.file, 'r');
    this.bytesPerElement = info.dtype === 'F32' ? 4 : 2;
  }

  get rows(): number {
    return this.info.shape[0];
  }
  get cols(): number {
    return this.info.shape.length > 1 ? this.info.shape[1] : 1;
  }

  /** Elements [start, start + count) in row-major order, written into `out` at `outOffset`. */
  read(start: number, count: number, out: Float32Array, outOffset = 0): void {
    const bytes = count * this.bytesPerElement;
    if (this.scratch.byteLength < bytes) this.scratch = Buffer.alloc(Math.max(bytes, this.scratch.byteLength * 2));
    const pos = this.info.offset + start * this.bytesPerElement;
    let done = 0;
    while (done < bytes) {
      const n = readSync(this.fd, this.scratch, done, bytes - done, pos + done);
      if (n <= 0)
        throw new ModelFolderError(basename(this.info.file), `unexpected end of file reading ${this.info.name}`);
      done += n;
    }
    // Buffer.alloc is never pooled, so the scratch starts at byte 0 of its ArrayBuffer: aligned views.
    const buf = this.scratch.buffer;
    if (this.info.dtype === 'F32') {
      out.set(new Float32Array(buf, 0, count), outOffset);
    } else if (this.info.dtype === 'BF16') {
      // bfloat16 is the top half of a float32.
      const src = new Uint16Array(buf, 0, count);
      const bits = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, count);
      for (let i = 0; i < count; i++) bits[i] = src[i] << 16;
    } else {
      const src = new Uint16Array(buf, 0, count);
      for (let i = 0; i < count; i++) out[outOffset + i] = halfToFloat(src[i]);
    }
  }

  /** A row range [row0, row0 + rows) of a 2-D tensor as float32. */
  readRows(row0: number, rows: number, out = new Float32Array(rows * this.cols)): Float32Array {
    this.read(row0 * this.cols, rows * this.cols, out);
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Opens each source, runs `use`, and always closes them. */
export function withSources<T>(infos: TensorInfo[], use: (sources: TensorSource[]) => T): T {
  const sources: TensorSource[] = [];
  try {
    for (const i of infos) sources.push(new TensorSource(i));
    return use(sources);
  } finally {
    for (const s of sources) s.close();
  }
}
