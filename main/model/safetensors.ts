import { closeSync, existsSync, fstatSync, openSync, readSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readJsonFile } from './config.js';
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

/** One piece of a tensor read by `readTensorChunks`. */
export interface TensorChunk {
  /** Offset of `bytes` from the start of the tensor's data. */
  byteStart: number;
  bytes: Uint8Array;
}

/** The index Hugging Face writes beside sharded checkpoints. */
export const SHARD_INDEX_FILE = 'model.safetensors.index.json';
/** The safetensors format's own limit (MAX_HEADER_SIZE in the reference reader): anything larger is not a header. */
export const MAX_HEADER_BYTES = 100_000_000;
/**
 * The most one call reads into memory. An 8B checkpoint's fp32 embedding is 2.5 GB, beyond what one `readSync` may
 * read (2 GiB - 1) and more than the converter should hold at once: larger tensors are read in chunks.
 */
export const MAX_TENSOR_READ_BYTES = 2 ** 30;

const SUPPORTED = new Set<string>(['F32', 'F16', 'BF16']);

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Reads `length` bytes at `position` into `buf` at `bufOffset`, in pieces `readSync` accepts, or throws naming `what`. */
function readFully(
  fd: number,
  buf: Uint8Array,
  bufOffset: number,
  length: number,
  position: number,
  file: string,
  what: string,
): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, bufOffset + done, Math.min(length - done, MAX_TENSOR_READ_BYTES), position + done);
    if (n <= 0) throw new ModelFolderError(basename(file), `unexpected end of file reading ${what}`);
    done += n;
  }
}

function openForReading(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFolderError(
      basename(file),
      code === 'ENOENT' ? 'missing' : `cannot be opened (${code ?? (e as Error).message})`,
    );
  }
}

/** Reads only the JSON header of a .safetensors file; tensor data stays on disk. Validates it as strictly as HF does. */
export function readSafetensorsHeader(file: string): TensorInfo[] {
  const name = basename(file);
  const fd = openForReading(file);
  try {
    const size = fstatSync(fd).size;
    const lenBuf = Buffer.alloc(8);
    if (size < 8 || readSync(fd, lenBuf, 0, 8, 0) !== 8)
      throw new ModelFolderError(name, 'file too short for a safetensors header');
    // Read as a bigint and bound it before converting: 8 random bytes are usually far beyond any buffer's size.
    const rawLen = lenBuf.readBigUInt64LE(0);
    if (rawLen === 0n) throw new ModelFolderError(name, 'header length is 0: not a safetensors file');
    if (rawLen > BigInt(MAX_HEADER_BYTES)) {
      throw new ModelFolderError(
        name,
        `header length ${rawLen} bytes is beyond the safetensors limit of ${MAX_HEADER_BYTES}: not a safetensors file, or damaged`,
      );
    }
    const headerLen = Number(rawLen);
    if (8 + headerLen > size)
      throw new ModelFolderError(name, `header length ${headerLen} does not fit in a file of ${size} bytes`);
    const headerBuf = Buffer.alloc(headerLen);
    readFully(fd, headerBuf, 0, headerLen, 8, file, 'the header');
    let header: unknown;
    try {
      header = JSON.parse(headerBuf.toString('utf8'));
    } catch (e) {
      throw new ModelFolderError(name, `unparsable safetensors header (${(e as Error).message})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header))
      throw new ModelFolderError(name, 'safetensors header is not a JSON object');
    const dataStart = 8 + headerLen;
    const dataBytes = size - dataStart;
    const out: TensorInfo[] = [];
    for (const [tensor, entry] of Object.entries(header)) {
      if (tensor === '__metadata__') continue;
      out.push(parseEntry(name, file, tensor, entry, dataStart, dataBytes));
    }
    checkNoOverlap(name, out, dataStart);
    return out;
  } finally {
    closeSync(fd);
  }
}

function parseEntry(
  name: string,
  file: string,
  tensor: string,
  entry: unknown,
  dataStart: number,
  dataBytes: number,
): TensorInfo {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new ModelFolderError(name, `tensor ${tensor}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string') throw new ModelFolderError(name, `tensor ${tensor} has no dtype`);
  if (!SUPPORTED.has(dtype))
    throw new ModelFolderError(
      name,
      `tensor ${tensor} has unsupported dtype ${dtype} (fp32, fp16 and bf16 are supported)`,
    );
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new ModelFolderError(
      name,
      `tensor ${tensor} has an invalid shape ${JSON.stringify(shape)} (expected an array of non-negative integers)`,
    );
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw new ModelFolderError(
      name,
      `tensor ${tensor} has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end] with 0 <= begin <= end)`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const expected = (shape as number[]).reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dtype as SafetensorsDtype];
  if (end - begin !== expected) {
    throw new ModelFolderError(
      name,
      `tensor ${tensor} has data_offsets that do not match its shape ${JSON.stringify(shape)}: ${end - begin} bytes, ${dtype} needs ${expected}`,
    );
  }
  if (end > dataBytes) {
    throw new ModelFolderError(
      name,
      `tensor ${tensor} does not fit in the file: its data ends at byte ${end} but the file holds ${dataBytes} data bytes (truncated download?)`,
    );
  }
  return {
    name: tensor,
    dtype: dtype as SafetensorsDtype,
    shape: shape as number[],
    file,
    offset: dataStart + begin,
    byteLength: end - begin,
  };
}

/** Two tensors sharing bytes would silently alias each other's weights; the format forbids it. */
function checkNoOverlap(name: string, tensors: TensorInfo[], dataStart: number): void {
  const sorted = tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (b.offset < a.offset + a.byteLength) {
      const range = (t: TensorInfo) => `[${t.offset - dataStart}, ${t.offset - dataStart + t.byteLength}]`;
      throw new ModelFolderError(
        name,
        `tensors ${a.name} ${range(a)} and ${b.name} ${range(b)} have overlapping data_offsets`,
      );
    }
  }
}

/**
 * Every tensor of a checkpoint folder, by name. With `model.safetensors.index.json` only the shards it names are read
 * (as transformers does for a sharded checkpoint), so a stray file beside them is ignored; without it, every
 * *.safetensors file is. Either way a tensor stored twice is an error: which copy wins would be arbitrary.
 */
export function indexCheckpoint(dir: string): Map<string, TensorInfo> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new ModelFolderError(dir, 'checkpoint folder not found');
  }
  if (entries.includes(SHARD_INDEX_FILE)) return indexShardedCheckpoint(dir);
  // Dot files are macOS "._" resource forks and editor leftovers, never weights.
  const files = entries.filter((f) => f.endsWith('.safetensors') && !f.startsWith('.')).sort();
  if (files.length === 0) throw new ModelFolderError(dir, 'no *.safetensors file in the checkpoint folder');
  return collect(dir, files);
}

/** Reads the headers of `files`, refusing a tensor found in two of them. */
function collect(dir: string, files: string[]): Map<string, TensorInfo> {
  const index = new Map<string, TensorInfo>();
  for (const f of files) {
    for (const t of readSafetensorsHeader(join(dir, f))) {
      const seen = index.get(t.name);
      if (seen)
        throw new ModelFolderError(
          f,
          `tensor ${t.name} is also in ${basename(seen.file)}: each tensor must be stored once`,
        );
      index.set(t.name, t);
    }
  }
  return index;
}

function indexShardedCheckpoint(dir: string): Map<string, TensorInfo> {
  const raw = readJsonFile(dir, SHARD_INDEX_FILE);
  const weightMap = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new ModelFolderError(
      SHARD_INDEX_FILE,
      'field weight_map: expected an object mapping tensor names to shard files',
    );
  }
  const map = Object.entries(weightMap as Record<string, unknown>);
  if (map.length === 0) throw new ModelFolderError(SHARD_INDEX_FILE, 'weight_map is empty');
  for (const [tensor, shard] of map) {
    // A shard is a file beside the index; a path would let a downloaded index point anywhere on disk.
    if (
      typeof shard !== 'string' ||
      shard === '' ||
      shard !== basename(shard) ||
      shard === '.' ||
      shard === '..' ||
      shard.includes('\\')
    ) {
      throw new ModelFolderError(
        SHARD_INDEX_FILE,
        `weight_map.${tensor}: ${JSON.stringify(shard)} is not a file name in the checkpoint folder`,
      );
    }
  }
  const shards = [...new Set(map.map(([, shard]) => shard as string))].sort();
  const missing = shards.filter((s) => !existsSync(join(dir, s)));
  if (missing.length > 0) {
    const list = missing.join(', ');
    throw new ModelFolderError(
      SHARD_INDEX_FILE,
      `${missing.length} of ${shards.length} shards missing from the checkpoint folder: ${list} (incomplete download?)`,
    );
  }
  // Tensors in a shard but absent from weight_map stay in: transformers loads whole shards too.
  const index = collect(dir, shards);
  for (const [tensor, shard] of map as [string, string][]) {
    const t = index.get(tensor);
    if (!t)
      throw new ModelFolderError(
        shard,
        `tensor ${tensor} is missing, but ${SHARD_INDEX_FILE} says this shard holds it`,
      );
    if (basename(t.file) !== shard)
      throw new ModelFolderError(
        SHARD_INDEX_FILE,
        `tensor ${tensor} is in ${basename(t.file)}, not in ${shard} as weight_map says`,
      );
  }
  return index;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Reads `byteLength` bytes of a tensor starting `byteStart` bytes into its data. The bytes start at offset 0 of their
 * own ArrayBuffer, so a Float32Array/Uint16Array view over them needs no copy (whenever the range is element-aligned).
 */
export function readTensorRange(info: TensorInfo, byteStart: number, byteLength: number): Uint8Array {
  if (!isCount(byteStart) || !isCount(byteLength) || byteStart + byteLength > info.byteLength) {
    throw new RangeError(
      `readTensorRange(${info.name}): range [${byteStart}, ${byteStart + byteLength}) is outside the tensor's ${info.byteLength} bytes`,
    );
  }
  if (byteLength > MAX_TENSOR_READ_BYTES) {
    throw new RangeError(
      `readTensorRange(${info.name}): ${mib(byteLength)} is more than one read may hold (${mib(MAX_TENSOR_READ_BYTES)}); use readTensorChunks`,
    );
  }
  const fd = openForReading(info.file);
  try {
    return readAt(fd, info, byteStart, byteLength);
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, info: TensorInfo, byteStart: number, byteLength: number): Uint8Array {
  // allocUnsafeSlow: a pooled Buffer may sit at an odd offset of a shared ArrayBuffer, which typed views cannot use.
  const buf = Buffer.allocUnsafeSlow(byteLength);
  readFully(fd, buf, 0, byteLength, info.offset + byteStart, info.file, info.name);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Reads a tensor in pieces of at most `maxChunkBytes`, in order. Every chunk holds whole rows (whole slices along the
 * first axis) when one row fits in `maxChunkBytes`, else whole elements, so a caller can cast or transpose each chunk
 * on its own. A tensor with no bytes yields nothing. The file stays open until the generator finishes or is closed.
 */
export function* readTensorChunks(info: TensorInfo, maxChunkBytes: number): Generator<TensorChunk> {
  const element = BYTES_PER_ELEMENT[info.dtype];
  if (!Number.isSafeInteger(maxChunkBytes) || maxChunkBytes < element || maxChunkBytes > MAX_TENSOR_READ_BYTES) {
    throw new RangeError(
      `readTensorChunks(${info.name}): maxChunkBytes must be an integer from ${element} (one ${info.dtype} element) to ${MAX_TENSOR_READ_BYTES}, got ${maxChunkBytes}`,
    );
  }
  const rowBytes = info.shape.slice(1).reduce((a, b) => a * b, 1) * element;
  const unit = rowBytes > 0 && rowBytes <= maxChunkBytes ? rowBytes : element;
  const step = Math.floor(maxChunkBytes / unit) * unit;
  if (info.byteLength === 0) return;
  const fd = openForReading(info.file);
  try {
    for (let start = 0; start < info.byteLength; start += step) {
      yield { byteStart: start, bytes: readAt(fd, info, start, Math.min(step, info.byteLength - start)) };
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads one whole tensor's raw bytes; only that tensor is held in memory. Refuses tensors over 1 GiB. */
export function readTensorBytes(info: TensorInfo): Uint8Array {
  if (info.byteLength > MAX_TENSOR_READ_BYTES) {
    throw new ModelFolderError(
      basename(info.file),
      `tensor ${info.name} is ${mib(info.byteLength)}, more than readTensorBytes reads at once (${mib(MAX_TENSOR_READ_BYTES)}); read it with readTensorChunks`,
    );
  }
  return readTensorRange(info, 0, info.byteLength);
}

/** Writes a safetensors file (used by tests and tools to make checkpoints). */
export function writeSafetensors(
  file: string,
  tensors: Record<string, { dtype: SafetensorsDtype; shape: number[]; data: ArrayBufferView }>,
): void {
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
  // Pad to 8 bytes so the data starts aligned; count bytes, not UTF-16 units, for non-ASCII names.
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileSync(file, Buffer.concat([len, Buffer.from(json), ...parts]));
}
