import { closeSync, openSync, readSync, readdirSync, fstatSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BYTES_PER_ELEMENT, type SafetensorsDtype } from './dtype.js';
import { ModelFolderError } from './errors.js';

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  file: string;
  /** Absolute byte offset of the data in the file. */
  offset: number;
  byteLength: number;
}

const SUPPORTED = new Set<string>(['F32', 'F16', 'BF16']);

/** Reads only the JSON header of a .safetensors file; tensor data stays on disk. */
export function readSafetensorsHeader(file: string): TensorInfo[] {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const lenBuf = Buffer.alloc(8);
    if (size < 8 || readSync(fd, lenBuf, 0, 8, 0) !== 8) throw new ModelFolderError(basename(file), 'file too short for a safetensors header');
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen <= 0 || 8 + headerLen > size) throw new ModelFolderError(basename(file), `header length ${headerLen} does not fit in a file of ${size} bytes`);
    const headerBuf = Buffer.alloc(headerLen);
    readSync(fd, headerBuf, 0, headerLen, 8);
    let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    try {
      header = JSON.parse(headerBuf.toString('utf8'));
    } catch (e) {
      throw new ModelFolderError(basename(file), `unparsable safetensors header (${(e as Error).message})`);
    }
    const dataStart = 8 + headerLen;
    const out: TensorInfo[] = [];
    for (const [name, t] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      if (!SUPPORTED.has(t.dtype)) throw new ModelFolderError(basename(file), `tensor ${name} has unsupported dtype ${t.dtype} (fp32, fp16 and bf16 are supported)`);
      const dtype = t.dtype as SafetensorsDtype;
      const [begin, end] = t.data_offsets;
      const elements = t.shape.reduce((a, b) => a * b, 1);
      if (end - begin !== elements * BYTES_PER_ELEMENT[dtype] || dataStart + end > size) {
        throw new ModelFolderError(basename(file), `tensor ${name} has data_offsets that do not match its shape ${JSON.stringify(t.shape)}`);
      }
      out.push({ name, dtype, shape: t.shape, file, offset: dataStart + begin, byteLength: end - begin });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Every tensor of every *.safetensors file in a checkpoint folder, by name. */
export function indexCheckpoint(dir: string): Map<string, TensorInfo> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
  } catch {
    throw new ModelFolderError(dir, 'checkpoint folder not found');
  }
  if (files.length === 0) throw new ModelFolderError(dir, 'no *.safetensors file in the checkpoint folder');
  const index = new Map<string, TensorInfo>();
  for (const f of files) for (const t of readSafetensorsHeader(join(dir, f))) index.set(t.name, t);
  return index;
}

/** Reads one tensor's raw bytes; only that tensor is held in memory. */
export function readTensorBytes(info: TensorInfo): Uint8Array {
  const fd = openSync(info.file, 'r');
  try {
    const buf = Buffer.allocUnsafe(info.byteLength);
    let done = 0;
    while (done < info.byteLength) {
      const n = readSync(fd, buf, done, info.byteLength - done, info.offset + done);
      if (n <= 0) throw new ModelFolderError(basename(info.file), `unexpected end of file reading ${info.name}`);
      done += n;
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } finally {
    closeSync(fd);
  }
}

/** Writes a safetensors file (used by tests and tools to make checkpoints). */
export function writeSafetensors(file: string, tensors: Record<string, { dtype: SafetensorsDtype; shape: number[]; data: ArrayBufferView }>): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileSync(file, Buffer.concat([len, Buffer.from(json), ...parts]));
}
