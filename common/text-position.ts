/**
 * Positions in a text as editors give them: 1-based lines and columns, columns in UTF-16 code
 * units (what Monaco and JavaScript strings count), a line break (LF or CRLF) belonging to no
 * column. Column 1 is before a line's first character; the last valid column is the line's length
 * + 1 (after its last character).
 */
export interface TextPosition {
  line: number;
  column: number;
}

export class PositionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PositionError';
  }
}

/** Start offsets of every line, and each line's length without its line break. */
function lineTable(text: string): { starts: number[]; lengths: number[] } {
  const starts = [0];
  const lengths: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      const end = i > starts[starts.length - 1] && text.charCodeAt(i - 1) === 13 ? i - 1 : i;
      lengths.push(end - starts[starts.length - 1]);
      starts.push(i + 1);
    }
  }
  lengths.push(text.length - starts[starts.length - 1]);
  return { starts, lengths };
}

/** The string offset of a position; a position outside the text is a PositionError that names it. */
export function offsetAt(text: string, pos: TextPosition, what = 'position'): number {
  const { starts, lengths } = lineTable(text);
  if (!Number.isInteger(pos.line) || !Number.isInteger(pos.column) || pos.line < 1 || pos.column < 1) {
    throw new PositionError(`${what} ${pos.line}:${pos.column}: lines and columns start at 1`);
  }
  if (pos.line > starts.length)
    throw new PositionError(`${what} ${pos.line}:${pos.column} is outside the file: it has ${starts.length} line(s)`);
  const len = lengths[pos.line - 1];
  if (pos.column > len + 1)
    throw new PositionError(
      `${what} ${pos.line}:${pos.column} is outside line ${pos.line}, which has ${len} column(s) (the last position is ${pos.line}:${len + 1})`,
    );
  return starts[pos.line - 1] + pos.column - 1;
}

/** The text before and after a range (start..end, end exclusive); a caret is a range with start = end. */
export function splitAround(
  text: string,
  start: TextPosition,
  end: TextPosition = start,
  names: [string, string] = ['start', 'end'],
): { prefix: string; suffix: string; selected: string } {
  const a = offsetAt(text, start, names[0]);
  const b = offsetAt(text, end, names[1]);
  if (b < a)
    throw new PositionError(
      `${names[1]} ${end.line}:${end.column} is before ${names[0]} ${start.line}:${start.column}`,
    );
  return { prefix: text.slice(0, a), suffix: text.slice(b), selected: text.slice(a, b) };
}
