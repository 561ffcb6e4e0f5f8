import type { CommittedToken, StartEvent, StepEvent } from '../../common/decode-events.js';

const ESC = '\x1b[';
const dim = (s: string) => `${ESC}2m${s}${ESC}22m`;
const fresh = (s: string, confidence: number) =>
  `${ESC}1;${confidence < 0.3 ? 31 : confidence < 0.7 ? 33 : 32}m${s}${ESC}0m`;
const activeBlock = (s: string) => `${ESC}4m${s}${ESC}24m`;

/** Control characters other than newline become visible so a token never moves the cursor. */
const printable = (s: string) =>
  s.replace(/[\x00-\x09\x0b-\x1f\x7f]/g, (c) =>
    c === '\t' ? '    ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );

/**
 * Draws the generation canvas in a terminal, redrawn in place after every step: masked
 * positions as dim placeholders, this step's tokens coloured by confidence (red < 0.3,
 * yellow < 0.7, green), the active block underlined.
 */
export class TerminalCanvas {
  private tokens: (number | null)[] = [];
  private promptLength = 0;
  private linesDrawn = 0;

  constructor(
    private out: NodeJS.WriteStream,
    private label: (id: number) => string,
  ) {}

  start(ev: StartEvent, promptIds: number[]): void {
    this.promptLength = ev.promptLength;
    this.tokens = Array.from({ length: ev.canvasLength }, (_, i) => (i < ev.promptLength ? promptIds[i] : null));
  }

  step(ev: StepEvent): void {
    for (const c of ev.committed) this.tokens[c.position] = c.tokenId;
    this.draw(
      ev.committed,
      ev.blockStart,
      ev.blockEnd,
      `block ${ev.blockIndex} step ${ev.step} · forwards ${ev.forwards} · ${(ev.elapsedMs / 1000).toFixed(2)} s`,
    );
  }

  /** Final frame: the canvas cut where decoding ended. */
  finish(tokenIds: number[], status: string): void {
    this.tokens = [...this.tokens.slice(0, this.promptLength), ...tokenIds];
    this.draw([], -1, -1, status);
  }

  private draw(committed: CommittedToken[], blockStart: number, blockEnd: number, status: string): void {
    const fresh_ = new Map(committed.map((c) => [c.position, c.confidence]));
    let text = '';
    for (let i = this.promptLength; i < this.tokens.length; i++) {
      const id = this.tokens[i];
      let cell = id === null ? dim('░') : printable(this.label(id));
      if (id !== null && fresh_.has(i)) cell = fresh(cell, fresh_.get(i)!);
      if (i >= blockStart && i < blockEnd) cell = activeBlock(cell);
      text += cell;
    }
    const frame = `${text}\n${dim(status)}\n`;
    if (this.linesDrawn > 0) this.out.write(`${ESC}${this.linesDrawn}F${ESC}0J`);
    this.out.write(frame);
    this.linesDrawn = countLines(frame, this.out.columns || 80);
  }
}

/** Rows a frame occupies once the terminal wraps it (escape sequences take no room). */
function countLines(frame: string, columns: number): number {
  const plain = frame.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  return plain
    .split('\n')
    .slice(0, -1)
    .reduce((n, line) => n + Math.max(1, Math.ceil([...line].length / columns)), 0);
}
