/**
 * Bytes <-> editor text. Only UTF-8 is opened (with or without a BOM); anything with a NUL byte
 * or invalid UTF-8 is treated as binary and refused.
 *
 * Line endings: reading keeps the text exactly as on disk (no conversion) and reports the
 * majority line break ('crlf' when CRLF outnumbers lone LF, else 'lf') and whether both occur.
 * Saving writes every line break in the text ('\r\n' or '\n') as the requested EOL and adds the
 * BOM back for 'utf8-bom'. So the renderer may send '\n' text or the text as read: an unchanged
 * file with one kind of line break (CRLF + BOM included) saves byte-identical; a file with
 * mixed line breaks comes out with the majority one. Lone '\r' is left as is.
 */
import { createHash } from 'node:crypto';
import type { Eol, TextEncoding } from '../../common/workspace.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export type Decoded =
  | { binary: false; text: string; encoding: TextEncoding; eol: Eol; mixedEol: boolean }
  | { binary: true; reason: string };

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function decodeText(bytes: Buffer): Decoded {
  if (bytes.includes(0)) return { binary: true, reason: 'contains NUL bytes' };
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  let text: string;
  try {
    // ignoreBOM: the BOM is cut here by hand, so a second one stays in the text (byte-identical round trip).
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bom ? bytes.subarray(3) : bytes);
  } catch {
    return { binary: true, reason: 'not valid UTF-8' };
  }
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text.charCodeAt(i - 1) === 13) crlf += 1;
    else lf += 1;
  }
  return {
    binary: false,
    text,
    encoding: bom ? 'utf8-bom' : 'utf8',
    eol: crlf > lf ? 'crlf' : 'lf',
    mixedEol: crlf > 0 && lf > 0,
  };
}

export function encodeText(text: string, encoding: TextEncoding, eol: Eol): Buffer {
  const body = Buffer.from(text.replace(/\r?\n/g, eol === 'crlf' ? '\r\n' : '\n'), 'utf8');
  return encoding === 'utf8-bom' ? Buffer.concat([BOM, body]) : body;
}
