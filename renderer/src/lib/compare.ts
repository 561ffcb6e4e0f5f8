/**
 * Side by side, pure: the second settings a user can compare an answer's decoding with, and the prompt that
 * reproduces the answer's run (the conversation's messages before it).
 */
import {
  applyPreset,
  decodeSettingsProblems,
  type DecodeSettings,
  type DecodeSettingsProblem,
} from '../../../common/decoding-settings';
import type { Message } from '../../../common/models';
import type { ChatPrompt } from '../../../common/prompt';
import type { Trace } from '../../../common/trace';
import { chatMessages } from './conversations';

export type CompareChoiceId = 'reference' | 'fast' | 'random' | 'current';

export interface CompareChoice {
  id: CompareChoiceId;
  label: string;
  description: string;
  settings: DecodeSettings;
  /** Why these settings cannot run (the first problem), or null. */
  problem: DecodeSettingsProblem | null;
}

/** The settings a trace was decoded with, as the user sets them. */
export function settingsOfTrace(t: Trace): DecodeSettings {
  const p = t.params;
  return {
    steps: p.steps,
    genLength: p.genLength,
    blockLength: p.blockLength,
    temperature: p.temperature,
    seed: p.seed,
    remasking: p.remasking,
    threshold: p.threshold,
    shift: p.shift,
    stopAtEos: p.eosId !== null,
  };
}

/**
 * The choices, each from the answer's own settings (same gen_length and seed, so the answers line up):
 * the Reference preset, Fast (threshold 0.9), random remasking, and the app's current settings.
 */
export function compareChoices(base: Trace, current: DecodeSettings | null): CompareChoice[] {
  const own = settingsOfTrace(base);
  const random: DecodeSettings = { ...own, remasking: 'random', temperature: own.temperature || 0.7 };
  const list: Omit<CompareChoice, 'problem'>[] = [
    {
      id: 'reference',
      label: 'Reference',
      description: 'one token per step, no threshold',
      settings: applyPreset(own, 'reference'),
    },
    {
      id: 'fast',
      label: 'Fast',
      description: 'threshold 0.9: several tokens per step',
      settings: applyPreset(own, 'fast'),
    },
    {
      id: 'random',
      label: 'Random remasking',
      description: `random remasking at temperature ${random.temperature}`,
      settings: random,
    },
  ];
  if (current)
    list.push({ id: 'current', label: 'Current settings', description: 'as in Settings', settings: current });
  return list.map((c) => ({ ...c, problem: decodeSettingsProblems(c.settings)[0] ?? null }));
}

/**
 * The chat prompt of an assistant answer: the conversation's messages before it, as the run store sends them.
 * Null when the message is not a chat answer (an infill has no chat prompt) or nothing precedes it.
 */
export function promptBefore(messages: readonly Message[], messageId: string): ChatPrompt | null {
  const i = messages.findIndex((m) => m.id === messageId);
  if (i <= 0 || messages[i].role !== 'assistant' || messages[i].infill) return null;
  const chat = chatMessages(messages.slice(0, i));
  return chat.length ? { kind: 'chat', messages: chat } : null;
}
