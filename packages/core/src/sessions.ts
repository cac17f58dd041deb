import type { AuthLevel } from './auth-level.js';
import { AppError } from './errors.js';
import { registerPersonMailbox } from './operator.js';
import { parseNationalId } from './parties.js';
import type { Deps, Randomness, Session } from './ports.js';

export const sessionPolicy = {
  /** A session ends this long after login, however active. */
  absoluteMs: 8 * 3600_000,
  /** …and this long after its last request. */
  idleMs: 30 * 60_000,
} as const;

/**
 * A person has logged in (the identity provider vouched for `nationalId` at `authLevel`). A
 * person in the register gets their mailbox opened on first login; one who is not is refused.
 */
export async function completeLogin(
  deps: Deps & { random: Randomness },
  login: { nationalId: string; authLevel: AuthLevel },
): Promise<{ token: string; session: Session }> {
  const person = parseNationalId(login.nationalId);
  if (!person) throw new AppError('invalid_token', 'The identity provider sent no valid national id');
  const registered = await deps.store.read.persons.findByNationalId(person.nationalId);
  if (!registered) throw new AppError('not_registered');
  if (!(await deps.store.read.mailboxes.findByOwner('person', person.nationalId))) {
    await registerPersonMailbox(deps, registered);
  }
  const token = deps.random.token(32);
  const now = deps.clock.now();
  const session: Session = {
    idHash: deps.hasher.sha256Hex(token),
    nationalId: person.nationalId,
    authLevel: login.authLevel,
    csrfToken: deps.random.token(24),
    createdAt: now.toISOString(),
    lastSeenAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + sessionPolicy.absoluteMs).toISOString(),
  };
  await deps.store.write((repos) => repos.sessions.insert(session));
  return { token, session };
}

/** The live session behind a cookie token, or null when unknown, expired or idle too long. */
export async function resolveSession(deps: Deps, token: string): Promise<Session | null> {
  const idHash = deps.hasher.sha256Hex(token);
  const session = await deps.store.read.sessions.get(idHash);
  if (!session) return null;
  const now = deps.clock.now().getTime();
  if (now >= Date.parse(session.expiresAt) || now - Date.parse(session.lastSeenAt) >= sessionPolicy.idleMs) {
    await deps.store.write((repos) => repos.sessions.delete(idHash));
    return null;
  }
  if (now - Date.parse(session.lastSeenAt) > 60_000) {
    const at = new Date(now).toISOString();
    await deps.store.write((repos) => repos.sessions.touch(idHash, at));
  }
  return session;
}

export async function endSession(deps: Deps, token: string): Promise<void> {
  const idHash = deps.hasher.sha256Hex(token);
  await deps.store.write((repos) => repos.sessions.delete(idHash));
}

/**
 * Deletes the sessions that have ended (expired, or idle too long) without their cookie coming
 * back to say so: a session row names a person, and is kept no longer than it can be used.
 */
export async function purgeEndedSessions(deps: Pick<Deps, 'store' | 'clock'>): Promise<number> {
  const now = deps.clock.now().getTime();
  return deps.store.write((repos) =>
    repos.sessions.deleteEnded(new Date(now).toISOString(), new Date(now - sessionPolicy.idleMs).toISOString()),
  );
}
