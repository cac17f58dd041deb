import { events, type FeedEvent, followEvents } from '@postkasse/sdk';
import type { Command } from 'commander';
import { apiClient, CliError, failWith } from '../sdk-client.js';

type TailOptions = { after?: string; follow?: boolean; limit?: string; pollMs: string; json?: boolean };

/** One line per event: JSON with --json (receipt and cursor included), else for people. */
function line(e: FeedEvent, json: boolean): string {
  if (json) return JSON.stringify(e);
  const reason = typeof e.data.reason === 'string' ? ` ${e.data.reason}` : '';
  return `${e.at}  ${e.type.padEnd(12)}  ${e.messageId}${reason}  cursor=${e.cursor}`;
}

export function eventsCommands(program: Command): void {
  const group = program.command('events').description("the sender's event feed (ACCEPTED, DELIVERED, OPENED, …)");
  group
    .command('tail')
    .description('print events after a cursor, one per line; --follow keeps waiting for new ones')
    .option('--after <cursor>', 'start after this cursor (the `cursor` of the last event you saw)')
    .option('--follow', 'keep polling for new events until Ctrl-C')
    .option('--limit <n>', 'without --follow: print at most this many events')
    .option('--poll-ms <ms>', 'with --follow: how often to ask for new events', '2000')
    .option('--json', 'print JSON lines')
    .addHelpText(
      'after',
      "\nThe cursor to continue from is printed on stderr at the end (and is each event's `cursor`).\n" +
        'Environment: POSTKASSE_URL (default http://localhost:8080), POSTKASSE_API_KEY.',
    )
    .action(async (opts: TailOptions) => {
      const json = Boolean(opts.json);
      try {
        const limit = opts.limit === undefined ? undefined : Number(opts.limit);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
          throw new CliError('invalid_arguments', '--limit is a whole number from 1');
        }
        const pollMs = Number(opts.pollMs);
        if (!Number.isFinite(pollMs) || pollMs < 10)
          throw new CliError('invalid_arguments', '--poll-ms is at least 10');
        const client = apiClient();
        let cursor = opts.after ?? null;
        if (opts.follow) {
          const controller = new AbortController();
          const stop = () => controller.abort();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          for await (const e of followEvents(client, {
            after: opts.after,
            pollMs,
            limit: Math.min(limit ?? 100, 1000),
            signal: controller.signal,
          })) {
            process.stdout.write(`${line(e, json)}\n`);
            cursor = e.cursor;
          }
        } else {
          let printed = 0;
          for (;;) {
            const want = limit === undefined ? 1000 : Math.min(1000, limit - printed);
            if (want <= 0) break;
            const page = await events(client, { after: cursor ?? undefined, limit: want });
            for (const e of page.items) process.stdout.write(`${line(e, json)}\n`);
            printed += page.items.length;
            cursor = page.nextCursor ?? cursor;
            if (page.items.length < want) break;
          }
        }
        if (cursor && !json) process.stderr.write(`next cursor: ${cursor}\n`);
      } catch (error) {
        failWith(error, json);
      }
    });
}
