/**
 * A letter's descriptive fields are sealed at rest like its documents (packages/core/src/letter-meta.ts):
 * the subject, the sender's reference and the documents' titles and file names are in no column in
 * plain text, open only with the letter's keyholder, and still read, searched and exported as before.
 */
import { randomUUID } from 'node:crypto';
import { platformKeyholder, sealPlainMetadata } from '@postkasse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  letterJson,
  people,
  rawStatement,
  sendLetterHttp,
  startTestServer,
  type TestServer,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

type LetterRowSeen = {
  id: string;
  subject: string;
  search_subject: string | null;
  search_title: string | null;
  sender_reference: string | null;
  sealed_meta: Uint8Array | null;
  mailbox_id: string | null;
};
type DocumentRowSeen = { id: string; title: string | null; filename: string; sealed_meta: Uint8Array | null };

describe.each(await testDialects())('sealed letter metadata (%s)', (dialect) => {
  let server: TestServer;
  let apiKey: string;
  let mailboxId: string;
  let high: string;
  let substantial: string;
  const marker = randomUUID().slice(0, 8);
  const subject = `Vedtak om uføretrygd ${marker}`;
  const reference = `SAK-${marker}`;
  const filename = `vedtak-${marker}.pdf`;
  const title = `Vedtaksbrev ${marker}`;
  let externalId: string;
  let letterId: string;

  const letterRow = async (id: string) =>
    (await rawStatement<LetterRowSeen>(server, `select * from letters where id = '${id}'`))[0];
  const documentRows = async (id: string) =>
    rawStatement<DocumentRowSeen>(server, `select * from documents where letter_id = '${id}'`);

  beforeAll(async () => {
    server = await startTestServer(dialect);
    ({ apiKey } = await server.sender('public'));
    ({ mailboxId } = await server.person(people.kari));
    high = await server.token(people.kari, 'high');
    substantial = await server.token(people.kari, 'substantial');
    const message = letterJson({
      subject,
      senderReference: reference,
      nonSensitiveTitle: 'Brev fra NAV',
      authLevel: 'high',
      documents: [{ part: 'main', role: 'main', filename, mediaType: 'application/pdf', title }],
    });
    externalId = message.id;
    expect((await sendLetterHttp(server, apiKey, message)).status).toBe(201);
    const list = await api(server, high, 'GET', `/api/v1/mailboxes/${mailboxId}/messages`);
    letterId = list.body.items[0].id;
  });
  afterAll(() => server?.close());

  it('keeps the subject, reference, title and file name in no column in plain text', async () => {
    const row = await letterRow(letterId);
    expect(row).toMatchObject({ subject: '', search_subject: null, sender_reference: null, mailbox_id: mailboxId });
    // The non-sensitive title is the sender's text for where the letter is not shown: it stays.
    expect(row?.search_title).toBe('brev fra nav');
    expect(row?.sealed_meta?.byteLength).toBeGreaterThan(0);
    const [doc] = await documentRows(letterId);
    expect(doc).toMatchObject({ title: null, filename: '' });
    const everything = JSON.stringify([
      await rawStatement(server, `select * from letters where id = '${letterId}'`),
      await documentRows(letterId),
    ]);
    expect(everything).not.toContain(marker);
    // Sealed for Kari's mailbox: another mailbox's key does not open it.
    const other = await server.person(people.ola);
    const otherBox = await server.ctx.deps.store.read.mailboxes.get(other.mailboxId);
    const vault = server.ctx.deps.vault;
    await expect(
      vault.openMeta(otherBox as NonNullable<typeof otherBox>, `letter:${letterId}`, row?.sealed_meta as Uint8Array),
    ).rejects.toThrow();
    await expect(
      vault.openMeta(platformKeyholder, `letter:${letterId}`, row?.sealed_meta as Uint8Array),
    ).rejects.toThrow();
  });

  it('shows them, opened, to the reader and the sender, and finds the letter by its subject', async () => {
    const detail = await api(server, high, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${letterId}`);
    expect(detail.body).toMatchObject({ subject, documents: [{ title, filename }] });
    const sent = await api(server, apiKey, 'GET', `/api/v1/messages/${externalId}`);
    expect(sent.body).toMatchObject({ subject, senderReference: reference });
    const search = async (token: string, q: string) =>
      (
        await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?q=${encodeURIComponent(q)}`)
      ).body.items.map((i: { id: string }) => i.id);
    expect(await search(high, `UFØRETRYGD ${marker}`)).toEqual([letterId]);
    // At a level below the letter's, only its non-sensitive title is searched.
    expect(await search(substantial, marker)).toEqual([]);
    expect(await search(substantial, 'brev fra nav')).toEqual([letterId]);
  });

  it('seals, when the server starts, what an older version wrote in plain text', async () => {
    // As an older version wrote them: the fields in their own columns, nothing sealed.
    await rawStatement(
      server,
      `update letters set sealed_meta = null, subject = 'Gammelt vedtak', search_subject = 'gammelt vedtak',
       sender_reference = 'GAMMEL-1' where id = '${letterId}'`,
    );
    await rawStatement(
      server,
      `update documents set sealed_meta = null, filename = 'gammelt.pdf', title = 'Gammelt' where letter_id = '${letterId}'`,
    );
    // Read as it is until then.
    const before = await api(server, high, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${letterId}`);
    expect(before.body).toMatchObject({
      subject: 'Gammelt vedtak',
      documents: [{ title: 'Gammelt', filename: 'gammelt.pdf' }],
    });

    expect(await sealPlainMetadata(server.ctx.deps, { pageSize: 1 })).toEqual({ letters: 1, documents: 1, secrets: 0 });
    expect(await sealPlainMetadata(server.ctx.deps)).toEqual({ letters: 0, documents: 0, secrets: 0 });
    const row = await letterRow(letterId);
    expect(row).toMatchObject({ subject: '', search_subject: null, sender_reference: null });
    expect((await documentRows(letterId))[0]).toMatchObject({ title: null, filename: '' });
    const after = await api(server, high, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${letterId}`);
    expect(after.body).toMatchObject({
      subject: 'Gammelt vedtak',
      documents: [{ title: 'Gammelt', filename: 'gammelt.pdf' }],
    });
    const sent = await api(server, apiKey, 'GET', `/api/v1/messages/${externalId}`);
    expect(sent.body).toMatchObject({ subject: 'Gammelt vedtak', senderReference: 'GAMMEL-1' });
  });
  it("moves actions and extras an older version sealed with the platform key into the letter's own seal", async () => {
    const deps = server.ctx.deps;
    const url = `https://minside.example.no/${marker}`;
    const message = letterJson({
      subject: `Med handling ${marker}`,
      actions: [{ type: 'selfService', label: 'Svar', url }],
    });
    expect((await sendLetterHttp(server, apiKey, message)).status).toBe(201);
    const [{ id: found } = { id: '' }] = await rawStatement<{ id: string }>(
      server,
      `select id from letters where external_id = '${message.id}'`,
    );
    const opened = await deps.store.read.letters.get(found);
    expect(opened?.actions).not.toBeNull();
    // As an older version kept them: sealed by the platform key in columns of their own, and the
    // letter's seal without them.
    const mailbox = await deps.store.read.mailboxes.get(mailboxId);
    const keyholder = mailbox as NonNullable<typeof mailbox>;
    const actions = await deps.vault.sealSecret(`letter-actions:${found}`, opened?.actions as Uint8Array);
    const extras = await deps.vault.sealSecret(`letter-extras:${found}`, Buffer.from(`{"memo":"${marker}"}`));
    const oldMeta = await deps.vault.sealMeta(
      keyholder,
      `letter:${found}`,
      Buffer.from(JSON.stringify({ subject: opened?.subject, senderReference: null, printDetails: null })),
    );
    const bytes = (b: Uint8Array) =>
      dialect === 'postgres'
        ? `decode('${Buffer.from(b).toString('hex')}', 'hex')`
        : `X'${Buffer.from(b).toString('hex')}'`;
    await rawStatement(
      server,
      `update letters set actions = ${bytes(actions)}, extras = ${bytes(extras)}, sealed_meta = ${bytes(oldMeta)} where id = '${found}'`,
    );
    const shown = async () =>
      (await api(server, high, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${found}`)).body.actions;
    // Read as they are until the server moves them.
    expect(await shown()).toEqual([expect.objectContaining({ type: 'selfService', url })]);

    expect(await sealPlainMetadata(deps)).toEqual({ letters: 0, documents: 0, secrets: 1 });
    expect(await sealPlainMetadata(deps)).toEqual({ letters: 0, documents: 0, secrets: 0 });
    const [row] = await rawStatement<{ actions: unknown; extras: unknown; sealed_meta: Uint8Array }>(
      server,
      `select actions, extras, sealed_meta from letters where id = '${found}'`,
    );
    expect(row).toMatchObject({ actions: null, extras: null });
    // Now under the mailbox's key, shredded with it; the platform's key no longer opens them.
    const meta = JSON.parse(
      Buffer.from(await deps.vault.openMeta(keyholder, `letter:${found}`, row?.sealed_meta as Uint8Array)).toString(),
    );
    expect(JSON.parse(meta.actions)).toEqual([expect.objectContaining({ url })]);
    expect(JSON.parse(meta.extras)).toEqual({ memo: marker });
    await expect(
      deps.vault.openMeta(platformKeyholder, `letter:${found}`, row?.sealed_meta as Uint8Array),
    ).rejects.toThrow();
    expect(await shown()).toEqual([expect.objectContaining({ type: 'selfService', url })]);
  });
});
