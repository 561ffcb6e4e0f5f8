/** Flag parsing shared by the CLI commands: errors name the flag. */
import type { DecodeParams } from '../engine/params.js';

export class UsageError extends Error {}

export function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name}: expected an integer, got "${v}"`);
  return Number(v);
}

export function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got "${v}"`);
  return n;
}

/** One of `allowed`, or a usage error naming the flag. */
export function choice<T extends string | number>(
  name: string,
  v: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (v === undefined) return undefined;
  const hit = allowed.find((a) => String(a) === v);
  if (hit === undefined) throw new UsageError(`--${name}: expected ${allowed.join(', ')}, got "${v}"`);
  return hit;
}

/** The decoding flags `generate` and `infill` share, for parseArgs. */
export const DECODE_FLAGS = {
  model: { type: 'string' },
  steps: { type: 'string' },
  'gen-length': { type: 'string' },
  'block-length': { type: 'string' },
  temperature: { type: 'string' },
  seed: { type: 'string' },
  remasking: { type: 'string' },
  threshold: { type: 'string' },
  shift: { type: 'boolean' },
  'no-eos': { type: 'boolean' },
  'no-fuse': { type: 'boolean' },
  provider: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type DecodeFlagValues = {
  [K in keyof typeof DECODE_FLAGS]?: (typeof DECODE_FLAGS)[K]['type'] extends 'boolean' ? boolean : string;
};

/** Decoding parameters from the flags given; unset flags are left to the model's defaults. */
export function decodeParamsFromFlags(values: DecodeFlagValues): Partial<DecodeParams> {
  const params: Partial<DecodeParams> = {
    steps: int('steps', values.steps),
    genLength: int('gen-length', values['gen-length']),
    blockLength: int('block-length', values['block-length']),
    temperature: num('temperature', values.temperature),
    seed: int('seed', values.seed),
    remasking: choice('remasking', values.remasking, ['low_confidence', 'random'] as const),
    threshold: num('threshold', values.threshold),
    shift: values.shift,
    eosId: values['no-eos'] ? null : undefined,
    fusedCommit: values['no-fuse'] ? false : undefined,
  };
  for (const k of Object.keys(params) as (keyof DecodeParams)[]) if (params[k] === undefined) delete params[k];
  return params;
}
