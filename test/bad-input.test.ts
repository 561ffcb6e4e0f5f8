import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../main/engine/engine.js';
import { ContextLengthError, DecodeParamError, planDecode, type DecodeParams } from '../main/engine/params.js';
import { convertCheckpoint } from '../main/model/convert.js';
import { ModelFolderError } from '../main/model/errors.js';
import { openModelFolder } from '../main/model/model-folder.js';
import { writeTinyCheckpoint } from './helpers/tiny-checkpoint.js';
import { buildTinyModel } from './helpers/tiny-model.js';

const good: DecodeParams = {
  steps: 16,
  genLength: 16,
  blockLength: 4,
  temperature: 0,
  seed: 0,
  remasking: 'low_confidence',
  threshold: null,
  shift: false,
  eosId: 2,
  fusedCommit: true,
};
const model = { vocabSize: 263, maxPositions: 96 };

describe('decoding parameters', () => {
  const cases: [string, Partial<DecodeParams>, string, RegExp][] = [
    ['gen_length not a multiple of block_length', { genLength: 10 }, 'gen_length', /multiple of block_length/],
    ['steps not a multiple of the block count', { steps: 6 }, 'steps', /multiple of gen_length \/ block_length \(4\)/],
    ['zero steps', { steps: 0 }, 'steps', /positive integer/],
    ['fractional gen_length', { genLength: 7.5 }, 'gen_length', /positive integer/],
    ['zero block_length', { blockLength: 0 }, 'block_length', /positive integer/],
    ['negative temperature', { temperature: -1 }, 'temperature', />= 0/],
    ['threshold above 1', { threshold: 1.5 }, 'threshold', /\(0, 1\]/],
    [
      'threshold with too few steps per block',
      { threshold: 0.9, steps: 8 },
      'threshold',
      /steps per block \(2\) >= block_length \(4\)/,
    ],
    ['unknown remasking', { remasking: 'entropy' as never }, 'remasking', /low_confidence/],
    ['eos outside the vocabulary', { eosId: 999 }, 'eos_id', /below 263/],
    ['fractional seed', { seed: 0.5 }, 'seed', /integer/],
  ];
  it.each(cases)('%s', (_, patch, param, message) => {
    const run = () => planDecode({ ...good, ...patch }, [0, 1, 2], model);
    expect(run).toThrow(DecodeParamError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (e) {
      expect((e as DecodeParamError).param).toBe(param);
    }
  });
  it('empty prompt and out-of-vocabulary prompt ids', () => {
    expect(() => planDecode(good, [], model)).toThrow(/prompt is empty/);
    expect(() => planDecode(good, [0, 300], model)).toThrow(/prompt token 1 \(300\)/);
  });
  it('context beyond the model positions is refused before any work', () => {
    expect(() => planDecode({ ...good, genLength: 96, steps: 96 }, [0, 1], model)).toThrow(ContextLengthError);
    expect(() => planDecode({ ...good, genLength: 96, steps: 96 }, [0, 1], model)).toThrow(
      /2 tokens\) \+ gen_length \(96\) = 98 exceeds the model's 96 positions/,
    );
  });
});

describe('broken model folders', () => {
  let modelDir: string;
  beforeAll(() => {
    modelDir = buildTinyModel().model;
  });
  const broken = (edit: (dir: string) => void): string => {
    const dir = join(mkdtempSync(join(tmpdir(), 'broken-')), 'model');
    cpSync(modelDir, dir, { recursive: true });
    edit(dir);
    return dir;
  };
  const editJson = (dir: string, file: string, edit: (j: Record<string, unknown>) => void) => {
    const j = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    edit(j);
    writeFileSync(join(dir, file), JSON.stringify(j));
  };
  const expectError = async (dir: string, file: string, problem: RegExp) => {
    const err = await Engine.load(dir, { provider: 'cpu' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelFolderError);
    expect((err as ModelFolderError).file).toBe(file);
    expect((err as ModelFolderError).problem).toMatch(problem);
  };

  it('a good folder loads', () => {
    expect(openModelFolder(modelDir).manifest.tokens.mask).toBe(5);
  });
  it('missing folder', () => expectError('/nonexistent/model', '/nonexistent/model', /not found/));
  it('missing manifest', () =>
    expectError(
      broken((d) => rmSync(join(d, 'diffcoder.json'))),
      'diffcoder.json',
      /missing/,
    ));
  it('unparsable config.json', () =>
    expectError(
      broken((d) => writeFileSync(join(d, 'config.json'), '{ "hidden_size": ')),
      'config.json',
      /unparsable JSON/,
    ));
  it('config field missing', () =>
    expectError(
      broken((d) => editJson(d, 'config.json', (j) => delete j.num_hidden_layers)),
      'config.json',
      /num_hidden_layers/,
    ));
  it('shape mismatch between config and graph', () =>
    expectError(
      broken((d) => editJson(d, 'config.json', (j) => (j.hidden_size = 64))),
      'config.json',
      /shape mismatch: hidden_size is 64/,
    ));
  it('unsupported architecture', () =>
    expectError(
      broken((d) => editJson(d, 'config.json', (j) => (j.model_type = 'mistral'))),
      'config.json',
      /unsupported architecture: model_type "mistral"/,
    ));
  it('mask token outside the vocabulary', () =>
    expectError(
      broken((d) => editJson(d, 'diffcoder.json', (j) => ((j.tokens as { mask: number }).mask = 9999))),
      'diffcoder.json',
      /no mask token/,
    ));
  it('missing tokenizer.json', () =>
    expectError(
      broken((d) => rmSync(join(d, 'tokenizer.json'))),
      'tokenizer.json',
      /missing/,
    ));
  it('tokenizer.json that is not a tokenizer', () =>
    expectError(
      broken((d) => writeFileSync(join(d, 'tokenizer.json'), '{"a":1}')),
      'tokenizer.json',
      /not a Hugging Face tokenizer/,
    ));
  it('missing graph', () =>
    expectError(
      broken((d) => rmSync(join(d, 'model.onnx'))),
      'model.onnx',
      /missing/,
    ));
  it('truncated weights', () =>
    expectError(
      broken((d) => truncateSync(join(d, 'model.onnx.data'), 1000)),
      'model.onnx.data',
      /is 1000 bytes but diffcoder.json says/,
    ));
  it('corrupt graph', () =>
    expectError(
      broken((d) => writeFileSync(join(d, 'model.onnx'), 'not a protobuf at all')),
      'model.onnx',
      /not an ONNX graph \(invalid wire type/,
    ));
  it('chat template that does not parse', () =>
    expectError(
      broken((d) => editJson(d, 'tokenizer_config.json', (j) => (j.chat_template = '{% for %}'))),
      'tokenizer_config.json',
      /chat_template does not parse/,
    ));
});

describe('broken checkpoints', () => {
  const convertError = (edit: (dir: string) => void): ModelFolderError => {
    const dir = writeTinyCheckpoint();
    edit(dir);
    try {
      convertCheckpoint(dir, join(mkdtempSync(join(tmpdir(), 'out-')), 'm'));
    } catch (e) {
      return e as ModelFolderError;
    }
    throw new Error('conversion succeeded');
  };
  const editConfig = (dir: string, edit: (j: Record<string, unknown>) => void) => {
    const j = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    edit(j);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(j));
  };
  it('no mask token anywhere', () => {
    const e = convertError((d) => {
      editConfig(d, (j) => delete j.mask_token_id);
      const tok = JSON.parse(readFileSync(join(d, 'tokenizer.json'), 'utf8'));
      tok.added_tokens = tok.added_tokens.filter((t: { content: string }) => t.content !== '<[MASK_TOKEN]>');
      writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(tok));
    });
    expect(e.message).toMatch(/no mask token/);
  });
  it('mask token found in tokenizer.json when config.json has none', () => {
    const dir = writeTinyCheckpoint();
    editConfig(dir, (j) => delete j.mask_token_id);
    const out = join(mkdtempSync(join(tmpdir(), 'out-')), 'm');
    expect(convertCheckpoint(dir, out).tokens.mask).toBe(5);
  });
  it('a weight with the wrong shape', () => {
    const e = convertError((d) => editConfig(d, (j) => (j.intermediate_size = 80)));
    expect(e.message).toMatch(/shape mismatch: model\.layers\.0\.mlp\.gate_proj\.weight is \[77,48\]/);
  });
  it('a truncated safetensors file', () => {
    const e = convertError((d) => truncateSync(join(d, 'model.safetensors'), 2000));
    expect(e.message).toMatch(/model\.safetensors: .*(does not match|does not fit)/);
  });
  it('no safetensors at all', () => {
    const e = convertError((d) => rmSync(join(d, 'model.safetensors')));
    expect(e.message).toMatch(/no \*\.safetensors/);
  });
  it('a failed conversion leaves no model folder behind', () => {
    const dir = writeTinyCheckpoint();
    editConfig(dir, (j) => (j.intermediate_size = 80));
    const parent = mkdtempSync(join(tmpdir(), 'out-'));
    expect(() => convertCheckpoint(dir, join(parent, 'm'))).toThrow();
    expect(() => readFileSync(join(parent, 'm', 'diffcoder.json'))).toThrow();
  });
});
