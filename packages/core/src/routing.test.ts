import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { afterQuietHours, dueTime } from './notifications/schedule.js';
import type { Mailbox } from './ports.js';
import { type RecipientState, routeLetter } from './routing.js';

const mailbox: Mailbox = {
  id: 'm',
  ownerType: 'person',
  ownerId: '12858510129',
  name: null,
  status: 'active',
  wrappedKey: new Uint8Array(),
  createdAt: '',
};
const person = (over: Partial<{ reserved: boolean; exempt: boolean }> = {}) => ({
  reserved: false,
  exempt: false,
  status: 'active' as const,
  ...over,
});
const state = (over: Partial<RecipientState> = {}): RecipientState => ({
  type: 'person',
  person: person(),
  mailbox,
  consent: false,
  ...over,
});

describe('the routing table', () => {
  it('public senders: delivered, printed or rejected with the reason', () => {
    const route = (s: RecipientState, print = false) =>
      routeLetter({ senderKind: 'public', recipient: s, hasPrintDetails: print, hasRegistrationDeadline: false });
    expect(route(state()).outcome).toBe('DELIVERED');
    expect(route(state({ person: person({ reserved: true }) }))).toEqual({
      outcome: 'REJECTED',
      reason: 'recipient_reserved',
    });
    expect(route(state({ person: person({ exempt: true }) }), true)).toEqual({
      outcome: 'PRINT',
      reason: 'recipient_exempt',
    });
    expect(route(state({ mailbox: null }))).toEqual({ outcome: 'REJECTED', reason: 'recipient_has_no_mailbox' });
    expect(route(state({ person: null, mailbox: null }), true)).toEqual({
      outcome: 'PRINT',
      reason: 'recipient_has_no_mailbox',
    });
    expect(route(state({ mailbox: { ...mailbox, status: 'frozen' } })).outcome).toBe('REJECTED');
  });

  it('private senders: delivered with consent, otherwise held or printed, whatever the register says', () => {
    const route = (s: RecipientState, print = false, deadline = false) =>
      routeLetter({ senderKind: 'private', recipient: s, hasPrintDetails: print, hasRegistrationDeadline: deadline });
    expect(route(state({ consent: true })).outcome).toBe('DELIVERED');
    expect(route(state({ consent: true, person: person({ reserved: true }) })).outcome).toBe('DELIVERED');
    expect(route(state({ type: 'organization', person: null })).outcome).toBe('DELIVERED');
    expect(route(state(), false, true)).toEqual({ outcome: 'HELD' });
    expect(route(state(), true, false)).toEqual({ outcome: 'PRINT', reason: 'recipient_not_reachable' });
    expect(route(state())).toEqual({ outcome: 'HELD' });
  });

  it('never lets a private sender tell an unknown person from a known one without consent', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (reserved, exempt, hasBox, print, deadline) => {
          const known = state({ person: person({ reserved, exempt }), mailbox: hasBox ? mailbox : null });
          const unknown = state({ person: null, mailbox: null });
          const r = (s: RecipientState) =>
            routeLetter({
              senderKind: 'private',
              recipient: s,
              hasPrintDetails: print,
              hasRegistrationDeadline: deadline,
            });
          expect(r(known)).toEqual(r(unknown));
        },
      ),
    );
  });
});

describe('when notifications may go', () => {
  const quiet = { start: '21:00', end: '08:00' };
  it('moves SMS out of the quiet hours (local time, across midnight and daylight saving)', () => {
    expect(afterQuietHours(new Date('2026-11-23T21:30:00Z'), quiet, 'Europe/Oslo').toISOString()).toBe(
      '2026-11-24T07:00:00.000Z',
    );
    expect(afterQuietHours(new Date('2026-11-23T12:00:00Z'), quiet, 'Europe/Oslo').toISOString()).toBe(
      '2026-11-23T12:00:00.000Z',
    );
    // Summer time: 08:00 in Oslo is 06:00 UTC.
    expect(afterQuietHours(new Date('2026-06-10T02:15:00Z'), quiet, 'Europe/Oslo').toISOString()).toBe(
      '2026-06-10T06:00:00.000Z',
    );
  });
  it('coalesces and keeps the minimum interval', () => {
    const policy = {
      coalesceMs: 60_000,
      minIntervalMs: 3_600_000,
      smsQuietHours: quiet,
      timeZone: 'Europe/Oslo',
      publicUrl: '',
    };
    const now = new Date('2026-11-23T09:00:00Z');
    expect(dueTime(now, 'email', null, policy).toISOString()).toBe('2026-11-23T09:01:00.000Z');
    expect(dueTime(now, 'email', '2026-11-23T08:30:00Z', policy).toISOString()).toBe('2026-11-23T09:30:00.000Z');
    expect(dueTime(new Date('2026-11-23T20:30:00Z'), 'sms', null, policy).toISOString()).toBe(
      '2026-11-24T07:00:00.000Z',
    );
  });
});
