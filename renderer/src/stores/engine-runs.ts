/**
 * The engine runs one generation at a time. The chat, the infill and the settings comparison each register here how
 * to tell whether theirs is running, so each can refuse to start while another runs without importing the others'
 * stores (which would tie the three stores in a loop).
 */
export type RunKind = 'chat' | 'infill' | 'compare';

const probes = new Map<RunKind, () => boolean>();

/** Called once by the store that owns runs of this kind. */
export function registerRunProbe(kind: RunKind, running: () => boolean): void {
  probes.set(kind, running);
}

/** Whether a run of this kind is going; false when its store is not loaded (then nothing of it can run). */
export function isRunning(kind: RunKind): boolean {
  return probes.get(kind)?.() ?? false;
}
