/**
 * Infill decisions as pure functions: what is sent (prefix/suffix capped around the cursor, the
 * decoding settings for a middle length), which edits conflict with a run, what a key does, the
 * one edit that accepts a suggestion and its exact inverse, and how a run is recorded in the
 * conversation. The store (stores/infill.ts) and the Monaco glue (editor/infill-view.ts) call these.
 */
import { DECODE_LIMITS, decodeSettingsProblems } from '../../../common/decoding-settings';
import type { DecodeSettings, InfillOutcome, InfillRecord, Message } from '../../../common/models';
import type { CanvasState } from './canvas';
import { fence } from './conversations';
import { randomId } from './ids';

/** Characters of context sent on each side of the cursor (the engine trims further, in tokens, to fit the context). */
export const SIDE_CAP = 200_000;
/** The contract's gen_length bounds. */
export const MIDDLE_MAX = DECODE_LIMITS.genLength.max;

export interface TextPos {
  line: number;
  column: number;
}
export interface TextRange {
  start: TextPos;
  end: TextPos;
}
/** Offsets into the document, end exclusive. */
export interface OffsetRange {
  start: number;
  end: number;
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

/** The last `cap` characters of the text before the cursor, never starting inside a surrogate pair. */
export function capPrefix(prefix: string, cap = SIDE_CAP): string {
  if (prefix.length <= cap) return prefix;
  let from = prefix.length - cap;
  if (isLowSurrogate(prefix.charCodeAt(from))) from += 1;
  return prefix.slice(from);
}

/** The first `cap` characters of the text after the cursor, never ending inside a surrogate pair. */
export function capSuffix(suffix: string, cap = SIDE_CAP): string {
  if (suffix.length <= cap) return suffix;
  let to = cap;
  if (isHighSurrogate(suffix.charCodeAt(to - 1))) to -= 1;
  return suffix.slice(0, to);
}

/** A middle length the engine accepts: a whole number of blocks (rounded up), between one block and 8192. */
export function normalizeMiddleLength(n: number, blockLength: number): number {
  const b = Math.max(1, Math.floor(blockLength));
  const max = Math.floor(MIDDLE_MAX / b) * b;
  if (!Number.isFinite(n) || n <= 0) return b;
  return Math.min(max, Math.max(b, Math.ceil(n / b) * b));
}

/**
 * The user's decoding settings with gen_length = the middle length (whole blocks) and steps scaled
 * so the steps per block stay what the settings say (the reference schedule: steps = gen_length).
 * Throws with the reason when the result does not validate.
 */
export function infillDecoding(base: DecodeSettings, middleLength: number): DecodeSettings {
  const genLength = normalizeMiddleLength(middleLength, base.blockLength);
  const baseBlocks = Math.max(1, Math.round(base.genLength / base.blockLength));
  const stepsPerBlock = Math.max(1, Math.round(base.steps / baseBlocks));
  const next: DecodeSettings = { ...base, genLength, steps: (genLength / base.blockLength) * stepsPerBlock };
  const problem = decodeSettingsProblems(next)[0];
  if (problem) throw new Error(`invalid infill settings: ${problem.message}`);
  return next;
}

/** Whether a range is collapsed (an insertion point rather than a selection). */
export const isCollapsed = (r: OffsetRange) => r.start === r.end;

export interface ChangeLike {
  /** Offset of the replaced range, in the document before the change. */
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

/**
 * Whether edits touch the place the middle goes (they are then a conflict: the run is cancelled,
 * a pending suggestion dropped; the user's edit stays). For an insertion point: anything inserted
 * at it, or a deletion across it. For a selection being replaced: any change overlapping its
 * inside; inserting right before or after it is fine. Offsets are those before the change.
 */
export function editConflicts(changes: readonly ChangeLike[], target: OffsetRange): boolean {
  return changes.some((c) => {
    const from = c.rangeOffset;
    const to = c.rangeOffset + c.rangeLength;
    if (isCollapsed(target)) {
      const p = target.start;
      return c.text.length > 0 ? from <= p && p <= to : from < p && p < to;
    }
    if (c.rangeLength === 0) return from > target.start && from < target.end;
    return from < target.end && to > target.start;
  });
}

export type InfillPhase = 'idle' | 'running' | 'pending';
export type KeyAction = 'accept' | 'reject' | 'stop' | null;

/**
 * What Tab, Enter and Escape do in the editor. Running: Escape stops. Pending: Escape rejects;
 * Tab/Enter accept only while the cursor is at the suggestion (elsewhere they type as usual).
 */
export function keyAction(phase: InfillPhase, key: string, cursorAtSuggestion: boolean): KeyAction {
  if (phase === 'running') return key === 'Escape' ? 'stop' : null;
  if (phase === 'pending') {
    if (key === 'Escape') return 'reject';
    if ((key === 'Tab' || key === 'Enter') && cursorAtSuggestion) return 'accept';
  }
  return null;
}

/** The cursor is "at the suggestion" when the selection lies within the target range (edges included). */
export function cursorAtSuggestion(selection: OffsetRange, target: OffsetRange): boolean {
  return selection.start >= target.start && selection.end <= target.end;
}

export interface TextEdit {
  /** Replaced offsets in the document the edit applies to. */
  range: OffsetRange;
  text: string;
}

/** Accepting is one edit: the target range (where the anchor is now) replaced by the middle. */
export function acceptEdit(target: OffsetRange, middle: string): TextEdit {
  return { range: { start: target.start, end: target.end }, text: middle };
}

/** The edit that undoes `edit` on `before` (the document it was applied to): exactly one, restoring it byte for byte. */
export function inverseEdit(before: string, edit: TextEdit): TextEdit {
  return {
    range: { start: edit.range.start, end: edit.range.start + edit.text.length },
    text: before.slice(edit.range.start, edit.range.end),
  };
}

export function applyEdit(doc: string, edit: TextEdit): string {
  return doc.slice(0, edit.range.start) + edit.text + doc.slice(edit.range.end);
}

/** What a finished run becomes: a suggestion to review, or a recorded outcome (nothing to review). */
export function runResult(canvas: Pick<CanvasState, 'phase' | 'stopReason'>): 'pending' | 'stopped' | 'error' {
  if (canvas.phase === 'error') return 'error';
  if (canvas.stopReason === 'cancelled') return 'stopped';
  return 'pending';
}

/** "Infill in a.py at 3:5", or "… replacing 3:5–4:1" for a selection. */
export function infillTitle(file: string, range: TextRange): string {
  const at = (p: TextPos) => `${p.line}:${p.column}`;
  const same = range.start.line === range.end.line && range.start.column === range.end.column;
  return same
    ? `Infill in ${file} at ${at(range.start)}`
    : `Infill in ${file} replacing ${at(range.start)}–${at(range.end)}`;
}

/** The two messages that record an infill run: the request and the (streaming) middle. */
export function infillMessages(
  file: string,
  range: TextRange,
  now = Date.now(),
): { user: Message; assistant: Message } {
  const infill: InfillRecord = { file, range, middle: '' };
  return {
    user: { id: randomId('m'), role: 'user', content: infillTitle(file, range), createdAt: now },
    assistant: { id: randomId('m'), role: 'assistant', content: '', createdAt: now, status: 'streaming', infill },
  };
}

/** The assistant message once the run ended: the middle as a code block, its status, and the outcome when already known. */
export function finishedInfillPatch(
  record: InfillRecord,
  canvas: CanvasState,
  middle: string,
  language: string,
): Partial<Message> {
  const result = runResult(canvas);
  const outcome: InfillOutcome | undefined = result === 'pending' ? undefined : result;
  const infill: InfillRecord = { ...record, middle, ...(outcome ? { outcome } : {}) };
  const content = middle ? fence(middle, language === 'plaintext' ? '' : language) : '';
  if (result === 'error') return { status: 'error', error: canvas.error ?? 'the run failed', content, infill };
  return {
    status: result === 'stopped' ? 'stopped' : 'done',
    content,
    infill,
    stopReason: canvas.stopReason ?? undefined,
    stats: canvas.stats ?? undefined,
  };
}

/** The outcome of a reviewed suggestion, recorded on the assistant message. */
export function outcomePatch(record: InfillRecord, outcome: InfillOutcome): Partial<Message> {
  return { infill: { ...record, outcome } };
}

/**
 * How a replay of `events` events is paced: events per frame so it lasts about `durationMs` (at least one per
 * frame), and the number of frames. With reduced motion it moves in `reducedFrames` jumps instead of an animation.
 */
export function replayPace(
  events: number,
  opts: { durationMs: number; frameMs: number; reducedMotion: boolean; reducedFrames?: number },
): { perFrame: number; frames: number } {
  const frames = opts.reducedMotion
    ? Math.min(events, opts.reducedFrames ?? 6)
    : Math.max(1, Math.min(events, Math.round(opts.durationMs / opts.frameMs)));
  const perFrame = Math.max(1, Math.ceil(events / Math.max(1, frames)));
  return { perFrame, frames: Math.ceil(events / perFrame) };
}
