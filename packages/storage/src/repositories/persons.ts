import type { Person, Repositories } from '@postkasse/core';
import type { PersonRow } from '../schema/persons.js';
import type { RepoContext } from './shared.js';

const toPerson = (r: PersonRow): Person => ({
  id: r.id,
  nationalId: r.national_id,
  country: r.country as Person['country'],
  name: r.name,
  email: r.email,
  mobile: r.mobile,
  language: r.language,
  createdAt: r.created_at,
});

export function personsRepository({ db }: RepoContext): Repositories['persons'] {
  return {
    async insert(p) {
      await db
        .insertInto('persons')
        .values({
          id: p.id,
          national_id: p.nationalId,
          country: p.country,
          name: p.name,
          email: p.email,
          mobile: p.mobile,
          language: p.language,
          created_at: p.createdAt,
        })
        .execute();
    },
    async findByNationalId(nationalId) {
      const row = await db.selectFrom('persons').selectAll().where('national_id', '=', nationalId).executeTakeFirst();
      return row ? toPerson(row) : null;
    },
  };
}
