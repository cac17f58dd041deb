/**
 * Live updates for open mailbox views. One poller per process reads what changed from the
 * database (letters delivered, from the event log; what readers did, from the audit log), in
 * commit order, and tells the views of that mailbox. Reading the database, not process memory,
 * makes a change made through another process, another device or the API show everywhere.
 */
import type { Deps, FeedCursor } from '@postkasse/core';
import type { FastifyBaseLogger } from 'fastify';

export type MailboxChange = {
  /** letter.arrived, letter.changed (read, moved, trashed, restored, opened), folders.changed, access.changed */
  kind: 'letter.arrived' | 'letter.changed' | 'folders.changed' | 'access.changed';
  letterId: string | null;
};

type Listener = (change: MailboxChange) => void;

/** What an open view is told of an audit entry; nothing for someone looking at a letter, which changes nothing. */
function kindOf(action: string): MailboxChange['kind'] | null {
  if (action === 'letter.view') return null;
  if (action.startsWith('folder.')) return 'folders.changed';
  if (action.startsWith('grant.') || action.startsWith('member.')) return 'access.changed';
  return 'letter.changed';
}

export type LiveHub = {
  /** Where "now" is in the logs; a view subscribes after it, so nothing that follows is missed. */
  ready(): Promise<void>;
  subscribe(mailboxId: string, listener: Listener): () => void;
  /** One round of reading and telling (the timer calls it; tests may too). */
  poll(): Promise<void>;
  stop(): void;
};

export function createLiveHub(deps: Pick<Deps, 'store'>, pollMs: number, log?: FastifyBaseLogger): LiveHub {
  const listeners = new Map<string, Set<Listener>>();
  let events: FeedCursor | null | undefined;
  let audit: FeedCursor | null | undefined;
  let timer: NodeJS.Timeout | null = null;
  let running = false;

  const tell = (mailboxId: string | null, change: MailboxChange) => {
    if (!mailboxId) return;
    for (const l of listeners.get(mailboxId) ?? []) l(change);
  };

  // Start from now: a view loads the current state itself and wants what changes after.
  // While nobody watches, nothing is read; the first view to come starts again from now.
  let starting: Promise<void> | null = null;
  const ready = () => {
    if (listeners.size === 0) starting = null;
    starting ??= (async () => {
      events = await deps.store.read.events.latestGlobalCursor();
      audit = await deps.store.read.audit.latestCursor();
    })();
    return starting;
  };

  async function poll(): Promise<void> {
    if (running) return;
    running = true;
    try {
      await (starting ?? ready());
      for (;;) {
        const delivered = await deps.store.read.events.globalFeed(events ?? null, ['DELIVERED'], 500);
        for (const e of delivered) tell(e.mailboxId, { kind: 'letter.arrived', letterId: e.letterId });
        if (delivered.length > 0) events = delivered.at(-1)?.cursor ?? events;
        const changed = await deps.store.read.audit.changesAfter(audit ?? null, 500);
        for (const c of changed) {
          // A view that reloads on a change would otherwise tell itself again of its own looking.
          const kind = kindOf(c.action);
          if (kind) tell(c.mailboxId, { kind, letterId: c.letterId });
        }
        if (changed.length > 0) audit = changed.at(-1)?.cursor ?? audit;
        if (delivered.length < 500 && changed.length < 500) break;
      }
    } finally {
      running = false;
    }
  }

  const schedule = () => {
    if (timer || listeners.size === 0) return;
    timer = setTimeout(() => {
      timer = null;
      poll()
        .catch((error: unknown) => log?.warn({ err: error }, 'live updates: reading changes failed'))
        .finally(schedule);
    }, pollMs);
    timer.unref();
  };

  return {
    ready,
    subscribe(mailboxId, listener) {
      let set = listeners.get(mailboxId);
      if (!set) {
        set = new Set();
        listeners.set(mailboxId, set);
      }
      set.add(listener);
      schedule();
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(mailboxId);
      };
    },
    poll,
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      listeners.clear();
    },
  };
}
