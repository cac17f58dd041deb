import type { Repositories } from '@postkasse/core';
import { sql } from 'kysely';
import type { MailboxRow } from '../schema/mailboxes.js';
import type { PersonRow } from '../schema/persons.js';
import { toMailbox } from './mailboxes.js';
import { toPerson } from './persons.js';
import { prepared } from './prepared.js';
import type { RepoContext } from './shared.js';

/** Every column of a row type, checked by the compiler: a column added to the table must be added here. */
function allColumns<Row>() {
  return <const C extends readonly (keyof Row & string)[]>(
    columns: C & ([Exclude<keyof Row, C[number]>] extends [never] ? unknown : 'a column is missing'),
  ) => columns;
}

const mailboxColumns = allColumns<MailboxRow>()([
  'id',
  'owner_type',
  'owner_id',
  'name',
  'status',
  'wrapped_key',
  'created_at',
]);
const personColumns = allColumns<PersonRow>()([
  'id',
  'national_id',
  'country',
  'name',
  'status',
  'email',
  'email_updated_at',
  'email_verified_at',
  'mobile',
  'mobile_updated_at',
  'mobile_verified_at',
  'language',
  'reserved',
  'reserved_at',
  'exempt',
  'exempt_at',
  'postal_address',
  'created_at',
  'updated_at',
]);

/**
 * Everything routing reads about one recipient as one statement: their mailbox with its inbox
 * folder, their register record, and an active consent to the sender. Each is a left join on a
 * one-row table, so whichever is missing comes back as nulls; mailboxes are unique per owner,
 * consents per person and sender, persons per national id, and a mailbox has one inbox (the
 * first row is taken, as the separate lookup took it). On PostgreSQL that is one round trip
 * instead of two or three for every letter sent.
 */
const recipientLookup = prepared((db, $) =>
  db
    .selectFrom(sql<{ one: number }>`(select 1 as one)`.as('x'))
    .leftJoin('mailboxes as m', (j) => j.on('m.owner_type', '=', $('ownerType')).on('m.owner_id', '=', $('ownerId')))
    .leftJoin('folders as f', (j) => j.onRef('f.mailbox_id', '=', 'm.id').on('f.kind', '=', 'inbox'))
    .leftJoin('persons as p', (j) => j.on('p.national_id', '=', $('personId')))
    .leftJoin('consents as c', (j) =>
      j.on('c.national_id', '=', $('personId')).on('c.sender_id', '=', $('senderId')).on('c.status', '=', 'active'),
    )
    .select([
      ...mailboxColumns.map((c) => `m.${c} as m_${c}` as const),
      'f.id as inbox_id',
      ...personColumns.map((c) => `p.${c} as p_${c}` as const),
      'c.id as consent_id',
    ] as never),
);

/** The columns of one table from a row whose column names carry a prefix. */
function unprefixed<Row>(row: Record<string, unknown>, prefix: string, columns: readonly string[]): Row {
  return Object.fromEntries(columns.map((c) => [c, row[`${prefix}${c}`]])) as Row;
}

export function recipientsRepository(ctx: RepoContext): Repositories['recipients'] {
  return {
    async lookup(owner, consentSenderId) {
      const [row] = (
        await recipientLookup.execute(ctx, {
          ownerType: owner.type,
          ownerId: owner.id,
          personId: owner.type === 'person' ? owner.id : null,
          senderId: consentSenderId,
        })
      ).rows as Array<Record<string, unknown>>;
      if (!row) throw new Error('the recipient lookup answered no row');
      const inboxId = row.inbox_id as string | null;
      return {
        target:
          row.m_id !== null && inboxId !== null
            ? { mailbox: toMailbox(unprefixed<MailboxRow>(row, 'm_', mailboxColumns)), inboxId }
            : null,
        person: row.p_id !== null ? toPerson(unprefixed<PersonRow>(row, 'p_', personColumns)) : null,
        consented: row.consent_id !== null,
      };
    },
  };
}
