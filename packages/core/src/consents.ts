/**
 * Consent to private senders: given or withdrawn by the person, or registered by the sender
 * with the evidence it holds. Letters held for the person are looked at again at once.
 */
import type { PersonActor, SenderActor } from './actors.js';
import { recordRegisterChange } from './audit.js';
import { AppError } from './errors.js';
import { heldReleaseJob } from './jobs.js';
import { parseNationalId } from './parties.js';
import type { Consent, ConsentSource, Deps, Repositories, Sender } from './ports.js';

export type ConsentView = Consent & { sender: Pick<Sender, 'id' | 'name' | 'orgNumber'> };

async function privateSenderByOrgNumber(deps: Deps, orgNumber: string): Promise<Sender> {
  const sender = await deps.store.read.senders.findByOrgNumber(orgNumber);
  if (sender?.status !== 'active') throw new AppError('not_found', 'No such sender');
  if (sender.kind !== 'private') {
    throw new AppError('invalid_operation', 'Public senders need no consent: their letters reach you anyway');
  }
  return sender;
}

async function record(
  deps: Deps,
  repos: Repositories,
  nationalId: string,
  sender: Sender,
  active: boolean,
  source: ConsentSource,
  evidence: Record<string, unknown> | null,
): Promise<Consent> {
  const now = deps.clock.now().toISOString();
  const existing = await repos.consents.find(nationalId, sender.id);
  if (active && source === 'sender' && existing?.status === 'withdrawn' && existing.source === 'person') {
    throw new AppError('consent_withdrawn');
  }
  const consent: Consent = {
    id: existing?.id ?? deps.ids.uuid(),
    nationalId,
    senderId: sender.id,
    status: active ? 'active' : 'withdrawn',
    source: active ? source : (existing?.source ?? source),
    evidence: active ? evidence : (existing?.evidence ?? null),
    givenAt: active ? (existing?.status === 'active' ? existing.givenAt : now) : (existing?.givenAt ?? now),
    withdrawnAt: active ? null : now,
    updatedAt: now,
  };
  await repos.consents.upsert(consent);
  // Consent decides whether a private sender's letters reach the person: its history is evidence.
  await recordRegisterChange(
    deps,
    repos,
    nationalId,
    source === 'person' ? { type: 'person', id: nationalId } : { type: 'sender', id: sender.id },
    active ? 'consent.give' : 'consent.withdraw',
    { sender: sender.orgNumber, ...(active && evidence ? { evidence } : {}) },
  );
  if (active) await repos.jobs.enqueue([heldReleaseJob(deps, { type: 'person', id: nationalId }, sender.id)]);
  return consent;
}

export async function listOwnConsents(deps: Deps, actor: PersonActor): Promise<ConsentView[]> {
  const out: ConsentView[] = [];
  for (const c of await deps.store.read.consents.listByPerson(actor.nationalId)) {
    const sender = await deps.store.read.senders.get(c.senderId);
    if (sender) out.push({ ...c, sender: { id: sender.id, name: sender.name, orgNumber: sender.orgNumber } });
  }
  return out;
}

/** The person consents to letters from a private sender (or withdraws that consent). */
export async function setOwnConsent(
  deps: Deps,
  actor: PersonActor,
  orgNumber: string,
  active: boolean,
): Promise<ConsentView> {
  const sender = await privateSenderByOrgNumber(deps, orgNumber);
  const consent = await deps.store.write((repos) =>
    record(deps, repos, actor.nationalId, sender, active, 'person', null),
  );
  return { ...consent, sender: { id: sender.id, name: sender.name, orgNumber: sender.orgNumber } };
}

/**
 * A private sender registers a customer who consented to digital letters, with its evidence (the
 * agreement's reference, when and how it was given). The answer is the same whether or not the
 * person exists, so it reveals nothing.
 */
export async function registerCustomerConsent(
  deps: Deps,
  actor: SenderActor,
  nationalId: string,
  evidence: Record<string, unknown>,
): Promise<{ nationalId: string; status: 'active' }> {
  if (actor.sender.kind !== 'private') {
    throw new AppError('invalid_operation', 'Public senders need no consent to reach registered recipients');
  }
  const parsed = parseNationalId(nationalId);
  if (!parsed) {
    throw new AppError('invalid_recipient', 'nationalId is not a valid national id', {
      errors: [{ path: 'nationalId', code: 'invalid_national_id', message: 'not valid' }],
    });
  }
  await deps.store.write((repos) => record(deps, repos, parsed.nationalId, actor.sender, true, 'sender', evidence));
  return { nationalId: parsed.nationalId, status: 'active' };
}

export async function withdrawCustomerConsent(deps: Deps, actor: SenderActor, nationalId: string): Promise<void> {
  const parsed = parseNationalId(nationalId);
  if (!parsed) throw new AppError('invalid_recipient', 'nationalId is not a valid national id');
  await deps.store.write(async (repos) => {
    if (await repos.consents.find(parsed.nationalId, actor.sender.id)) {
      await record(deps, repos, parsed.nationalId, actor.sender, false, 'sender', null);
    }
  });
}
