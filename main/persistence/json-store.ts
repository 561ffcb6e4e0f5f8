import { existsSync, readFileSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import type { z } from 'zod';
import type { LoadNotice } from '../../common/models.js';

/**
 * Reads a JSON file that must match `schema`. A damaged file (unparsable or invalid) is renamed
 * aside with a timestamp, never deleted, and reported as a notice; the caller gets null.
 */
export function readValidated<T>(path: string, schema: z.ZodType<T>, notices: LoadNotice[]): T | null {
  if (!existsSync(path)) return null;
  let problem: string;
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    problem = `${issue.path.join('.') || '(root)'}: ${issue.message}`;
  } catch (e) {
    problem = (e as Error).message;
  }
  const aside = `${path}.damaged-${Date.now()}`;
  renameSync(path, aside);
  notices.push({ file: basename(path), message: `could not be read (${problem}); kept as ${basename(aside)}` });
  return null;
}
