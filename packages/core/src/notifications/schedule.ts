/** When a notification may go: coalescing, a minimum interval per person, and quiet hours for SMS. */
import type { NotificationChannel, NotificationPolicy } from '../ports.js';

const minutes = (hhmm: string): number => {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new Error(`not a time of day: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
};

/** Minutes after local midnight in a time zone. */
function localMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(at)
    .reduce<Record<string, string>>((acc, p) => {
      acc[p.type] = p.value;
      return acc;
    }, {});
  return Number(parts.hour) * 60 + Number(parts.minute);
}

/** The first moment at or after `at` outside the quiet hours (which may span midnight). */
export function afterQuietHours(at: Date, quiet: { start: string; end: string }, timeZone: string): Date {
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  const now = localMinutes(at, timeZone);
  const inside = start <= end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return at;
  const wait = (end - now + 24 * 60) % (24 * 60);
  const next = new Date(at.getTime() + wait * 60_000);
  next.setUTCSeconds(0, 0);
  return next;
}

export function checkQuietHours(value: string): { start: string; end: string } {
  const m = /^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$/.exec(value.trim());
  if (!m?.[1] || !m[2]) throw new Error(`quiet hours are "HH:MM-HH:MM", got ${value}`);
  minutes(m[1]);
  minutes(m[2]);
  return { start: m[1], end: m[2] };
}

/** When a new notification for a person on a channel is due. */
export function dueTime(
  now: Date,
  channel: NotificationChannel,
  lastSent: string | null,
  policy: NotificationPolicy,
): Date {
  let due = now.getTime() + policy.coalesceMs;
  if (lastSent) due = Math.max(due, Date.parse(lastSent) + policy.minIntervalMs);
  const at = new Date(due);
  return channel === 'sms' && policy.smsQuietHours ? afterQuietHours(at, policy.smsQuietHours, policy.timeZone) : at;
}
