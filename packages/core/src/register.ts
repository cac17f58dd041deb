/**
 * The contact and reservation register: a person's own record (reservation, contact details,
 * language), the operator's exemptions, and lookups by public senders.
 */
import type { PersonActor, SenderActor } from './actors.js';
import { OPERATOR, recordRegisterChange } from './audit.js';
import { AppError, type FieldError } from './errors.js';
import { parseNationalId, requireNationalId } from './parties.js';
import type { Deps, Mailbox, Person, PersonPatch, PostalAddress } from './ports.js';

export const registerLanguages = ['nb', 'nn', 'en', 'se', 'da'] as const;
export type RegisterLanguage = (typeof registerLanguages)[number];
export const maxLookupIds = 1000;

/** An address: no blanks, control or format characters (NUL, bidi overrides, zero-width spaces). */
const EMAIL = /^[^\s@\p{Cc}\p{Cf}]{1,64}@[^\s@\p{Cc}\p{Cf}]+\.[^\s@\p{Cc}\p{Cf}]{2,}$/u;
const MOBILE = /^\+?[0-9]{8,15}$/;

/** Whether contact details are fresh enough for a legally required notice. */
export function contactIsFresh(updatedAt: string | null, verifiedAt: string | null, now: Date, months: number) {
  const latest = Math.max(updatedAt ? Date.parse(updatedAt) : 0, verifiedAt ? Date.parse(verifiedAt) : 0);
  if (latest === 0) return false;
  const limit = new Date(now);
  limit.setUTCMonth(limit.getUTCMonth() - months);
  return latest >= limit.getTime();
}

export function canBeNotified(person: Person, now: Date, months: number): boolean {
  return (
    (person.email !== null && contactIsFresh(person.emailUpdatedAt, person.emailVerifiedAt, now, months)) ||
    (person.mobile !== null && contactIsFresh(person.mobileUpdatedAt, person.mobileVerifiedAt, now, months))
  );
}

export type RegisterStatus = 'active' | 'not_registered' | 'deleted';

function statusOf(person: Person | null, mailbox: Mailbox | null): RegisterStatus {
  if (person?.status === 'deleted' || mailbox?.status === 'frozen') return 'deleted';
  return person && mailbox?.status === 'active' ? 'active' : 'not_registered';
}

/** A person's own view of their register record. */
export type OwnRecord = Person & { registerStatus: RegisterStatus; canBeNotified: boolean; provider: string | null };

const self = (actor: PersonActor) => ({ type: 'person' as const, id: actor.nationalId });

async function requireRecord(deps: Deps, nationalId: string): Promise<Person> {
  const person = await deps.store.read.persons.findByNationalId(nationalId);
  if (!person) throw new AppError('not_registered');
  return person;
}

async function ownRecord(deps: Deps, person: Person): Promise<OwnRecord> {
  const mailbox = await deps.store.read.mailboxes.findByOwner('person', person.nationalId);
  const status = statusOf(person, mailbox);
  return {
    ...person,
    registerStatus: status,
    canBeNotified: canBeNotified(person, deps.clock.now(), deps.policy.contactFreshMonths),
    provider: status === 'active' ? deps.policy.providerName : null,
  };
}

export async function getOwnRecord(deps: Deps, actor: PersonActor): Promise<OwnRecord> {
  return ownRecord(deps, await requireRecord(deps, actor.nationalId));
}

/**
 * Contact details as the register keeps them: the e-mail address trimmed, the mobile number
 * without spaces or dashes. Absent (undefined) and cleared (null) values stay as they are;
 * `errors` says which of the given values are not valid.
 */
export function checkContact<T extends { email?: string | null; mobile?: string | null; language?: string | null }>(
  input: T,
): { email: T['email']; mobile: T['mobile']; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const email = typeof input.email === 'string' ? input.email.trim() : input.email;
  const mobile = typeof input.mobile === 'string' ? input.mobile.replace(/[\s-]/g, '') : input.mobile;
  if (typeof email === 'string' && (email.length > 254 || !EMAIL.test(email))) {
    errors.push({ path: 'email', code: 'invalid_email', message: 'not an e-mail address' });
  }
  if (typeof mobile === 'string' && !MOBILE.test(mobile)) {
    errors.push({ path: 'mobile', code: 'invalid_mobile', message: '8 to 15 digits, optionally with a leading +' });
  }
  const language = input.language;
  if (typeof language === 'string' && !(registerLanguages as readonly string[]).includes(language)) {
    errors.push({ path: 'language', code: 'invalid_language', message: `one of ${registerLanguages.join(', ')}` });
  }
  return { email: email as T['email'], mobile: mobile as T['mobile'], errors };
}

export type OwnRecordChange = {
  reserved?: boolean | undefined;
  email?: string | null | undefined;
  mobile?: string | null | undefined;
  language?: string | undefined;
};

/** A person changes their own reservation, contact details and language. */
export async function updateOwnRecord(deps: Deps, actor: PersonActor, change: OwnRecordChange): Promise<OwnRecord> {
  const { email, mobile, errors } = checkContact(change);
  if (errors.length > 0) throw new AppError('validation_failed', 'The register change is not valid', { errors });
  const person = await requireRecord(deps, actor.nationalId);
  const now = deps.clock.now().toISOString();
  const patch: PersonPatch = { updatedAt: now };
  if (change.reserved !== undefined && change.reserved !== person.reserved) {
    patch.reserved = change.reserved;
    patch.reservedAt = now;
  }
  if (email !== undefined && email !== person.email) {
    patch.email = email;
    patch.emailUpdatedAt = email ? now : null;
    patch.emailVerifiedAt = null;
  }
  if (mobile !== undefined && mobile !== person.mobile) {
    patch.mobile = mobile;
    patch.mobileUpdatedAt = mobile ? now : null;
    patch.mobileVerifiedAt = null;
  }
  if (change.language !== undefined && change.language !== person.language) patch.language = change.language;
  const changed = (['email', 'mobile', 'language'] as const).filter((f) => patch[f] !== undefined);
  if (changed.length > 0 || patch.reserved !== undefined) {
    await deps.store.write(async (repos) => {
      await repos.persons.update(person.nationalId, patch);
      await recordRegisterChange(deps, repos, person.nationalId, self(actor), 'register.update', {
        ...(changed.length > 0 ? { changed } : {}),
        ...(patch.reserved !== undefined ? { reserved: patch.reserved } : {}),
      });
    });
  }
  return getOwnRecord(deps, actor);
}

/** The person confirms that their contact details are still right (they count as fresh again). */
export async function confirmContactDetails(deps: Deps, actor: PersonActor): Promise<OwnRecord> {
  const person = await requireRecord(deps, actor.nationalId);
  if (!person.email && !person.mobile) {
    throw new AppError('invalid_operation', 'There are no contact details to confirm; add an e-mail or mobile first');
  }
  const now = deps.clock.now().toISOString();
  await deps.store.write(async (repos) => {
    await repos.persons.update(person.nationalId, {
      updatedAt: now,
      ...(person.email ? { emailVerifiedAt: now } : {}),
      ...(person.mobile ? { mobileVerifiedAt: now } : {}),
    });
    await recordRegisterChange(deps, repos, person.nationalId, self(actor), 'register.confirm', {
      confirmed: [...(person.email ? ['email'] : []), ...(person.mobile ? ['mobile'] : [])],
    });
  });
  return getOwnRecord(deps, actor);
}

/** The operator exempts a person from digital public mail (they get paper), or lifts it. */
export async function setExemption(deps: Deps, nationalId: string, exempt: boolean): Promise<OwnRecord> {
  const person = await requireRecord(deps, requireNationalId(nationalId, 'nationalId'));
  const now = deps.clock.now().toISOString();
  await deps.store.write(async (repos) => {
    await repos.persons.update(person.nationalId, { updatedAt: now, exempt, exemptAt: exempt ? now : null });
    await recordRegisterChange(deps, repos, person.nationalId, OPERATOR, 'register.exempt', { exempt });
  });
  return ownRecord(deps, await requireRecord(deps, person.nationalId));
}

/** The operator records a person's postal address (from the population register). */
export async function setPostalAddress(
  deps: Deps,
  nationalId: string,
  postalAddress: PostalAddress | null,
): Promise<OwnRecord> {
  const person = await requireRecord(deps, requireNationalId(nationalId, 'nationalId'));
  const now = deps.clock.now().toISOString();
  await deps.store.write(async (repos) => {
    await repos.persons.update(person.nationalId, { updatedAt: now, postalAddress });
    await recordRegisterChange(deps, repos, person.nationalId, OPERATOR, 'register.address', {
      address: postalAddress ? 'recorded' : 'cleared',
    });
  });
  return ownRecord(deps, await requireRecord(deps, person.nationalId));
}

export async function getRecordForOperator(deps: Deps, nationalId: string): Promise<OwnRecord> {
  return ownRecord(deps, await requireRecord(deps, requireNationalId(nationalId, 'nationalId')));
}

export type LookupEntry = {
  nationalId: string;
  status: RegisterStatus;
  canReceiveDigitalPost: boolean;
  reserved: boolean;
  reservedAt: string | null;
  exempt: boolean;
  canBeNotified: boolean;
  language: string | null;
  provider: string | null;
  contact?: {
    email: string | null;
    emailUpdatedAt: string | null;
    emailVerifiedAt: string | null;
    mobile: string | null;
    mobileUpdatedAt: string | null;
    mobileVerifiedAt: string | null;
  };
};

/**
 * Public senders look people up before sending, up to 1,000 at a time. Contact details are
 * included only for credentials with the `register:contact` scope. Private senders may not learn
 * anything from the register.
 */
export async function lookupRegister(deps: Deps, actor: SenderActor, nationalIds: string[]): Promise<LookupEntry[]> {
  if (actor.sender.kind !== 'public') {
    throw new AppError('forbidden', 'Only public senders may look people up in the register');
  }
  if (nationalIds.length > maxLookupIds) {
    throw new AppError('validation_failed', `At most ${maxLookupIds} ids per lookup`, {
      errors: [{ path: 'nationalIds', code: 'too_many_ids', message: `at most ${maxLookupIds}` }],
    });
  }
  const errors: FieldError[] = [];
  const ids = nationalIds.map((raw, i) => {
    const parsed = parseNationalId(raw);
    if (!parsed) errors.push({ path: `nationalIds[${i}]`, code: 'invalid_national_id', message: 'not valid' });
    return parsed?.nationalId ?? raw;
  });
  if (errors.length > 0) {
    throw new AppError('validation_failed', `${errors.length} of the ids are not valid national ids`, { errors });
  }
  const unique = [...new Set(ids)];
  const persons = new Map((await deps.store.read.persons.findMany(unique)).map((p) => [p.nationalId, p]));
  const mailboxes = new Map(
    (await deps.store.read.mailboxes.findManyByOwner('person', unique)).map((m) => [m.ownerId, m]),
  );
  const withContact = actor.scopes.includes('register:contact');
  const now = deps.clock.now();
  return ids.map((nationalId) => {
    const person = persons.get(nationalId) ?? null;
    const status = statusOf(person, mailboxes.get(nationalId) ?? null);
    const entry: LookupEntry = {
      nationalId,
      status,
      canReceiveDigitalPost: status === 'active' && !person?.reserved && !person?.exempt,
      reserved: person?.reserved ?? false,
      reservedAt: person?.reservedAt ?? null,
      exempt: person?.exempt ?? false,
      canBeNotified: person ? canBeNotified(person, now, deps.policy.contactFreshMonths) : false,
      language: person?.language ?? null,
      provider: status === 'active' ? deps.policy.providerName : null,
    };
    if (withContact) {
      entry.contact = {
        email: person?.email ?? null,
        emailUpdatedAt: person?.emailUpdatedAt ?? null,
        emailVerifiedAt: person?.emailVerifiedAt ?? null,
        mobile: person?.mobile ?? null,
        mobileUpdatedAt: person?.mobileUpdatedAt ?? null,
        mobileVerifiedAt: person?.mobileVerifiedAt ?? null,
      };
    }
    return entry;
  });
}
