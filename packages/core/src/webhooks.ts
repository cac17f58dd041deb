/**
 * Webhooks: a sender registers an https URL and a secret, and its events are POSTed there in
 * feed order, signed with an HMAC of the body. Delivery follows the feed with a cursor per
 * webhook, so the feed stays the source of truth: an event is retried with backoff for 24 hours
 * after it happened, then recorded as failed and skipped; the sender can still read it there.
 */
import type { SenderActor } from './actors.js';
import { AppError } from './errors.js';
import type { Deps, FeedEvent, Webhook } from './ports.js';

export const webhookPolicy = {
  maxPerSender: 10,
  /** An event that could not be delivered for this long is given up. */
  retryWindowMs: 24 * 3600_000,
  minBackoffMs: 10_000,
  maxBackoffMs: 3600_000,
  eventsPerPost: 100,
  leaseMs: 60_000,
} as const;

export type WebhookTransport = {
  post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number }>;
};

/** Renders a feed event as the sender sees it (with its signed receipt). */
export type EventPresenter = (event: FeedEvent) => Promise<Record<string, unknown>>;

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function checkWebhookUrl(raw: string, allowLocalHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('validation_failed', 'url is not a URL', {
      errors: [{ path: 'url', code: 'invalid_url', message: 'not an absolute URL' }],
    });
  }
  const localHttp = url.protocol === 'http:' && allowLocalHttp && LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !localHttp) {
    throw new AppError('validation_failed', 'Webhook URLs must use https', {
      errors: [
        {
          path: 'url',
          code: 'https_required',
          message: allowLocalHttp
            ? 'https, or http to localhost (private webhooks allowed on this server)'
            : 'https only',
        },
      ],
    });
  }
  if (url.username || url.password) {
    throw new AppError('validation_failed', 'Put no credentials in the webhook URL; the signature authenticates us', {
      errors: [{ path: 'url', code: 'credentials_in_url', message: 'no user or password in the URL' }],
    });
  }
  return url;
}

export async function createWebhook(
  deps: Deps,
  actor: SenderActor,
  input: { url: string; secret: string },
  options: { allowLocalHttp: boolean },
): Promise<Webhook> {
  const url = checkWebhookUrl(input.url, options.allowLocalHttp);
  const existing = await deps.store.read.webhooks.list(actor.sender.id);
  if (existing.length >= webhookPolicy.maxPerSender) {
    throw new AppError('invalid_operation', `At most ${webhookPolicy.maxPerSender} webhooks per sender`);
  }
  const id = deps.ids.uuid();
  const hook: Webhook = {
    id,
    senderId: actor.sender.id,
    url: url.toString(),
    sealedSecret: await deps.vault.sealSecret(`webhook:${id}`, Buffer.from(input.secret, 'utf8')),
    status: 'active',
    // A new webhook follows the feed from now on; earlier events are in the feed.
    cursor: await deps.store.read.events.latestCursor(actor.sender.id),
    nextAttemptAt: null,
    leaseUntil: null,
    failingSince: null,
    lastError: null,
    lastDeliveredAt: null,
    createdAt: deps.clock.now().toISOString(),
  };
  await deps.store.write((repos) => repos.webhooks.insert(hook));
  return hook;
}

export async function listWebhooks(deps: Deps, actor: SenderActor): Promise<Webhook[]> {
  return deps.store.read.webhooks.list(actor.sender.id);
}

export async function getWebhook(
  deps: Deps,
  actor: SenderActor,
  id: string,
): Promise<Webhook & { failures: Array<{ eventId: string; failedAt: string; error: string }> }> {
  const hook = await deps.store.read.webhooks.get(actor.sender.id, id);
  if (!hook) throw new AppError('not_found', 'No such webhook');
  return { ...hook, failures: await deps.store.read.webhooks.failures(hook.id) };
}

export async function deleteWebhook(deps: Deps, actor: SenderActor, id: string): Promise<void> {
  if (!(await deps.store.read.webhooks.get(actor.sender.id, id))) throw new AppError('not_found', 'No such webhook');
  await deps.store.write((repos) => repos.webhooks.delete(actor.sender.id, id));
}

/** The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function webhookSignature(deps: Pick<Deps, 'hasher'>, secret: Uint8Array, timestamp: number, body: string) {
  return `t=${timestamp},v1=${deps.hasher.hmacSha256Hex(secret, `${timestamp}.${body}`)}`;
}

function backoff(failingSince: string, now: Date): number {
  const elapsed = now.getTime() - Date.parse(failingSince);
  return Math.min(Math.max(webhookPolicy.minBackoffMs, elapsed), webhookPolicy.maxBackoffMs);
}

/** Delivers what is pending for one leased webhook; returns how many events it delivered. */
async function deliverOne(
  deps: Deps,
  hook: Webhook,
  transport: WebhookTransport,
  present: EventPresenter,
): Promise<number> {
  const secret = await deps.vault.openSecret(`webhook:${hook.id}`, hook.sealedSecret);
  let cursor = hook.cursor;
  let delivered = 0;
  let failingSince = hook.failingSince;
  // A lease is held for a while only: after half of it, the rest waits for the next round.
  const stopAt = performance.now() + webhookPolicy.leaseMs / 2;
  for (;;) {
    if (performance.now() > stopAt) break;
    const events = await deps.store.read.events.feed(hook.senderId, cursor, webhookPolicy.eventsPerPost);
    if (events.length === 0) break;
    const body = JSON.stringify({ webhookId: hook.id, events: await Promise.all(events.map(present)) });
    const now = deps.clock.now();
    let error: string | null = null;
    try {
      const answer = await transport.post(hook.url, body, {
        'content-type': 'application/json',
        'postkasse-signature': webhookSignature(deps, secret, Math.floor(now.getTime() / 1000), body),
        'postkasse-webhook-id': hook.id,
      });
      if (answer.status < 200 || answer.status > 299) error = `the receiver answered ${answer.status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (error === null) {
      cursor = events.at(-1)?.cursor ?? cursor;
      delivered += events.length;
      failingSince = null;
      await deps.store.write((repos) =>
        repos.webhooks.update(hook.id, {
          cursor,
          failingSince: null,
          lastError: null,
          nextAttemptAt: null,
          lastDeliveredAt: now.toISOString(),
          leaseUntil: new Date(now.getTime() + webhookPolicy.leaseMs).toISOString(),
        }),
      );
      continue;
    }
    // Events older than the retry window are given up, in order; the rest wait for the backoff.
    const expired = events.filter((e) => now.getTime() - Date.parse(e.at) >= webhookPolicy.retryWindowMs);
    const skipped = expired.length > 0 && expired[0] === events[0] ? events.slice(0, leadingRun(events, expired)) : [];
    failingSince ??= now.toISOString();
    const at = now.toISOString();
    const lastError = error;
    await deps.store.write(async (repos) => {
      for (const e of skipped) await repos.webhooks.recordFailure(hook.id, e.id, at, lastError);
      if (skipped.length > 0) cursor = skipped.at(-1)?.cursor ?? cursor;
      await repos.webhooks.update(hook.id, {
        cursor,
        failingSince,
        lastError,
        nextAttemptAt: new Date(now.getTime() + backoff(failingSince ?? at, now)).toISOString(),
      });
    });
    return delivered;
  }
  return delivered;
}

function leadingRun(events: FeedEvent[], expired: FeedEvent[]): number {
  const set = new Set(expired);
  let n = 0;
  while (n < events.length && set.has(events[n] as FeedEvent)) n += 1;
  return n;
}

/** One round of webhook delivery: every due webhook, each by one worker at a time. */
export async function deliverWebhooks(
  deps: Deps,
  transport: WebhookTransport,
  present: EventPresenter,
  options: { limit?: number; onError?: (hook: Webhook, error: unknown) => void } = {},
): Promise<number> {
  const now = deps.clock.now();
  if (!(await deps.store.read.webhooks.anyDue(now.toISOString()))) return 0;
  const hooks = await deps.store.write((repos) =>
    repos.webhooks.lease(
      now.toISOString(),
      new Date(now.getTime() + webhookPolicy.leaseMs).toISOString(),
      options.limit ?? 20,
    ),
  );
  let delivered = 0;
  for (const hook of hooks) {
    try {
      delivered += await deliverOne(deps, hook, transport, present);
    } catch (error) {
      options.onError?.(hook, error);
    } finally {
      await deps.store.write((repos) => repos.webhooks.update(hook.id, { leaseUntil: null }));
    }
  }
  return delivered;
}
