/**
 * The decoding settings, declared once: the fields and their bounds (one zod schema), the defaults,
 * the presets, and the rules that tie fields together (one pure function). The renderer's settings
 * dialog and run store, main's dispatcher (generate:start), the model manifest's decoding defaults
 * and the engine's parameter check (main/engine/params.ts) all read this file, so they accept and
 * refuse the same settings and name the same field. The algorithm behind the rules: docs/decoding.md.
 *
 * Two layers:
 * - `decodeSettingsSchema`: each field on its own, with the app's bounds (what the settings dialog,
 *   settings.json, the IPC contract and a model folder's defaults accept).
 * - `checkDecodeSettings`: what the decoding loop itself requires, with messages that name the
 *   parameter as the CLI does (gen_length, block_length): each field's own precondition (looser than
 *   the app's bounds: the CLI may run longer generations) and the cross-field rules (whole blocks,
 *   steps per block, threshold, context length when the model is known).
 */
import { z } from 'zod';

/** The app's bounds, inclusive. The engine itself only needs the preconditions in `checkDecodeSettings`. */
export const DECODE_LIMITS = {
  steps: { min: 1, max: 8192 },
  genLength: { min: 1, max: 8192 },
  blockLength: { min: 1, max: 256 },
  temperature: { min: 0, max: 10 },
  seed: { min: 0, max: 2 ** 31 - 1 },
} as const;

const int = (label: string, { min, max }: { min: number; max: number }) => {
  const whole = `${label} must be a whole number`;
  const range = `${label} must be between ${min} and ${max}`;
  return z.number({ error: whole }).int(whole).min(min, range).max(max, range);
};
const temperatureMessage = `temperature must be a number between ${DECODE_LIMITS.temperature.min} and ${DECODE_LIMITS.temperature.max}`;
const thresholdMessage = 'threshold must be in (0, 1], or off';

/** Each field with its bounds; the messages are the ones the settings dialog shows beside the field. */
const shape = {
  steps: int('steps', DECODE_LIMITS.steps),
  genLength: int('gen_length', DECODE_LIMITS.genLength),
  blockLength: int('block_length', DECODE_LIMITS.blockLength),
  temperature: z
    .number({ error: temperatureMessage })
    .min(DECODE_LIMITS.temperature.min, temperatureMessage)
    .max(DECODE_LIMITS.temperature.max, temperatureMessage),
  seed: int('seed', DECODE_LIMITS.seed),
  remasking: z.enum(['low_confidence', 'random'], { error: 'remasking must be low_confidence or random' }),
  threshold: z.number({ error: thresholdMessage }).gt(0, thresholdMessage).lte(1, thresholdMessage).nullable(),
  shift: z.boolean({ error: 'shift must be on or off' }),
  stopAtEos: z.boolean({ error: 'stop at EOS must be on or off' }),
};

/** The user-facing decoding settings (settings.json, settings:set, generate:start). */
export const decodeSettingsSchema = z.strictObject(shape);
export type DecodeSettings = z.infer<typeof decodeSettingsSchema>;
export type DecodeSettingsField = keyof DecodeSettings;
export type Remasking = DecodeSettings['remasking'];

/** A model folder's decoding defaults (diffcoder.json `decoding`): the same fields and bounds, without the seed (a run's choice). */
const { seed: _seed, ...defaultsShape } = shape;
export const decodingDefaultsSchema = z.object(defaultsShape);
export type DecodingDefaults = z.infer<typeof decodingDefaultsSchema>;

/** The fields in the order they are checked and shown. */
export const DECODE_SETTINGS_FIELDS = Object.keys(shape) as DecodeSettingsField[];

/** How the engine, the CLI and the messages name each field (the reference `generate()` arguments). */
export const DECODE_PARAM_NAMES: Record<DecodeSettingsField, string> = {
  steps: 'steps',
  genLength: 'gen_length',
  blockLength: 'block_length',
  temperature: 'temperature',
  seed: 'seed',
  remasking: 'remasking',
  threshold: 'threshold',
  shift: 'shift',
  stopAtEos: 'stop_at_eos',
};

/** The model card's settings (one token per step, greedy), used until a model folder says otherwise. */
export const DEFAULT_DECODE_SETTINGS: DecodeSettings = {
  steps: 256,
  genLength: 256,
  blockLength: 4,
  temperature: 0,
  seed: 0,
  remasking: 'low_confidence',
  threshold: null,
  shift: false,
  stopAtEos: true,
};

export type PresetName = 'reference' | 'fast';

/** The fields a preset sets; applyPreset also sets steps = gen_length (one step per token) in whole blocks. */
export const PRESETS: Record<PresetName, Partial<DecodeSettings>> = {
  /** The model card's settings: one token per step, no threshold. */
  reference: { blockLength: 4, threshold: null, temperature: 0, remasking: 'low_confidence', shift: false },
  /** Threshold decoding: several confident tokens per step. */
  fast: { blockLength: 4, threshold: 0.9, temperature: 0, remasking: 'low_confidence', shift: false },
};

/** Applies a preset; both presets use one step per token (steps = gen_length, rounded to whole blocks). */
export function applyPreset(s: DecodeSettings, preset: PresetName): DecodeSettings {
  const next: DecodeSettings = { ...s, ...PRESETS[preset] };
  // Keep gen_length but make it a whole number of blocks.
  const blocks = Math.max(1, Math.round(next.genLength / next.blockLength));
  next.genLength = Math.min(DECODE_LIMITS.genLength.max, blocks * next.blockLength);
  next.steps = next.genLength;
  return next;
}

/** Which preset the settings match, if any. */
export function matchingPreset(s: DecodeSettings): PresetName | null {
  for (const name of Object.keys(PRESETS) as PresetName[]) {
    const p = PRESETS[name];
    const fieldsMatch = (Object.keys(p) as DecodeSettingsField[]).every((k) => s[k] === p[k]);
    if (fieldsMatch && s.steps === s.genLength) return name;
  }
  return null;
}

/**
 * Which rule a problem breaks: `value` is one field's own precondition; the others tie fields together
 * (`whole-blocks`: gen_length in whole blocks; `steps-per-block`: steps split evenly over the blocks;
 * `threshold-steps`: with a threshold, at least one step per position of a block; `context`: prompt plus
 * gen_length within the model's positions; `steps-positions`: no more steps than the model has positions, as
 * a run never has more tokens than that to commit and each step's bookkeeping costs memory).
 */
export type DecodeRule =
  'value' | 'whole-blocks' | 'steps-per-block' | 'threshold-steps' | 'context' | 'steps-positions';

export interface DecodeSettingsProblem {
  /** The field to fix (the one a dialog marks); DECODE_PARAM_NAMES gives the engine's name for it. */
  field: DecodeSettingsField;
  rule: DecodeRule;
  message: string;
}

/** The fields each cross-field rule reads (besides the one it names). */
export const RULE_FIELDS: Record<Exclude<DecodeRule, 'value'>, DecodeSettingsField[]> = {
  'whole-blocks': ['genLength', 'blockLength'],
  'steps-per-block': ['steps', 'genLength', 'blockLength'],
  'threshold-steps': ['threshold', 'steps', 'genLength', 'blockLength'],
  context: ['genLength'],
  'steps-positions': [],
};

/** What is known about the model: its positions and, once the prompt is tokenized, the prompt's length. */
export interface DecodeModelLimits {
  maxPositions: number;
  promptLength?: number;
}

/** The settings the decoding loop reads (the engine's DecodeParams has these and its own switches). */
export type DecodeRuleInput = Pick<
  DecodeSettings,
  'steps' | 'genLength' | 'blockLength' | 'temperature' | 'seed' | 'remasking' | 'threshold' | 'shift'
>;

export const contextLengthMessage = (promptLength: number, genLength: number, maxPositions: number): string =>
  `prompt (${promptLength} tokens) + gen_length (${genLength}) = ${promptLength + genLength} exceeds the model's ${maxPositions} positions`;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Everything the decoding loop requires of the settings, in the order the engine checks them: each field's
 * own precondition, then the rules between fields, each only once the fields it reads are sound. Pure; an
 * empty list means the loop can run them (the app's tighter bounds are `decodeSettingsSchema`'s).
 */
export function checkDecodeSettings(s: DecodeRuleInput, model?: DecodeModelLimits): DecodeSettingsProblem[] {
  const problems: DecodeSettingsProblem[] = [];
  const add = (field: DecodeSettingsField, rule: DecodeRule, message: string) =>
    problems.push({ field, rule, message });
  const positive = (field: 'genLength' | 'blockLength' | 'steps') => {
    const ok = isInt(s[field]) && s[field] >= 1;
    if (!ok) add(field, 'value', `${DECODE_PARAM_NAMES[field]} must be a positive integer (got ${s[field]})`);
    return ok;
  };
  const genOk = positive('genLength');
  const blockOk = positive('blockLength');
  const stepsOk = positive('steps');
  const lengthsOk = genOk && blockOk;
  let stepsPerBlock: number | null = null;
  let numBlocks = 0;
  if (lengthsOk) {
    if (s.genLength % s.blockLength !== 0)
      add(
        'genLength',
        'whole-blocks',
        `gen_length (${s.genLength}) must be a multiple of block_length (${s.blockLength})`,
      );
    else if (stepsOk) {
      numBlocks = s.genLength / s.blockLength;
      if (s.steps % numBlocks !== 0)
        add(
          'steps',
          'steps-per-block',
          `steps (${s.steps}) must be a multiple of gen_length / block_length (${numBlocks})`,
        );
      else stepsPerBlock = s.steps / numBlocks;
    }
  }
  if (typeof s.temperature !== 'number' || !Number.isFinite(s.temperature) || s.temperature < 0)
    add('temperature', 'value', `temperature must be a finite number >= 0 (got ${s.temperature})`);
  if (!isInt(s.seed)) add('seed', 'value', `seed must be an integer (got ${s.seed})`);
  if (s.remasking !== 'low_confidence' && s.remasking !== 'random')
    add('remasking', 'value', `remasking must be "low_confidence" or "random" (got ${String(s.remasking)})`);
  if (s.threshold !== null) {
    if (typeof s.threshold !== 'number' || !(s.threshold > 0 && s.threshold <= 1))
      add('threshold', 'value', `threshold must be in (0, 1] or null (got ${s.threshold})`);
    else if (stepsPerBlock !== null && stepsPerBlock < s.blockLength) {
      add(
        'threshold',
        'threshold-steps',
        `threshold decoding needs steps per block (${stepsPerBlock}) >= block_length (${s.blockLength}), or a block can end unfinished; raise steps to ${numBlocks * s.blockLength}`,
      );
    }
  }
  if (typeof s.shift !== 'boolean') add('shift', 'value', 'shift must be true or false');
  if (model && lengthsOk) {
    if (model.promptLength !== undefined) {
      if (model.promptLength + s.genLength > model.maxPositions)
        add('genLength', 'context', contextLengthMessage(model.promptLength, s.genLength, model.maxPositions));
    } else if (s.genLength >= model.maxPositions) {
      add(
        'genLength',
        'context',
        `gen_length (${s.genLength}) leaves no room for a prompt in the model's ${model.maxPositions} positions`,
      );
    }
  }
  if (model && stepsOk && s.steps > model.maxPositions) {
    add(
      'steps',
      'steps-positions',
      `steps (${s.steps}) exceeds the model's ${model.maxPositions} positions: a run never has more tokens than that to commit (at most gen_length steps are useful)`,
    );
  }
  return problems;
}

/**
 * The user-facing check: the app's bounds (the schema's messages), then the rules of `checkDecodeSettings`
 * on fields that are within bounds. At most one problem per field, in field order then rule order; empty when
 * the settings can run. The settings dialog shows these beside the fields; the run store refuses to start on
 * the first.
 */
export function decodeSettingsProblems(s: DecodeSettings, model?: DecodeModelLimits): DecodeSettingsProblem[] {
  const problems: DecodeSettingsProblem[] = [];
  const flagged = new Set<DecodeSettingsField>();
  const parsed = decodeSettingsSchema.safeParse(s);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as DecodeSettingsField;
      if (!DECODE_SETTINGS_FIELDS.includes(field) || flagged.has(field)) continue;
      flagged.add(field);
      problems.push({ field, rule: 'value', message: issue.message });
    }
  }
  for (const p of checkDecodeSettings(s, model)) {
    const reads = p.rule === 'value' ? [p.field] : RULE_FIELDS[p.rule];
    if (flagged.has(p.field) || reads.some((f) => flagged.has(f))) continue;
    flagged.add(p.field);
    problems.push(p);
  }
  return problems;
}
