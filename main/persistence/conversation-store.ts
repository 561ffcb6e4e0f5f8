import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { conversationSchema } from '../../common/contract.js';
import type { Conversation, LoadNotice } from '../../common/models.js';
import { removeStaleTemps } from './atomic-file.js';
import { readValidated, saveJson } from './json-store.js';

/** What a conversation file is named after (the contract's id rule), so every listed id can be saved and deleted. */
const ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Conversations, one file each under <userData>/conversations/, so one damaged file costs one
 * conversation, not all of them. A file's name is its conversation's id.
 */
export class ConversationStore {
  private readonly dir: string;

  constructor(userData: string) {
    this.dir = join(userData, 'conversations');
    mkdirSync(this.dir, { recursive: true });
    removeStaleTemps(this.dir, (target) => target.endsWith('.json'));
  }

  private file(id: string): string {
    // ids are validated by the contract (letters, digits, - and _), so this stays in the folder.
    return join(this.dir, `${id}.json`);
  }

  /**
   * Every conversation file that reads; the rest are reported (set aside when they can be). The
   * id is the file's name: a file copied or renamed by hand (`b.json` holding id "a") is listed
   * once under its own name, and deleting that id deletes that file.
   */
  list(): { conversations: Conversation[]; notices: LoadNotice[] } {
    const notices: LoadNotice[] = [];
    const conversations: Conversation[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const id = f.slice(0, -'.json'.length);
      if (!ID.test(id)) {
        notices.push({
          file: f,
          message: 'is not named like a conversation (letters, digits, - and _, then .json); skipped',
        });
        continue;
      }
      const c = readValidated(join(this.dir, f), conversationSchema, notices) as Conversation | null;
      if (c) conversations.push(c.id === id ? c : { ...c, id });
    }
    conversations.sort((a, b) => b.updatedAt - a.updatedAt);
    return { conversations, notices };
  }

  /** One conversation by id (the file name wins, as in list()); null when it is missing or does not read. */
  get(id: string, notices: LoadNotice[] = []): Conversation | null {
    if (!ID.test(id)) return null;
    const c = readValidated(this.file(id), conversationSchema, notices) as Conversation | null;
    return c && (c.id === id ? c : { ...c, id });
  }

  /** Atomic; on failure (a full disk) the previous file is intact and the error says "disk full: conversation not saved". */
  save(c: Conversation): void {
    saveJson(this.file(c.id), JSON.stringify(c), 'conversation');
  }

  delete(id: string): void {
    rmSync(this.file(id), { force: true });
  }
}
