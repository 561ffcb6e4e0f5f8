import {
  closeSync,
  copyFileSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLlamaConfig, parseLlamaConfig } from '../main/model/config.js';
import { checkFreeDisk, formatBytes, freeDiskBytes } from '../main/model/disk-space.js';
import { ModelFolderError } from '../main/model/errors.js';
import { decodingDefaultsFromGenerationConfig, tokenIdsFromGenerationConfig } from '../main/model/generation-config.js';
import {
  MAX_TENSOR_READ_BYTES,
  SHARD_INDEX_FILE,
  indexCheckpoint,
  readSafetensorsHeader,
  readTensorBytes,
  readTensorChunks,
  readTensorRange,
  writeSafetensors,
  type TensorInfo,
} from '../main/model/safetensors.js';
import { TINY, tinyWeights } from './helpers/tiny-checkpoint.js';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** Runs `fn` and returns the ModelFolderError it throws; fails the test if it throws nothing or something else. */
function folderError(fn: () => unknown): ModelFolderError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFolderError);
    return e as ModelFolderError;
  }
  throw new Error('expected a ModelFolderError, nothing was thrown');
}

describe('config.json: RoPE and architecture fields of real checkpoints', () => {
  const base = { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...TINY, rope_theta: undefined };
  const parse = (patch: Record<string, unknown>) => parseLlamaConfig({ ...base, ...patch });

  it('takes rope_theta from the top level, from transformers 5 rope_parameters, or Llama default 10000', () => {
    expect(parse({ rope_theta: 500000 }).ropeTheta).toBe(500000);
    expect(parse({ rope_parameters: { rope_theta: 500000, rope_type: 'default' } }).ropeTheta).toBe(500000);
    expect(parse({ rope_theta: 500000, rope_parameters: { rope_theta: 500000, rope_type: 'default' } }).ropeTheta).toBe(
      500000,
    );
    expect(parse({ rope_theta: 250000, rope_parameters: { rope_type: 'default' } }).ropeTheta).toBe(250000);
    expect(parse({}).ropeTheta).toBe(10000);
    expect(parse({ rope_parameters: null }).ropeTheta).toBe(10000);
  });

  it('refuses a rope_theta that disagrees with rope_parameters, or rope_parameters without any theta', () => {
    const both = folderError(() =>
      parse({ rope_theta: 10000, rope_parameters: { rope_theta: 500000, rope_type: 'default' } }),
    );
    expect(both.file).toBe('config.json');
    expect(both.problem).toMatch(/rope_theta is 10000 but rope_parameters\.rope_theta is 500000/);
    expect(folderError(() => parse({ rope_parameters: { rope_type: 'default' } })).problem).toMatch(
      /rope_parameters has no rope_theta/,
    );
    expect(folderError(() => parse({ rope_parameters: { rope_theta: '5e5' } })).problem).toMatch(
      /rope_parameters\.rope_theta: expected a positive number/,
    );
  });

  it('accepts rope_scaling null, absent or of type "default" (new and old key)', () => {
    for (const rope_scaling of [null, undefined, { rope_type: 'default' }, { type: 'default' }]) {
      expect(parse({ rope_theta: 500000, rope_scaling }).ropeTheta).toBe(500000);
    }
  });

  it('refuses every other RoPE type, naming the field and the type', () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { rope_scaling: { rope_type: 'llama3', factor: 8, original_max_position_embeddings: 8192 } },
        'unsupported rope scaling: rope_scaling.rope_type "llama3" (only "default" is supported)',
      ],
      [
        { rope_scaling: { type: 'linear', factor: 2 } },
        'unsupported rope scaling: rope_scaling.type "linear" (only "default" is supported)',
      ],
      [
        { rope_scaling: { type: 'dynamic', factor: 2 } },
        'unsupported rope scaling: rope_scaling.type "dynamic" (only "default" is supported)',
      ],
      [
        { rope_parameters: { rope_type: 'yarn', rope_theta: 500000, factor: 4 } },
        'unsupported rope scaling: rope_parameters.rope_type "yarn" (only "default" is supported)',
      ],
      [
        { rope_parameters: { rope_type: 'longrope', rope_theta: 1e4 } },
        'unsupported rope scaling: rope_parameters.rope_type "longrope" (only "default" is supported)',
      ],
      [{ rope_scaling: { factor: 8 } }, 'unsupported rope scaling: rope_scaling has no rope_type'],
      [
        { rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 1e4 } } },
        'unsupported rope scaling: rope_parameters.full_attention is an object (RoPE per layer type)',
      ],
    ];
    for (const [patch, message] of cases) {
      const e = folderError(() => parse({ rope_theta: 500000, ...patch }));
      expect(e.message).toBe(`config.json: ${message}`);
    }
    expect(folderError(() => parse({ rope_scaling: 'linear' })).problem).toMatch(
      /field rope_scaling: expected an object or null/,
    );
  });

  it('keeps the rest: tied embeddings, Stable-DiffCoder architecture with auto_map, bias refusal', () => {
    const sdc = parse({
      architectures: ['StableDiffcoderForCausalLM'],
      auto_map: {
        AutoConfig: 'configuration_x.XConfig',
        AutoModelForCausalLM: 'modeling_stable_diffcoder.StableDiffcoderForCausalLM',
      },
      tie_word_embeddings: true,
      eos_token_id: [2, 7],
      rope_parameters: { rope_theta: 500000, rope_type: 'default' },
    });
    expect(sdc.tieWordEmbeddings).toBe(true);
    expect(sdc.eosTokenId).toBe(2);
    expect(sdc.ropeTheta).toBe(500000);
    expect(folderError(() => parse({ attention_bias: true })).problem).toMatch(/bias terms are not supported/);
    expect(folderError(() => parse({ mlp_bias: true })).problem).toMatch(/bias terms are not supported/);
    expect(folderError(() => parse({ architectures: ['MistralForCausalLM'] })).problem).toMatch(
      /unsupported architecture: MistralForCausalLM/,
    );
  });

  it('reads a transformers 5 config.json from disk', () => {
    const dir = tmp('cfg-');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        ...base,
        rope_parameters: { rope_theta: 500000, rope_type: 'default' },
        dtype: 'bfloat16',
        transformers_version: '5.0.0',
      }),
    );
    expect(loadLlamaConfig(dir).ropeTheta).toBe(500000);
    rmSync(dir, { recursive: true });
  });
});

/** Writes a .safetensors file with any header (valid or not) and `dataBytes` bytes of data after it. */
function writeRaw(file: string, header: unknown, data: Uint8Array = new Uint8Array(0)): void {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([len, json, data]));
}

describe('safetensors headers are validated strictly', () => {
  let dir: string;
  beforeAll(() => (dir = tmp('st-hdr-')));
  afterAll(() => rmSync(dir, { recursive: true }));
  const headerError = (header: unknown, data = new Uint8Array(64)) => {
    const file = join(dir, 'w.safetensors');
    writeRaw(file, header, data);
    const e = folderError(() => readSafetensorsHeader(file));
    expect(e.file).toBe('w.safetensors');
    return e.problem;
  };
  const t = (entry: Record<string, unknown>) => ({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16], ...entry } });

  it('a good header reads, with __metadata__ skipped', () => {
    const file = join(dir, 'ok.safetensors');
    writeRaw(
      file,
      { __metadata__: { format: 'pt' }, ...t({}), b: { dtype: 'BF16', shape: [2, 3], data_offsets: [16, 28] } },
      new Uint8Array(28),
    );
    const infos = readSafetensorsHeader(file);
    expect(infos.map((i) => [i.name, i.offset - infos[0].offset, i.byteLength])).toEqual([
      ['a', 0, 16],
      ['b', 16, 12],
    ]);
  });
  it('unknown or unsupported dtype', () => {
    expect(headerError(t({ dtype: 'I8' }))).toMatch(/tensor a has unsupported dtype I8/);
    expect(headerError(t({ dtype: 7 }))).toMatch(/tensor a has no dtype/);
  });
  it('shape that is not an array of non-negative integers', () => {
    for (const shape of [[-4], [1.5], '4', [4, null], null])
      expect(headerError(t({ shape }))).toMatch(/tensor a has an invalid shape/);
  });
  it('negative, reversed or malformed data_offsets', () => {
    for (const data_offsets of [[-16, 0], [16, 0], [0], [0, '16'], [0, 16.5]])
      expect(headerError(t({ data_offsets }))).toMatch(/tensor a has invalid data_offsets/);
  });
  it('data_offsets that disagree with the shape, or run past the file', () => {
    expect(headerError(t({ data_offsets: [0, 20] }))).toMatch(/do not match its shape \[4\]: 20 bytes, F32 needs 16/);
    expect(headerError(t({ shape: [32], data_offsets: [0, 128] }))).toMatch(
      /tensor a does not fit in the file: its data ends at byte 128 but the file holds 64/,
    );
  });
  it('overlapping tensors', () => {
    const header = { ...t({}), b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } };
    expect(headerError(header)).toMatch(/tensors a \[0, 16\] and b \[8, 24\] have overlapping data_offsets/);
  });
  it('a header that is not an object, or a length no buffer could hold', () => {
    expect(headerError([1, 2])).toMatch(/not a JSON object/);
    const file = join(dir, 'junk.safetensors');
    writeFileSync(file, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]));
    expect(folderError(() => readSafetensorsHeader(file)).problem).toMatch(
      /header length 9223372036854775807 bytes is beyond the safetensors limit/,
    );
    writeFileSync(file, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 2]));
    expect(folderError(() => readSafetensorsHeader(file)).problem).toMatch(/header length is 0/);
  });
});

describe('checkpoint folders: shards, index, duplicates', () => {
  const weights = tinyWeights();
  const names = Object.keys(weights).sort();
  const firstHalf = names.slice(0, names.length / 2);
  const shardA = 'model-00001-of-00002.safetensors';
  const shardB = 'model-00002-of-00002.safetensors';
  const writeShard = (file: string, tensorNames: string[]) =>
    writeSafetensors(
      file,
      Object.fromEntries(
        tensorNames.map((n) => [n, { dtype: 'F32' as const, shape: weights[n].shape, data: weights[n].data }]),
      ),
    );
  /** A two-shard checkpoint as transformers' save_pretrained writes it, then `edit` damages it. */
  const sharded = (edit: (dir: string, map: Record<string, string>) => void = () => {}) => {
    const dir = tmp('st-shard-');
    writeShard(join(dir, shardA), firstHalf);
    writeShard(join(dir, shardB), names.slice(names.length / 2));
    const map = Object.fromEntries(names.map((n) => [n, firstHalf.includes(n) ? shardA : shardB]));
    edit(dir, map);
    writeFileSync(join(dir, SHARD_INDEX_FILE), JSON.stringify({ metadata: { total_size: 0 }, weight_map: map }));
    return dir;
  };
  const dirs: string[] = [];
  const track = (d: string) => (dirs.push(d), d);
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('reads every tensor of a sharded checkpoint, byte for byte, from the shard the index names', () => {
    const dir = track(sharded());
    const index = indexCheckpoint(dir);
    expect([...index.keys()].sort()).toEqual(names);
    for (const n of names) {
      const info = index.get(n)!;
      expect(info.file.endsWith(firstHalf.includes(n) ? shardA : shardB), n).toBe(true);
      expect(info.shape).toEqual(weights[n].shape);
      expect(Buffer.from(readTensorBytes(info)).equals(Buffer.from(weights[n].data.buffer)), n).toBe(true);
    }
  });
  it('ignores a *.safetensors file the index does not name (as transformers does)', () => {
    const dir = track(
      sharded((d) =>
        writeFileSync(join(d, 'model.safetensors'), 'not a safetensors file, and holding duplicates would not matter'),
      ),
    );
    expect(indexCheckpoint(dir).size).toBe(names.length);
  });
  it('a missing shard is named', () => {
    const dir = track(sharded((d) => rmSync(join(d, shardB))));
    const e = folderError(() => indexCheckpoint(dir));
    expect(e.file).toBe(SHARD_INDEX_FILE);
    expect(e.problem).toBe(`1 of 2 shards missing from the checkpoint folder: ${shardB} (incomplete download?)`);
  });
  it('a tensor that is not where weight_map says', () => {
    const moved = firstHalf[0];
    const e = folderError(() => indexCheckpoint(track(sharded((_, map) => (map[moved] = shardB)))));
    expect(e.message).toBe(`${SHARD_INDEX_FILE}: tensor ${moved} is in ${shardA}, not in ${shardB} as weight_map says`);
    const ghost = folderError(() => indexCheckpoint(track(sharded((_, map) => (map['model.extra.weight'] = shardA)))));
    expect(ghost.message).toBe(
      `${shardA}: tensor model.extra.weight is missing, but ${SHARD_INDEX_FILE} says this shard holds it`,
    );
  });
  it('a tensor stored in two shards names the tensor and both files', () => {
    const dup = names.at(-1)!;
    const dir = track(sharded((d) => writeShard(join(d, shardA), [...firstHalf, dup])));
    expect(folderError(() => indexCheckpoint(dir)).message).toBe(
      `${shardB}: tensor ${dup} is also in ${shardA}: each tensor must be stored once`,
    );
  });
  it('an index that is damaged or points outside the folder', () => {
    const escape = folderError(() =>
      indexCheckpoint(track(sharded((_, map) => (map[names[0]] = '../elsewhere.safetensors')))),
    );
    expect(escape.problem).toMatch(/"\.\.\/elsewhere\.safetensors" is not a file name in the checkpoint folder/);
    const dir = track(sharded());
    writeFileSync(join(dir, SHARD_INDEX_FILE), JSON.stringify({ metadata: {} }));
    expect(folderError(() => indexCheckpoint(dir)).problem).toMatch(/field weight_map: expected an object/);
    writeFileSync(join(dir, SHARD_INDEX_FILE), '{"weight_map": ');
    expect(folderError(() => indexCheckpoint(dir)).problem).toMatch(/unparsable JSON/);
  });
  it('without an index, a tensor in two files is an error too', () => {
    const dir = track(tmp('st-noindex-'));
    writeShard(join(dir, 'a.safetensors'), names.slice(0, 3));
    writeShard(join(dir, 'b.safetensors'), names.slice(2, 5));
    expect(folderError(() => indexCheckpoint(dir)).message).toBe(
      `b.safetensors: tensor ${names[2]} is also in a.safetensors: each tensor must be stored once`,
    );
    rmSync(join(dir, 'b.safetensors'));
    copyFileSync(join(dir, 'a.safetensors'), join(dir, '._a.safetensors'));
    expect(indexCheckpoint(dir).size).toBe(3);
  });
});

describe('reading tensors in ranges and chunks', () => {
  let info: TensorInfo;
  let whole: Buffer;
  let dir: string;
  beforeAll(() => {
    dir = tmp('st-chunks-');
    const w = tinyWeights();
    // A bf16 tensor after an fp32 one: offsets that are not multiples of 4 and rows of 2-byte elements.
    const bf16 = new Uint16Array(w['model.embed_tokens.weight'].data.length).map((_, i) => i * 7);
    writeSafetensors(join(dir, 'model.safetensors'), {
      'model.norm.weight': { dtype: 'F32', shape: w['model.norm.weight'].shape, data: w['model.norm.weight'].data },
      'model.embed_tokens.weight': { dtype: 'BF16', shape: [TINY.vocab_size, TINY.hidden_size], data: bf16 },
    });
    info = indexCheckpoint(dir).get('model.embed_tokens.weight')!;
    whole = Buffer.from(readTensorBytes(info));
    expect(whole.equals(Buffer.from(bf16.buffer))).toBe(true);
  });
  afterAll(() => rmSync(dir, { recursive: true }));

  it('a range is the same bytes as the slice of the whole tensor, in its own aligned buffer', () => {
    const r = readTensorRange(info, 962, 500);
    expect(Buffer.from(r).equals(whole.subarray(962, 1462))).toBe(true);
    expect(r.byteOffset).toBe(0);
    expect(r.buffer.byteLength).toBe(500);
    expect(readTensorRange(info, info.byteLength, 0).byteLength).toBe(0);
  });
  it('ranges outside the tensor, or too large for one read, are refused', () => {
    expect(() => readTensorRange(info, info.byteLength - 2, 4)).toThrow(
      /range \[25246, 25250\) is outside the tensor's 25248 bytes/,
    );
    expect(() => readTensorRange(info, -2, 4)).toThrow(RangeError);
    expect(() => readTensorRange(info, 1.5, 4)).toThrow(RangeError);
    const huge = { ...info, byteLength: 3 * MAX_TENSOR_READ_BYTES };
    expect(() => readTensorRange(huge, 0, MAX_TENSOR_READ_BYTES + 2)).toThrow(/use readTensorChunks/);
  });
  it('chunks hold whole rows, cover the tensor in order and concatenate to it', () => {
    const rowBytes = TINY.hidden_size * 2;
    const chunks = [...readTensorChunks(info, 1000)];
    const rowsPerChunk = Math.floor(1000 / rowBytes);
    expect(chunks[1].byteStart).toBe(rowsPerChunk * rowBytes);
    expect(chunks.every((c) => c.byteStart % rowBytes === 0 && c.bytes.byteLength <= 1000)).toBe(true);
    expect(chunks.length).toBe(Math.ceil(TINY.vocab_size / rowsPerChunk));
    expect(Buffer.concat(chunks.map((c) => c.bytes)).equals(whole)).toBe(true);
    expect(chunks.map((c) => c.byteStart)).toEqual(chunks.map((_, i) => i * rowsPerChunk * rowBytes));
  });
  it('a chunk smaller than a row holds whole elements', () => {
    const chunks = [...readTensorChunks(info, 33)];
    expect(chunks[0].bytes.byteLength).toBe(32);
    expect(Buffer.concat(chunks.map((c) => c.bytes)).equals(whole)).toBe(true);
    expect(() => [...readTensorChunks(info, 1)]).toThrow(/maxChunkBytes must be an integer from 2/);
    expect(() => [...readTensorChunks(info, MAX_TENSOR_READ_BYTES + 1)]).toThrow(RangeError);
  });
});

describe('tensors beyond 2 GiB (a sparse file: the 8B fp32 embedding and LM head, no disk used)', () => {
  const rows = 155136;
  const cols = 4096;
  const rowBytes = cols * 4;
  const tensorBytes = rows * rowBytes; // 2,541,748,224: more than one Buffer read or readSync may take
  let dir: string;
  let file: string;
  let dataStart: number;
  const markerRow = 150000; // in lm_head: absolute file position ~5.0e9, beyond 2^32
  const marker = Buffer.from(Array.from({ length: 16 }, (_, i) => i + 1));
  beforeAll(() => {
    dir = tmp('st-sparse-');
    file = join(dir, 'model.safetensors');
    const header = Buffer.from(
      JSON.stringify({
        'model.embed_tokens.weight': { dtype: 'F32', shape: [rows, cols], data_offsets: [0, tensorBytes] },
        'lm_head.weight': { dtype: 'F32', shape: [rows, cols], data_offsets: [tensorBytes, 2 * tensorBytes] },
      }),
    );
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    dataStart = 8 + header.length;
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, Buffer.concat([len, header]), 0, dataStart, 0);
      ftruncateSync(fd, dataStart + 2 * tensorBytes);
      const markerPos = dataStart + tensorBytes + markerRow * rowBytes;
      writeSync(fd, marker, 0, marker.length, markerPos);
      // A reader that wrapped positions at 32 bits would land here and read this instead of the marker.
      writeSync(fd, Buffer.alloc(16, 0xaa), 0, 16, markerPos - 2 ** 32);
    } finally {
      closeSync(fd);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the file is sparse (takes almost no disk) and its header indexes', () => {
    expect(statSync(file).size).toBeGreaterThan(2 ** 32);
    expect(statSync(file).blocks * 512).toBeLessThan(1 << 20);
    const index = indexCheckpoint(dir);
    expect(index.get('lm_head.weight')!.offset).toBe(dataStart + tensorBytes);
    expect(index.get('lm_head.weight')!.byteLength).toBe(tensorBytes);
  });
  it('reads ranges past 2^31 and 2^32 at the right place', () => {
    const index = indexCheckpoint(dir);
    const embed = index.get('model.embed_tokens.weight')!;
    const lmHead = index.get('lm_head.weight')!;
    const past2g = readTensorRange(embed, 2 ** 31 + 4096, 64);
    expect(past2g.every((b) => b === 0)).toBe(true);
    expect(Buffer.from(readTensorRange(lmHead, markerRow * rowBytes, 16)).equals(marker)).toBe(true);
    expect(lmHead.offset + markerRow * rowBytes).toBeGreaterThan(2 ** 32);
    const lastRow = readTensorRange(lmHead, tensorBytes - rowBytes, rowBytes);
    expect(lastRow.byteLength).toBe(rowBytes);
  });
  it("the converter's reader (TensorSource) reads rows past 2^32 as float32", async () => {
    const { TensorSource } = await import('../main/model/builder/tensor-source.js');
    const src = new TensorSource(indexCheckpoint(dir).get('lm_head.weight')!);
    try {
      const row = src.readRows(markerRow, 1);
      expect(Buffer.from(row.buffer, row.byteOffset, 16).equals(marker)).toBe(true);
      expect(row.subarray(4).every((v) => v === 0)).toBe(true);
    } finally {
      src.close();
    }
  });
  it('readTensorBytes refuses the 2.5 GB tensor with a clear error instead of crashing; chunks stream it', () => {
    const embed = indexCheckpoint(dir).get('model.embed_tokens.weight')!;
    const e = folderError(() => readTensorBytes(embed));
    expect(e.message).toBe(
      'model.safetensors: tensor model.embed_tokens.weight is 2424.0 MiB, more than readTensorBytes reads at once (1024.0 MiB); read it with readTensorChunks',
    );
    const starts: number[] = [];
    for (const chunk of readTensorChunks(embed, 64 << 20)) {
      starts.push(chunk.byteStart);
      expect(chunk.bytes.byteLength).toBe(64 << 20);
      if (starts.length === 2) break;
    }
    expect(starts).toEqual([0, 64 << 20]);
  });
});

describe('generation_config.json', () => {
  const dirs: string[] = [];
  const withConfig = (json: unknown) => {
    const d = tmp('gencfg-');
    dirs.push(d);
    writeFileSync(join(d, 'generation_config.json'), typeof json === 'string' ? json : JSON.stringify(json));
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("maps the built-in model's file (written by training/export.py) to decoding defaults and token ids", () => {
    const builtin = join(import.meta.dirname, '..', 'resources', 'models', 'diffcoder-mini');
    expect(decodingDefaultsFromGenerationConfig(builtin)).toEqual({
      steps: 128,
      genLength: 128,
      blockLength: 4,
      temperature: 0,
      remasking: 'low_confidence',
      threshold: null,
      shift: false,
    });
    expect(tokenIdsFromGenerationConfig(builtin)).toEqual({ bos: 0, eos: [2], pad: 1, mask: 5 });
  });
  it('no file: nothing to merge, no ids', () => {
    const d = tmp('gencfg-none-');
    dirs.push(d);
    expect(decodingDefaultsFromGenerationConfig(d)).toEqual({});
    expect(tokenIdsFromGenerationConfig(d)).toEqual({ bos: null, eos: [], pad: null, mask: null });
  });
  it('a plain transformers file: unknown fields ignored, nulls unset, max_new_tokens as gen_length with one token per step', () => {
    const d = withConfig({
      _from_model_config: true,
      transformers_version: '4.46.2',
      top_p: 0.95,
      max_length: 8192,
      max_new_tokens: 512,
      temperature: null,
      eos_token_id: [2, 7],
    });
    expect(decodingDefaultsFromGenerationConfig(d)).toEqual({ genLength: 512, steps: 512 });
    expect(tokenIdsFromGenerationConfig(d).eos).toEqual([2, 7]);
  });
  it('gen_length wins over max_new_tokens; do_sample false means greedy; explicit steps and threshold', () => {
    const d = withConfig({
      gen_length: 64,
      max_new_tokens: 2048,
      steps: 64,
      block_length: 4,
      do_sample: false,
      temperature: 0.7,
      threshold: 0.9,
      remasking: 'random',
      shift: true,
    });
    expect(decodingDefaultsFromGenerationConfig(d)).toEqual({
      genLength: 64,
      steps: 64,
      blockLength: 4,
      temperature: 0,
      threshold: 0.9,
      remasking: 'random',
      shift: true,
    });
    expect(decodingDefaultsFromGenerationConfig(withConfig({ temperature: 0.5, do_sample: true }))).toEqual({
      temperature: 0.5,
    });
  });
  it('a known field with a wrong type or value names the file and the field', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ steps: '128' }, /^field steps: expected a positive integer, got "128"$/],
      [{ gen_length: 0 }, /^field gen_length: expected a positive integer, got 0$/],
      [{ block_length: 2.5 }, /^field block_length: expected a positive integer/],
      [{ temperature: -1 }, /^field temperature: expected a number >= 0, got -1$/],
      [{ remasking: 'entropy' }, /^field remasking: expected "low_confidence" or "random", got "entropy"$/],
      [{ threshold: 1.5 }, /^field threshold: expected a number in \(0, 1\] or null, got 1\.5$/],
      [{ shift: 'no' }, /^field shift: expected true or false/],
      [{ do_sample: 1 }, /^field do_sample: expected true or false/],
      [{ eos_token_id: [2, -1] }, /^field eos_token_id\[1\]: expected a token id/],
      [{ mask_token_id: '5' }, /^field mask_token_id: expected a token id/],
    ];
    for (const [json, problem] of cases) {
      const d = withConfig(json);
      const e = folderError(() => (decodingDefaultsFromGenerationConfig(d), tokenIdsFromGenerationConfig(d)));
      expect(e.file).toBe('generation_config.json');
      expect(e.problem).toMatch(problem);
    }
  });
  it('settings that cannot run together are refused at conversion, not at the first run', () => {
    const e = folderError(() =>
      decodingDefaultsFromGenerationConfig(withConfig({ gen_length: 100, steps: 7, block_length: 4 })),
    );
    expect(e.problem).toBe(
      'decoding settings do not fit together: steps (7) must be a multiple of gen_length / block_length (25) (set by the file: genLength, steps, blockLength; the rest are defaults)',
    );
    expect(folderError(() => decodingDefaultsFromGenerationConfig(withConfig({ block_length: 3 }))).problem).toMatch(
      /gen_length \(256\) must be a multiple of block_length \(3\)/,
    );
  });
  it('a file that is not a JSON object', () => {
    expect(folderError(() => decodingDefaultsFromGenerationConfig(withConfig('[1]'))).problem).toBe(
      'not a JSON object',
    );
    expect(folderError(() => decodingDefaultsFromGenerationConfig(withConfig('{"steps": '))).problem).toMatch(
      /unparsable JSON/,
    );
  });
});

describe('free disk space', () => {
  it('reads the free space of a folder that does not exist yet from its nearest existing ancestor', () => {
    const base = tmp('disk-');
    const free = freeDiskBytes(base);
    expect(free).toBeGreaterThan(0);
    const deep = join(base, 'not', 'yet', 'model');
    // Other processes write meanwhile: same file system, so the same figure within a few hundred MB.
    expect(Math.abs(freeDiskBytes(deep) - free)).toBeLessThan(5e8);
    mkdirSync(join(base, 'file-parent'));
    writeFileSync(join(base, 'file-parent', 'f'), 'x');
    expect(freeDiskBytes(join(base, 'file-parent', 'f', 'below-a-file'))).toBeGreaterThan(0);
    checkFreeDisk(deep, 1);
    rmSync(base, { recursive: true });
  });
  it('refuses with both sizes, naming the folder', () => {
    const dir = join(tmpdir(), 'diffcoder-disk-check', 'model');
    const e = folderError(() => checkFreeDisk(dir, 4e18));
    expect(e.file).toBe(dir);
    expect(e.problem).toMatch(/^not enough disk space: needs 4\.0 EB, \d+\.\d (MB|GB|TB) free$/);
  });
  it('formats sizes readably', () => {
    expect([
      formatBytes(0),
      formatBytes(999),
      formatBytes(1000),
      formatBytes(16.4e9),
      formatBytes(3.1e9),
      formatBytes(999.96e6),
      formatBytes(2.5e12),
    ]).toEqual(['0 bytes', '999 bytes', '1.0 KB', '16.4 GB', '3.1 GB', '1.0 GB', '2.5 TB']);
  });
});
