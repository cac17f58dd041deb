import { randomUUID } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  acrValues,
  confirmContactDetails,
  createApiKey,
  createSender,
  type Deps,
  type PersonActor,
  registerPerson,
  sendLetter,
  setExemption,
  setPostalAddress,
  updateOwnRecord,
} from '@postkasse/core';
import type { AppContext } from '@postkasse/server';
import { samplePdf } from './sample-pdf.js';

type Identities = {
  persons: Array<{ name: string; nationalId: string; note: string }>;
  organizations: Array<{ name: string; orgNumber: string; kind: 'public' | 'private' }>;
};

// Found through the package, not this file's place: the CLI also runs from its bundle (bin/bundle.js).
const identitiesFile = join(
  dirname(createRequire(import.meta.url).resolve('@postkasse/cli/package.json')),
  'demo-data',
  'identities.json',
);

/** Enters a fixture person in the register in the state its note describes. */
async function seedPerson(deps: Deps, p: { name: string; nationalId: string; note: string }): Promise<void> {
  const verified = /email\+mobile verified/.test(p.note);
  await registerPerson(deps, {
    nationalId: p.nationalId,
    name: p.name,
    openMailbox: /active mailbox/.test(p.note),
    language: p.nationalId.length === 10 ? 'da' : 'nb',
    ...(verified ? { email: `${p.name.split(' ')[0]?.toLowerCase()}@example.org`, mobile: '+4791234567' } : {}),
  });
  const self: PersonActor = { kind: 'person', nationalId: p.nationalId, authLevel: 'high' };
  if (verified) await confirmContactDetails(deps, self);
  if (/reserved/.test(p.note)) await updateOwnRecord(deps, self, { reserved: true });
  if (/exempt/.test(p.note)) await setExemption(deps, p.nationalId, true);
  if (/postal address|exempt/.test(p.note)) {
    await setPostalAddress(
      deps,
      p.nationalId,
      p.nationalId.length === 10
        ? { type: 'foreign', addressLines: ['Vestergade 1', '1456 København K'], country: 'DK' }
        : { type: 'norwegian', addressLines: ['Storgata 1'], postalCode: '0155', city: 'Oslo' },
    );
  }
}

/**
 * Seeds an empty database with the synthetic test identities: the organizations become senders,
 * persons with an active mailbox get one, Kari gets a first letter. The demo sender's API key is
 * kept in the data dir (mode 0600) so every start can print it again.
 */
export async function seedDemo(ctx: AppContext, url: string, log: { info(msg: string): void }): Promise<void> {
  const { deps, config } = ctx;
  const credentialsFile = join(config.dataDir, 'demo-credentials.json');
  let credentials: { senderId: string; apiKey: string; orgNumber: string } | null = null;
  if ((await deps.store.read.senders.list()).length === 0) {
    const ids = JSON.parse(await readFile(identitiesFile, 'utf8')) as Identities;
    const senders = [];
    for (const org of ids.organizations) senders.push(await createSender(deps, org));
    const demoSender = senders.find((s) => s.kind === 'public');
    if (!demoSender) throw new Error('the demo identities have no public organization');
    const { secret } = await createApiKey(deps, demoSender.id, 'demo');
    credentials = { senderId: demoSender.id, apiKey: secret, orgNumber: demoSender.orgNumber };
    await writeFile(credentialsFile, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    await chmod(credentialsFile, 0o600);
    for (const p of ids.persons) await seedPerson(deps, p);
    const kari = ids.persons[0];
    if (kari) {
      const pdf = await samplePdf({ title: 'Velkommen til Postkasse' });
      await sendLetter(
        deps,
        { kind: 'sender', sender: demoSender, credentialId: 'demo', scopes: ['messages'] },
        {
          id: randomUUID(),
          recipient: { nationalId: kari.nationalId },
          subject: 'Velkommen til Postkasse',
          nonSensitiveTitle: 'Brev fra Skatteetaten',
          authLevel: 'substantial',
          sensitivity: 'normal',
          openingReceipt: true,
          legalNotification: false,
          mandatory: false,
          documents: [
            {
              part: 'main',
              role: 'main',
              filename: 'velkommen.pdf',
              mediaType: 'application/pdf',
              content: pdf,
              language: 'nb',
            },
          ],
        },
      );
    }
    log.info('demo data seeded');
  } else {
    credentials = JSON.parse(await readFile(credentialsFile, 'utf8').catch(() => 'null'));
  }
  const lines = [
    '',
    `Postkasse is running at ${url}  (API docs: ${url}/docs)`,
    credentials
      ? `Demo sender ${credentials.orgNumber}: API key ${credentials.apiKey}`
      : 'This data dir was not seeded by the demo; create senders with `npx postkasse admin sender create`.',
    `A reader's token: npx postkasse admin token --id 12858510129 --acr ${acrValues.high}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
