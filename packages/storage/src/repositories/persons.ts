import type { Person, Repositories } from '@postkasse/core';
import type { Updateable } from 'kysely';
import type { PersonRow } from '../schema/persons.js';
import { prepared } from './prepared.js';
import { bool, type RepoContext } from './shared.js';

export const toPerson = (r: PersonRow): Person => ({
  id: r.id,
  nationalId: r.national_id,
  country: r.country as Person['country'],
  name: r.name,
  status: r.status as Person['status'],
  email: r.email,
  emailUpdatedAt: r.email_updated_at,
  emailVerifiedAt: r.email_verified_at,
  mobile: r.mobile,
  mobileUpdatedAt: r.mobile_updated_at,
  mobileVerifiedAt: r.mobile_verified_at,
  language: r.language,
  reserved: r.reserved === 1,
  reservedAt: r.reserved_at,
  exempt: r.exempt === 1,
  exemptAt: r.exempt_at,
  postalAddress: r.postal_address ? (JSON.parse(r.postal_address) as Person['postalAddress']) : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const personByNationalId = prepared((db, $) =>
  db.selectFrom('persons').selectAll().where('national_id', '=', $('nationalId')),
);

export function personsRepository(ctx: RepoContext): Repositories['persons'] {
  const { db } = ctx;
  return {
    async insert(p) {
      await db
        .insertInto('persons')
        .values({
          id: p.id,
          national_id: p.nationalId,
          country: p.country,
          name: p.name,
          status: p.status,
          email: p.email,
          email_updated_at: p.emailUpdatedAt,
          email_verified_at: p.emailVerifiedAt,
          mobile: p.mobile,
          mobile_updated_at: p.mobileUpdatedAt,
          mobile_verified_at: p.mobileVerifiedAt,
          language: p.language,
          reserved: bool(p.reserved),
          reserved_at: p.reservedAt,
          exempt: bool(p.exempt),
          exempt_at: p.exemptAt,
          postal_address: p.postalAddress ? JSON.stringify(p.postalAddress) : null,
          created_at: p.createdAt,
          updated_at: p.updatedAt,
        })
        .execute();
    },
    async findByNationalId(nationalId) {
      const [row] = (await personByNationalId.execute(ctx, { nationalId })).rows;
      return row ? toPerson(row) : null;
    },
    async findMany(nationalIds) {
      if (nationalIds.length === 0) return [];
      const rows = await db.selectFrom('persons').selectAll().where('national_id', 'in', nationalIds).execute();
      return rows.map(toPerson);
    },
    async update(nationalId, p) {
      const set: Updateable<PersonRow> = { updated_at: p.updatedAt };
      if (p.name !== undefined) set.name = p.name;
      if (p.status !== undefined) set.status = p.status;
      if (p.email !== undefined) set.email = p.email;
      if (p.emailUpdatedAt !== undefined) set.email_updated_at = p.emailUpdatedAt;
      if (p.emailVerifiedAt !== undefined) set.email_verified_at = p.emailVerifiedAt;
      if (p.mobile !== undefined) set.mobile = p.mobile;
      if (p.mobileUpdatedAt !== undefined) set.mobile_updated_at = p.mobileUpdatedAt;
      if (p.mobileVerifiedAt !== undefined) set.mobile_verified_at = p.mobileVerifiedAt;
      if (p.language !== undefined) set.language = p.language;
      if (p.reserved !== undefined) set.reserved = bool(p.reserved);
      if (p.reservedAt !== undefined) set.reserved_at = p.reservedAt;
      if (p.exempt !== undefined) set.exempt = bool(p.exempt);
      if (p.exemptAt !== undefined) set.exempt_at = p.exemptAt;
      if (p.postalAddress !== undefined) {
        set.postal_address = p.postalAddress ? JSON.stringify(p.postalAddress) : null;
      }
      await db.updateTable('persons').set(set).where('national_id', '=', nationalId).execute();
    },
  };
}
