import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { conversationSchema } from '../../common/contract.js';
import type { Conversation, LoadNotice } from '../../common/models.js';
import { writeFileAtomic } from './atomic-file.js';
import { readValidated } from './json-store.js';

/**
 * Conversations, one file each under <userData>/conversations/, so one damaged file costs one
 * conversation, not all of them.
 */
export class ConversationStore {
  private readonly dir: string;

  constructor(userData: string) {
    this.dir = join(userData, 'conversations');
    mkdirSync(this.dir, { recursive: true });
  }

  private file(id: string): string {
    // ids are validated by the contract (letters, digits, - and _), so this stays in the folder.
    return join(this.dir, `${id}.json`);
  }

  list(): { conversations: Conversation[]; notices: LoadNotice[] } {
    const notices: LoadNotice[] = [];
    const conversations: Conversation[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const c = readValidated(join(this.dir, f), conversationSchema, notices) as Conversation | null;
      if (c) conversations.push(c);
    }
    conversations.sort((a, b) => b.updatedAt - a.updatedAt);
    return { conversations, notices };
  }

  save(c: Conversation): void {
    writeFileAtomic(this.file(c.id), JSON.stringify(c));
  }

  delete(id: string): void {
    rmSync(this.file(id), { force: true });
  }
}
