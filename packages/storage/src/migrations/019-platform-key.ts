import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * The platform keyholder's key sealed under the master key (base64), once the master key has been
 * rotated: until then it is derived from the master key. Sealed rather than derived, it stays the
 * same across rotations, so nothing sealed for the platform (held letters' content keys, secrets,
 * their descriptive fields) has to be sealed again.
 */
export function platformKey(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table installation add column platform_key text`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`alter table installation drop column platform_key`.execute(db);
    },
  };
}
