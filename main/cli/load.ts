import { isProviderChoice, PROVIDERS, type ProviderChoice } from '../../common/providers.js';
import { Engine } from '../engine/engine.js';
import { preflightModel } from '../engine/memory-preflight.js';
import { builtinModelDir } from '../model/builtin.js';
import { UsageError } from './args.js';

/** Thrown when the memory preflight refuses: the message has the numbers and the dtype that would fit. */
export class PreflightRefusal extends Error {}

/** Preflight, then load; notes (warnings, provider fallbacks) go to stderr. */
export async function loadEngine(model: string | undefined, providerFlag: string | undefined): Promise<Engine> {
  const provider = providerFlag ?? 'auto';
  if (!isProviderChoice(provider)) throw new UsageError(`--provider: expected auto or one of ${PROVIDERS.join(', ')}`);
  const modelDir = model ?? builtinModelDir();
  // Refuse before loading what this machine cannot hold: an OOM kill tells the user nothing.
  const check = await preflightModel(modelDir, { provider: provider as ProviderChoice });
  if (check.severity === 'refuse') throw new PreflightRefusal(check.message);
  if (check.severity === 'warn') process.stderr.write(`note: ${check.message}\n`);
  const engine = await Engine.load(modelDir, { provider: provider as ProviderChoice });
  for (const f of engine.fallbacks)
    process.stderr.write(`note: ${f.provider} did not start (${f.error}); using ${engine.provider}\n`);
  return engine;
}

/** Ctrl+C stops the run before its next forward; a second one exits. */
export function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    ac.abort();
  });
  return ac.signal;
}
