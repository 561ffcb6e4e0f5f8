import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DECODE_LIMITS,
  DECODE_PARAM_NAMES,
  DEFAULT_DECODE_SETTINGS,
  PRESETS,
  applyPreset,
  checkDecodeSettings,
  decodeSettingsProblems,
  decodeSettingsSchema,
  decodingDefaultsSchema,
  matchingPreset,
  type DecodeSettings,
  type DecodeSettingsField,
} from '../common/decoding-settings';
import { appSettingsSchema } from '../common/contract';
import { ContextLengthError, DecodeParamError, paramsFromDefaults, planDecode } from '../main/engine/params';
import { createDispatcher, decodeParams, type Services } from '../main/ipc/dispatcher';
import { ModelFolderError } from '../main/model/errors';
import { parseGenerationConfigDecoding } from '../main/model/generation-config';
import { DEFAULT_DECODING, manifestSchema } from '../main/model/manifest';
import { validateDecodeSettings } from '../renderer/src/lib/settings';

const base: DecodeSettings = { ...DEFAULT_DECODE_SETTINGS, steps: 16, genLength: 16 };
const with_ = (patch: Record<string, unknown>) => ({ ...base, ...patch }) as DecodeSettings;

describe('the schema', () => {
  it('accepts the defaults and every preset applied to them', () => {
    expect(decodeSettingsSchema.safeParse(DEFAULT_DECODE_SETTINGS).success).toBe(true);
    for (const name of Object.keys(PRESETS) as (keyof typeof PRESETS)[])
      expect(decodeSettingsSchema.safeParse(applyPreset(DEFAULT_DECODE_SETTINGS, name)).success).toBe(true);
  });

  it('holds each field to its bounds, with the message the dialog shows', () => {
    const issue = (patch: Record<string, unknown>) => {
      const r = decodeSettingsSchema.safeParse(with_(patch));
      return r.success ? null : `${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`;
    };
    expect(issue({ steps: 0 })).toBe('steps: steps must be between 1 and 8192');
    expect(issue({ steps: 1.5 })).toBe('steps: steps must be a whole number');
    expect(issue({ steps: Number.NaN })).toBe('steps: steps must be a whole number');
    expect(issue({ genLength: 8193 })).toBe('genLength: gen_length must be between 1 and 8192');
    expect(issue({ blockLength: 257 })).toBe('blockLength: block_length must be between 1 and 256');
    expect(issue({ temperature: 10.5 })).toBe('temperature: temperature must be a number between 0 and 10');
    expect(issue({ temperature: Number.POSITIVE_INFINITY })).toBe(
      'temperature: temperature must be a number between 0 and 10',
    );
    expect(issue({ seed: 2 ** 31 })).toBe('seed: seed must be between 0 and 2147483647');
    expect(issue({ remasking: 'entropy' })).toBe('remasking: remasking must be low_confidence or random');
    expect(issue({ threshold: 0 })).toBe('threshold: threshold must be in (0, 1], or off');
    expect(issue({ threshold: 'high' })).toBe('threshold: threshold must be in (0, 1], or off');
    expect(issue({ shift: 1 })).toBe('shift: shift must be on or off');
    expect(issue({ stopAtEos: null })).toBe('stopAtEos: stop at EOS must be on or off');
    expect(issue({ extra: 1 })).toMatch(/Unrecognized key/);
    for (const [field, { min, max }] of Object.entries(DECODE_LIMITS)) {
      expect(issue({ [field]: min }), field).toBeNull();
      expect(issue({ [field]: min - 1 }), field).not.toBeNull();
      expect(issue({ [field]: max + 1 }), field).not.toBeNull();
    }
  });

  it('is the schema settings.json and the contract use', () => {
    expect(
      appSettingsSchema.safeParse({ decoding: with_({ steps: 0 }), modelId: 'builtin', provider: 'cpu' }).success,
    ).toBe(false);
    expect(appSettingsSchema.safeParse({ decoding: base, modelId: 'builtin', provider: 'cpu' }).success).toBe(true);
  });

  it("a model folder's defaults are the same fields and bounds without the seed", () => {
    const { seed, ...rest } = DEFAULT_DECODE_SETTINGS;
    expect(seed).toBe(0);
    expect(DEFAULT_DECODING).toEqual(rest);
    expect(decodingDefaultsSchema.parse(rest)).toEqual(rest);
    // A seed in a manifest is dropped (a run's choice), like any unknown field.
    expect(decodingDefaultsSchema.parse({ ...rest, seed: 7 })).toEqual(rest);
    expect(decodingDefaultsSchema.safeParse({ ...rest, genLength: 9000 }).success).toBe(false);
    expect(decodingDefaultsSchema.safeParse({ ...rest, temperature: -1 }).success).toBe(false);
    const builtin = JSON.parse(
      readFileSync(join(__dirname, '..', 'resources', 'models', 'diffcoder-mini', 'diffcoder.json'), 'utf8'),
    );
    expect(manifestSchema.shape.decoding.safeParse(builtin.decoding).success).toBe(true);
  });
});

describe('presets', () => {
  it('reference: one token per step, no threshold; fast: threshold 0.9; both valid and recognised', () => {
    const odd = with_({ genLength: 250, blockLength: 5, steps: 50, threshold: 0.5, temperature: 0.7 });
    const ref = applyPreset(odd, 'reference');
    expect(ref).toMatchObject({ blockLength: 4, genLength: 252, steps: 252, threshold: null, temperature: 0 });
    expect(matchingPreset(ref)).toBe('reference');
    const fast = applyPreset(odd, 'fast');
    expect(fast).toMatchObject({ blockLength: 4, genLength: 252, steps: 252, threshold: 0.9 });
    expect(matchingPreset(fast)).toBe('fast');
    expect(decodeSettingsProblems(ref)).toEqual([]);
    expect(decodeSettingsProblems(fast)).toEqual([]);
    expect(matchingPreset({ ...fast, steps: 126 })).toBeNull();
    expect(applyPreset(with_({ genLength: 8192, steps: 8192 }), 'fast').genLength).toBe(8192);
  });
});

describe('checkDecodeSettings: the rules between fields', () => {
  const rules = (patch: Record<string, unknown>, model?: { maxPositions: number; promptLength?: number }) =>
    checkDecodeSettings(with_(patch), model).map((p) => `${p.field}/${p.rule}: ${p.message}`);

  it('gen_length in whole blocks, steps split evenly over the blocks', () => {
    expect(rules({})).toEqual([]);
    expect(rules({ genLength: 10 })).toEqual([
      'genLength/whole-blocks: gen_length (10) must be a multiple of block_length (4)',
    ]);
    expect(rules({ steps: 6 })).toEqual([
      'steps/steps-per-block: steps (6) must be a multiple of gen_length / block_length (4)',
    ]);
    expect(rules({ steps: 4 })).toEqual([]); // one step per block: 4 tokens per step
    expect(rules({ blockLength: 1, genLength: 5, steps: 10 })).toEqual([]);
  });

  it('a threshold needs at least block_length steps per block', () => {
    expect(rules({ threshold: 0.9, steps: 8 })).toEqual([
      'threshold/threshold-steps: threshold decoding needs steps per block (2) >= block_length (4), or a block can end unfinished; raise steps to 16',
    ]);
    expect(rules({ threshold: 0.9, steps: 16 })).toEqual([]);
    expect(rules({ threshold: 0.9, steps: 32 })).toEqual([]);
    expect(rules({ threshold: null, steps: 8 })).toEqual([]);
  });

  it("each field's own precondition, with the engine's messages; rules only on sound fields", () => {
    expect(rules({ genLength: 0, blockLength: 2.5, steps: -1 })).toEqual([
      'genLength/value: gen_length must be a positive integer (got 0)',
      'blockLength/value: block_length must be a positive integer (got 2.5)',
      'steps/value: steps must be a positive integer (got -1)',
    ]);
    expect(
      rules({ genLength: 10, steps: 7, threshold: 2, temperature: -1, seed: 0.5, remasking: 'entropy', shift: 'no' }),
    ).toEqual([
      'genLength/whole-blocks: gen_length (10) must be a multiple of block_length (4)',
      'temperature/value: temperature must be a finite number >= 0 (got -1)',
      'seed/value: seed must be an integer (got 0.5)',
      'remasking/value: remasking must be "low_confidence" or "random" (got entropy)',
      'threshold/value: threshold must be in (0, 1] or null (got 2)',
      'shift/value: shift must be true or false',
    ]);
    // Wider than the app's bounds: the CLI may run these.
    expect(rules({ genLength: 16384, steps: 16384, temperature: 50, seed: -3 })).toEqual([]);
  });

  it('context length, once the model (and the prompt) are known', () => {
    expect(rules({ genLength: 96, steps: 96 }, { maxPositions: 96, promptLength: 2 })).toEqual([
      "genLength/context: prompt (2 tokens) + gen_length (96) = 98 exceeds the model's 96 positions",
    ]);
    expect(rules({ genLength: 92, steps: 92 }, { maxPositions: 96, promptLength: 4 })).toEqual([]);
    expect(rules({ genLength: 96, steps: 96 }, { maxPositions: 96 })).toEqual([
      "genLength/context: gen_length (96) leaves no room for a prompt in the model's 96 positions",
    ]);
    expect(rules({ genLength: 92, steps: 92 }, { maxPositions: 96 })).toEqual([]);
  });

  it('decodeSettingsProblems: the bounds first, then only the rules whose fields are within bounds, one per field', () => {
    const problems = (patch: Record<string, unknown>) =>
      decodeSettingsProblems(with_(patch)).map((p) => `${p.field}: ${p.message}`);
    // 9000 is a whole number of blocks but out of bounds: no second complaint about steps.
    expect(problems({ genLength: 9000 })).toEqual(['genLength: gen_length must be between 1 and 8192']);
    expect(problems({ genLength: 10, temperature: 11 })).toEqual([
      'temperature: temperature must be a number between 0 and 10',
      'genLength: gen_length (10) must be a multiple of block_length (4)',
    ]);
    expect(problems({ threshold: 1.5, steps: 8 })).toEqual(['threshold: threshold must be in (0, 1], or off']);
  });
});

// --- The three places that check settings must agree -------------------------------------------------------------

const prompt = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'hi' }] };
const engineModel = { vocabSize: 263, maxPositions: 1 << 20 };
const fieldOfParam = Object.fromEntries(
  Object.entries(DECODE_PARAM_NAMES).map(([field, param]) => [param, field]),
) as Record<string, DecodeSettingsField>;

interface Verdict {
  field: DecodeSettingsField | null;
  message: string | null;
}

function renderer(s: DecodeSettings): Verdict {
  const errors = Object.entries(validateDecodeSettings(s));
  expect(errors.length, JSON.stringify(errors)).toBeLessThanOrEqual(1);
  return errors.length
    ? { field: errors[0][0] as DecodeSettingsField, message: errors[0][1]! }
    : { field: null, message: null };
}

async function dispatcher(s: DecodeSettings): Promise<Verdict> {
  const started: unknown[] = [];
  const host = {
    status: null,
    onStatus: () => () => {},
    generate: async (...args: unknown[]) => void started.push(args),
  };
  const dispatch = createDispatcher({ host } as unknown as Services, { broadcast: () => {} });
  const r = await dispatch('generate:start', { requestId: 'r1', prompt, settings: s });
  if (r.ok) {
    expect(started).toHaveLength(1);
    return { field: null, message: null };
  }
  expect(started).toHaveLength(0);
  const m = /^invalid request for generate:start: settings\.(\w+): (.*)$/.exec(r.error);
  expect(m, r.error).not.toBeNull();
  return { field: m![1] as DecodeSettingsField, message: m![2] };
}

/** What the engine does with what the dispatcher passes it (the model's defaults under the user's settings). */
function engine(s: DecodeSettings): Verdict {
  try {
    planDecode({ ...paramsFromDefaults(DEFAULT_DECODING, 2), ...decodeParams(s) }, [0, 1, 2], engineModel);
    return { field: null, message: null };
  } catch (e) {
    if (!(e instanceof DecodeParamError)) throw e;
    return { field: fieldOfParam[e.param], message: e.message };
  }
}

describe('renderer, dispatcher and engine agree', () => {
  // [what, patch over 16 tokens in 16 steps, blocks of 4; the field all three name, or null when all three accept]
  const table: [string, Record<string, unknown>, DecodeSettingsField | null][] = [
    ['model-card settings', {}, null],
    ['two tokens per step', { steps: 8 }, null],
    ['two steps per token', { steps: 32 }, null],
    ['one step per block', { steps: 4 }, null],
    ['threshold, one step per token', { threshold: 0.9 }, null],
    ['threshold 1', { threshold: 1 }, null],
    ['threshold with extra steps', { threshold: 0.5, steps: 64 }, null],
    ['block 8', { blockLength: 8 }, null],
    ['block 1, odd length', { blockLength: 1, genLength: 5, steps: 5 }, null],
    ['block 16 = gen_length', { blockLength: 16, steps: 1 }, null],
    ['sampling', { temperature: 0.7, seed: 3, remasking: 'random' }, null],
    ['shift, no EOS stop', { shift: true, stopAtEos: false }, null],
    ['largest settings', { steps: 8192, genLength: 8192, blockLength: 256, temperature: 10, seed: 2 ** 31 - 1 }, null],
    ['gen_length not in whole blocks', { genLength: 10 }, 'genLength'],
    ['block_length does not divide gen_length', { blockLength: 3 }, 'genLength'],
    ['steps not a multiple of the block count', { steps: 6 }, 'steps'],
    ['more blocks than steps', { steps: 2 }, 'steps'],
    ['threshold with too few steps per block', { threshold: 0.9, steps: 8 }, 'threshold'],
    ['threshold with one step per block', { threshold: 0.2, steps: 4, genLength: 16 }, 'threshold'],
    ['zero steps', { steps: 0 }, 'steps'],
    ['fractional steps', { steps: 1.5 }, 'steps'],
    ['NaN steps', { steps: Number.NaN }, 'steps'],
    ['fractional gen_length', { genLength: 7.5 }, 'genLength'],
    ['zero gen_length', { genLength: 0 }, 'genLength'],
    ['zero block_length', { blockLength: 0 }, 'blockLength'],
    ['negative temperature', { temperature: -1 }, 'temperature'],
    ['infinite temperature', { temperature: Number.POSITIVE_INFINITY }, 'temperature'],
    ['fractional seed', { seed: 0.5 }, 'seed'],
    ['unknown remasking', { remasking: 'entropy' }, 'remasking'],
    ['threshold 0', { threshold: 0 }, 'threshold'],
    ['threshold above 1', { threshold: 1.5 }, 'threshold'],
    ['NaN threshold', { threshold: Number.NaN }, 'threshold'],
    ['shift not a boolean', { shift: 'yes' }, 'shift'],
  ];

  it.each(table)('%s', async (_, patch, field) => {
    const s = with_(patch);
    const verdicts = { renderer: renderer(s), dispatcher: await dispatcher(s), engine: engine(s) };
    expect({
      renderer: verdicts.renderer.field,
      dispatcher: verdicts.dispatcher.field,
      engine: verdicts.engine.field,
    }).toEqual({
      renderer: field,
      dispatcher: field,
      engine: field,
    });
    // A rule between fields reads the same everywhere (one function wrote it).
    const cross = checkDecodeSettings(s).find((p) => p.rule !== 'value');
    if (cross) {
      expect(verdicts.renderer.message).toBe(cross.message);
      expect(verdicts.dispatcher.message).toBe(cross.message);
      expect(verdicts.engine.message).toBe(cross.message);
    }
  });

  // The app's bounds are tighter than what the decoding loop needs (the CLI may run longer generations, any seed):
  // the renderer and the dispatcher refuse these, naming the same field, and the engine would run them.
  const appOnly: [string, Record<string, unknown>, DecodeSettingsField][] = [
    ['steps above 8192', { steps: 8196 }, 'steps'],
    ['gen_length above 8192', { genLength: 8200, steps: 6150 }, 'genLength'], // 2050 blocks of 3 steps
    ['block_length above 256', { blockLength: 512, genLength: 1024, steps: 1024 }, 'blockLength'],
    ['temperature above 10', { temperature: 11 }, 'temperature'],
    ['negative seed', { seed: -1 }, 'seed'],
    ['seed above 2^31 - 1', { seed: 2 ** 31 }, 'seed'],
    ['stop at EOS not a boolean', { stopAtEos: 'yes' }, 'stopAtEos'],
  ];
  it.each(appOnly)('app bounds: %s', async (_, patch, field) => {
    const s = with_(patch);
    expect(renderer(s).field).toBe(field);
    expect((await dispatcher(s)).field).toBe(field);
    expect(engine(s).field).toBeNull();
  });

  it('the engine refuses a prompt that does not fit with the same numbers the rule gives', () => {
    const s = with_({ genLength: 96, steps: 96 });
    const [rule] = checkDecodeSettings(s, { maxPositions: 96, promptLength: 2 });
    expect(rule.rule).toBe('context');
    const run = () =>
      planDecode({ ...paramsFromDefaults(DEFAULT_DECODING, 2), ...decodeParams(s) }, [0, 1], {
        vocabSize: 263,
        maxPositions: 96,
      });
    expect(run).toThrow(ContextLengthError);
    expect(run).toThrow(rule.message);
  });
});

describe("a checkpoint's decoding defaults", () => {
  const folderProblem = (json: Record<string, unknown>) => {
    try {
      parseGenerationConfigDecoding(json as never);
      return null;
    } catch (e) {
      expect(e).toBeInstanceOf(ModelFolderError);
      return (e as ModelFolderError).problem;
    }
  };
  it('must be settings the app accepts, or conversion refuses them', () => {
    expect(folderProblem({ gen_length: 512, steps: 512 })).toBeNull();
    expect(folderProblem({ gen_length: 16384, steps: 4096 })).toBe(
      'a decoding setting is out of range: gen_length must be between 1 and 8192 (set by the file: genLength, steps; the rest are defaults)',
    );
    expect(folderProblem({ temperature: 20, do_sample: true })).toMatch(
      /^a decoding setting is out of range: temperature must be a number between 0 and 10/,
    );
    expect(folderProblem({ block_length: 3 })).toMatch(
      /^decoding settings do not fit together: gen_length \(256\) must be a multiple of block_length \(3\)/,
    );
  });
});
