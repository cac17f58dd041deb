/**
 * A letter's id is the sender's idempotency key: the same letter sent again (or many times at
 * once) exists once and answers the same; other content under the same id is a conflict. And
 * mailbox organisation end to end: folders, read state, trash and restore.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  type HttpAnswer,
  letterJson,
  type Part,
  people,
  sendLetterHttp,
  startTestServer,
  storedBlobs,
  type TestServer,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const dialects = await testDialects();

type Res = HttpAnswer;

/** A second, different valid PDF. */
const otherPdf = Buffer.from(tinyPdf.toString('latin1').replace('595 842', '612 792'), 'latin1');

/**
 * Valid organization numbers for the extra senders: the harness's `testOrgNumbers` hold only three
 * valid ones (910000003, 920000004 and 930000005 fail the mod-11 check), so a fourth
 * `server.sender()` without an explicit number fails.
 */
const extraOrgNumbers = ['910000004', '910010018', '910020021', '910030035'];

const twoDocuments = {
  documents: [
    { part: 'main', role: 'main', filename: 'vedtak.pdf', mediaType: 'application/pdf', title: 'Vedtak' },
    { part: 'note', role: 'attachment', filename: 'note.txt', mediaType: 'text/plain' },
  ],
};
const twoParts: Part[] = [
  { name: 'main', content: tinyPdf, type: 'application/pdf' },
  { name: 'note', content: 'A short note', type: 'text/plain' },
];

describe.each(dialects)('idempotent sending (%s)', (dialect) => {
  let server: TestServer;
  let apiKey: string;
  let mailboxId: string;
  let token: string;

  let extra = 0;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    ({ apiKey } = await server.sender('public'));
    ({ mailboxId } = await server.person(people.kari, 'Kari Nordmann'));
    token = await server.token(people.kari, 'high');
  });
  afterAll(() => server.close());

  const newSender = () => server.sender('public', extraOrgNumbers[extra++]);

  async function inbox(): Promise<Array<{ id: string; subject: string }>> {
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?limit=200`);
    expect(list.status).toBe(200);
    return list.body.items;
  }

  async function status(id: string, key = apiKey): Promise<Res> {
    const res = await fetch(`${server.url}/api/v1/messages/${id}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, headers: res.headers, body: await res.json() };
  }

  /**
   * The sender's whole event feed once it has settled. On PostgreSQL the feed shows only
   * transactions older than every one still running in the cluster, so events can show up a
   * moment after the 201. A marker letter (rejected: no blobs, no mailbox) is sent after
   * everything else; once its event shows, every earlier committed event shows too.
   */
  async function feed(key: string): Promise<Array<{ messageId: string; type: string }>> {
    const marker = letterJson({ recipient: { nationalId: people.per }, subject: 'Feed marker' });
    expect((await sendLetterHttp(server, key, marker)).body.status).toBe('REJECTED');
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await fetch(`${server.url}/api/v1/events?limit=1000`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.status).toBe(200);
      const items = ((await res.json()) as { items: Array<{ messageId: string; type: string }> }).items;
      if (items.some((e) => e.messageId === marker.id)) return items.filter((e) => e.messageId !== marker.id);
      if (Date.now() > deadline) throw new Error('the event feed did not show the marker letter within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('answers the same letter sent twice the same, and stores it once', async () => {
    const blobsBefore = await storedBlobs(server);
    const message = letterJson({ subject: 'Sent twice' });
    const first = await sendLetterHttp(server, apiKey, message);
    const second = await sendLetterHttp(server, apiKey, message);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toMatchObject({ id: message.id, status: 'DELIVERED', documentCount: 1 });
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.status).toBe(first.body.status);
    expect(second.body.events).toEqual(first.body.events);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));

    expect((await inbox()).filter((i) => i.subject === 'Sent twice')).toHaveLength(1);
    expect(await storedBlobs(server)).toHaveLength(blobsBefore.length + 1);
    expect((await feed(apiKey)).filter((e) => e.messageId === message.id).map((e) => e.type)).toEqual([
      'ACCEPTED',
      'DELIVERED',
    ]);
  });

  it('treats the id case-insensitively: the same letter with the id in capitals is a replay', async () => {
    const message = letterJson({ subject: 'Capital id' });
    const first = await sendLetterHttp(server, apiKey, message);
    const again = await sendLetterHttp(server, apiKey, { ...message, id: message.id.toUpperCase() });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect((await inbox()).filter((i) => i.subject === 'Capital id')).toHaveLength(1);
  });

  it('treats the same letter with its JSON keys in another order and other spacing as a replay', async () => {
    const message = letterJson({ subject: 'Reordered JSON' });
    const first = await sendLetterHttp(server, apiKey, message);
    const reordered = Object.fromEntries(Object.entries(message).reverse());
    const again = await sendLetterHttp(server, apiKey, JSON.stringify(reordered, null, 2));
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await inbox()).filter((i) => i.subject === 'Reordered JSON')).toHaveLength(1);
  });

  it('stores a letter sent 20 times concurrently once, with one set of blobs and events', async () => {
    const { apiKey: key } = await newSender();
    const blobsBefore = await storedBlobs(server);
    const message = letterJson({ subject: 'Sent 20 times at once', ...twoDocuments });
    const answers = await Promise.all(Array.from({ length: 20 }, () => sendLetterHttp(server, key, message, twoParts)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    for (const a of answers) {
      expect(a.body).toMatchObject({ id: message.id, status: 'DELIVERED', documentCount: 2 });
      expect(a.body.events).toEqual(answers[0]!.body.events);
    }
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);

    expect((await inbox()).filter((i) => i.subject === 'Sent 20 times at once')).toHaveLength(1);
    const events = await feed(key);
    expect(events.map((e) => `${e.messageId}:${e.type}`)).toEqual([
      `${message.id}:ACCEPTED`,
      `${message.id}:DELIVERED`,
    ]);
    const blobsAfter = await storedBlobs(server);
    expect(blobsAfter).toHaveLength(blobsBefore.length + 2);
    const got = await status(message.id, key);
    expect(got.body).toMatchObject({ documentCount: 2 });
    expect(got.body.events).toHaveLength(2);
  });

  it('lets exactly one of 20 concurrent different letters under one id win; the rest are conflicts', async () => {
    const { apiKey: key } = await newSender();
    const blobsBefore = await storedBlobs(server);
    const id = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sendLetterHttp(server, key, letterJson({ id, subject: `Variant ${i}` }))),
    );
    const won = answers.filter((a) => a.status === 201);
    expect(won).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expectProblem(a, 409, 'idempotency_conflict');
    }
    const subjects = (await inbox()).filter((i) => i.subject.startsWith('Variant ')).map((i) => i.subject);
    expect(subjects).toEqual([won[0]!.body.subject]);
    expect(await storedBlobs(server)).toHaveLength(blobsBefore.length + 1);
  });

  it('refuses the same id with another subject with 409 and keeps the first letter', async () => {
    const message = letterJson({ subject: 'Original subject' });
    const first = await sendLetterHttp(server, apiKey, message);
    expect(first.status).toBe(201);
    const blobsBefore = await storedBlobs(server);
    const other = await sendLetterHttp(server, apiKey, { ...message, subject: 'Changed subject' });
    expectProblem(other, 409, 'idempotency_conflict');
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    const got = await status(message.id);
    expect(got.body.subject).toBe('Original subject');
    const subjects = (await inbox()).map((i) => i.subject);
    expect(subjects.filter((s) => s === 'Original subject')).toHaveLength(1);
    expect(subjects).not.toContain('Changed subject');
    expect(await storedBlobs(server)).toEqual(blobsBefore);
  });

  it('refuses the same id with other document bytes or another file name with 409', async () => {
    const message = letterJson({ subject: 'Original bytes' });
    expect((await sendLetterHttp(server, apiKey, message)).status).toBe(201);
    const blobsBefore = await storedBlobs(server);
    const otherBytes = await sendLetterHttp(server, apiKey, message, [
      { name: 'main', content: otherPdf, type: 'application/pdf' },
    ]);
    expectProblem(otherBytes, 409, 'idempotency_conflict');
    const renamed = {
      ...message,
      documents: [{ part: 'main', role: 'main', filename: 'other.pdf', mediaType: 'application/pdf', title: 'Vedtak' }],
    };
    expectProblem(await sendLetterHttp(server, apiKey, renamed), 409, 'idempotency_conflict');
    expect(await storedBlobs(server)).toEqual(blobsBefore);

    const letter = (await inbox()).find((i) => i.subject === 'Original bytes')!;
    const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${letter.id}`);
    expect(detail.body.documents).toMatchObject([{ filename: 'vedtak.pdf', size: tinyPdf.length }]);
    const content = await api(
      server,
      token,
      'GET',
      `/api/v1/mailboxes/${mailboxId}/messages/${letter.id}/documents/${detail.body.documents[0].id}/content`,
    );
    expect(Buffer.compare(content.body, tinyPdf)).toBe(0);
  });

  it('keeps the same id from two different senders as two independent letters', async () => {
    const a = await newSender();
    const b = await newSender();
    const blobsBefore = await storedBlobs(server);
    const id = randomUUID();
    const fromA = await sendLetterHttp(server, a.apiKey, letterJson({ id, subject: 'From sender A' }));
    const fromB = await sendLetterHttp(server, b.apiKey, letterJson({ id, subject: 'From sender B' }));
    expect(fromA.status).toBe(201);
    expect(fromB.status).toBe(201);
    expect(fromB.headers.get('idempotent-replayed')).toBeNull();
    expect(fromA.body).toMatchObject({ id, status: 'DELIVERED', subject: 'From sender A' });
    expect(fromB.body).toMatchObject({ id, status: 'DELIVERED', subject: 'From sender B' });
    expect(fromB.body.events[0].id).not.toBe(fromA.body.events[0].id);

    expect((await status(id, a.apiKey)).body.subject).toBe('From sender A');
    expect((await status(id, b.apiKey)).body.subject).toBe('From sender B');
    const subjects = (await inbox()).map((i) => i.subject);
    expect(subjects.filter((s) => s === 'From sender A' || s === 'From sender B').sort()).toEqual([
      'From sender A',
      'From sender B',
    ]);
    expect(await storedBlobs(server)).toHaveLength(blobsBefore.length + 2);
    expect((await feed(a.apiKey)).map((e) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
    expect((await feed(b.apiKey)).map((e) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
  });
});

describe.each(dialects)('organising a mailbox (%s)', (dialect) => {
  let server: TestServer;
  let apiKey: string;
  let mailboxId: string;
  let token: string;
  let system: { inbox: string; archive: string; trash: string };

  const base = () => `/api/v1/mailboxes/${mailboxId}`;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    ({ apiKey } = await server.sender('public'));
    ({ mailboxId } = await server.person(people.kari, 'Kari Nordmann'));
    token = await server.token(people.kari, 'high');
    const folders = await api(server, token, 'GET', `${base()}/folders`);
    expect(folders.status).toBe(200);
    const byKind = (kind: string) => folders.body.items.find((f: { kind: string }) => f.kind === kind).id as string;
    system = { inbox: byKind('inbox'), archive: byKind('archive'), trash: byKind('trash') };
  });
  afterAll(() => server.close());

  /** Delivers a letter and returns its id in the mailbox. */
  async function deliver(subject: string): Promise<string> {
    const sent = await sendLetterHttp(server, apiKey, letterJson({ subject }));
    expect(sent.body.status).toBe('DELIVERED');
    const list = await api(server, token, 'GET', `${base()}/messages?limit=200`);
    return list.body.items.find((i: { subject: string }) => i.subject === subject).id;
  }

  async function listed(folder: string): Promise<Array<{ id: string; trashedAt: string | null; read: boolean }>> {
    const list = await api(server, token, 'GET', `${base()}/messages?folder=${folder}&limit=200`);
    expect(list.status).toBe(200);
    return list.body.items;
  }

  async function folders(): Promise<Array<{ id: string; kind: string; name: string; total: number; unread: number }>> {
    return (await api(server, token, 'GET', `${base()}/folders`)).body.items;
  }

  const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);

  it('moves a letter to the archive by folder id and by system name', async () => {
    const id = await deliver('To the archive');
    const moved = await api(server, token, 'PATCH', `${base()}/messages/${id}`, { folderId: system.archive });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id, folderId: system.archive, trashedAt: null });
    expect(ids(await listed('archive'))).toContain(id);
    expect(ids(await listed(system.archive))).toContain(id);
    expect(ids(await listed('inbox'))).not.toContain(id);

    const back = await api(server, token, 'PATCH', `${base()}/messages/${id}`, { folderId: 'inbox' });
    expect(back.body.folderId).toBe(system.inbox);
    expect(ids(await listed('inbox'))).toContain(id);
    expect(ids(await listed('archive'))).not.toContain(id);
  });

  it('marks a letter read and unread, and the folder counts follow', async () => {
    const id = await deliver('Read and unread');
    const inboxBefore = (await folders()).find((f) => f.kind === 'inbox')!;
    const read = await api(server, token, 'PATCH', `${base()}/messages/${id}`, { read: true });
    expect(read.status).toBe(200);
    expect(read.body.read).toBe(true);
    expect((await folders()).find((f) => f.kind === 'inbox')).toMatchObject({
      total: inboxBefore.total,
      unread: inboxBefore.unread - 1,
    });
    const again = await api(server, token, 'PATCH', `${base()}/messages/${id}`, { read: true });
    expect(again.body.read).toBe(true);
    const unread = await api(server, token, 'PATCH', `${base()}/messages/${id}`, { read: false });
    expect(unread.body.read).toBe(false);
    expect((await api(server, token, 'GET', `${base()}/messages/${id}`)).body.read).toBe(false);
    expect((await folders()).find((f) => f.kind === 'inbox')).toMatchObject(inboxBefore);
  });

  it('moves a deleted letter to the trash and restores it to the folder it was in', async () => {
    const id = await deliver('Trash and back');
    await api(server, token, 'PATCH', `${base()}/messages/${id}`, { folderId: system.archive });
    const del = await api(server, token, 'DELETE', `${base()}/messages/${id}`);
    expect(del.status).toBe(204);
    const inTrash = (await listed('trash')).find((i) => i.id === id);
    expect(inTrash).toMatchObject({ trashedAt: expect.any(String) });
    expect(ids(await listed('archive'))).not.toContain(id);
    const detail = await api(server, token, 'GET', `${base()}/messages/${id}`);
    expect(detail.body).toMatchObject({ folderId: system.trash, trashedAt: expect.any(String) });

    // Deleting again is harmless and keeps the first trashing time.
    expect((await api(server, token, 'DELETE', `${base()}/messages/${id}`)).status).toBe(204);
    expect((await api(server, token, 'GET', `${base()}/messages/${id}`)).body.trashedAt).toBe(detail.body.trashedAt);

    const restored = await api(server, token, 'POST', `${base()}/messages/${id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id, folderId: system.archive, trashedAt: null });
    expect(ids(await listed('archive'))).toContain(id);
    expect(ids(await listed('trash'))).not.toContain(id);
  });

  it('refuses to move a letter to the trash by PATCH (422 invalid_operation)', async () => {
    const id = await deliver('Not by patch');
    for (const folderId of [system.trash, 'trash']) {
      const res = await api(server, token, 'PATCH', `${base()}/messages/${id}`, { folderId });
      expectProblem(res, 422, 'invalid_operation');
    }
    const detail = await api(server, token, 'GET', `${base()}/messages/${id}`);
    expect(detail.body).toMatchObject({ folderId: system.inbox, trashedAt: null });
    expect(ids(await listed('trash'))).not.toContain(id);
  });

  it('takes a trashed letter out of the trash when it is moved to another folder', async () => {
    const id = await deliver('Out of the trash by move');
    expect((await api(server, token, 'DELETE', `${base()}/messages/${id}`)).status).toBe(204);
    const moved = await api(server, token, 'PATCH', `${base()}/messages/${id}`, { folderId: 'archive' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ folderId: system.archive, trashedAt: null });
    expect(ids(await listed('trash'))).not.toContain(id);
    // Restoring it now changes nothing: it is not in the trash.
    const restored = await api(server, token, 'POST', `${base()}/messages/${id}/restore`);
    expect(restored.body).toMatchObject({ folderId: system.archive, trashedAt: null });
  });

  it('refuses to move a letter to a folder that does not exist (404) and leaves it where it was', async () => {
    const id = await deliver('Nowhere');
    const res = await api(server, token, 'PATCH', `${base()}/messages/${id}`, { folderId: randomUUID() });
    expectProblem(res, 404, 'not_found');
    expect((await api(server, token, 'GET', `${base()}/messages/${id}`)).body.folderId).toBe(system.inbox);
  });

  it('creates, renames and deletes a folder; its letters go back to the inbox', async () => {
    const created = await api(server, token, 'POST', `${base()}/folders`, { name: 'Skatt' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'custom', name: 'Skatt', total: 0, unread: 0 });
    const folderId = created.body.id as string;

    const id = await deliver('Into a folder');
    const moved = await api(server, token, 'PATCH', `${base()}/messages/${id}`, { folderId });
    expect(moved.body.folderId).toBe(folderId);
    expect((await folders()).find((f) => f.id === folderId)).toMatchObject({ total: 1, unread: 1 });
    expect(ids(await listed(folderId))).toEqual([id]);

    const renamed = await api(server, token, 'PATCH', `${base()}/folders/${folderId}`, { name: 'Skatt 2025' });
    expect(renamed.status).toBe(204);
    expect((await folders()).find((f) => f.id === folderId)?.name).toBe('Skatt 2025');

    const deleted = await api(server, token, 'DELETE', `${base()}/folders/${folderId}`);
    expect(deleted.status).toBe(204);
    expect((await folders()).find((f) => f.id === folderId)).toBeUndefined();
    const detail = await api(server, token, 'GET', `${base()}/messages/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.folderId).toBe(system.inbox);
    expect(ids(await listed('inbox'))).toContain(id);
    expectProblem(await api(server, token, 'GET', `${base()}/messages?folder=${folderId}`), 404, 'not_found');
  });

  it('restores a trashed letter to the inbox when its folder was deleted meanwhile', async () => {
    const folder = await api(server, token, 'POST', `${base()}/folders`, { name: 'Short-lived' });
    const id = await deliver('Orphaned in trash');
    await api(server, token, 'PATCH', `${base()}/messages/${id}`, { folderId: folder.body.id });
    expect((await api(server, token, 'DELETE', `${base()}/messages/${id}`)).status).toBe(204);
    expect((await api(server, token, 'DELETE', `${base()}/folders/${folder.body.id}`)).status).toBe(204);
    // Still in the trash: deleting a folder does not pull letters out of the trash.
    expect(ids(await listed('trash'))).toContain(id);
    const restored = await api(server, token, 'POST', `${base()}/messages/${id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ folderId: system.inbox, trashedAt: null });
  });

  it('refuses a duplicate folder name with 409 folder_name_taken', async () => {
    const first = await api(server, token, 'POST', `${base()}/folders`, { name: 'Bank' });
    expect(first.status).toBe(201);
    const other = await api(server, token, 'POST', `${base()}/folders`, { name: 'Forsikring' });
    expect(other.status).toBe(201);
    const before = await folders();

    expectProblem(await api(server, token, 'POST', `${base()}/folders`, { name: 'Bank' }), 409, 'folder_name_taken');
    expectProblem(await api(server, token, 'POST', `${base()}/folders`, { name: 'bank' }), 409, 'folder_name_taken');
    // The system folders' names as the inbox shows them in nb, da and en are taken too.
    for (const name of ['Innboks', 'papirkurv', 'INDBAKKE', 'Arkiv', 'Trash']) {
      expectProblem(await api(server, token, 'POST', `${base()}/folders`, { name }), 409, 'folder_name_taken');
    }
    expectProblem(await api(server, token, 'POST', `${base()}/folders`, { name: '  Bank ' }), 409, 'folder_name_taken');
    expectProblem(
      await api(server, token, 'PATCH', `${base()}/folders/${other.body.id}`, { name: 'Bank' }),
      409,
      'folder_name_taken',
    );
    expect(await folders()).toEqual(before);

    // Renaming a folder to its own name (or another case of it) is no clash.
    expect((await api(server, token, 'PATCH', `${base()}/folders/${first.body.id}`, { name: 'BANK' })).status).toBe(
      204,
    );
    expect((await folders()).find((f) => f.id === first.body.id)?.name).toBe('BANK');
  });

  it('refuses a blank or invisible folder name, control and bidi characters, and one name spelled two ways', async () => {
    const before = await folders();
    expectProblem(await api(server, token, 'POST', `${base()}/folders`, { name: '' }), 400, 'validation_failed');
    for (const name of ['   ', '\u200b', '\u200b \u2060']) {
      const res = await api(server, token, 'POST', `${base()}/folders`, { name });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors[0].code, JSON.stringify(name)).toBe('invalid_folder_name');
    }
    for (const name of ['Linje\nskift', 'Tab\tulator', 'gnp.\u202eexe', 'bell\u0007']) {
      const res = await api(server, token, 'POST', `${base()}/folders`, { name });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors[0].code, JSON.stringify(name)).toBe('control_character');
    }
    expect(await folders()).toEqual(before);
    // NFC and NFD spellings, and a zero-width space, are the same name; 60 emoji fit in 100 characters.
    const nfc = await api(server, token, 'POST', `${base()}/folders`, { name: 'Skått' });
    expect(nfc.status).toBe(201);
    for (const name of ['Ska\u030att', 'Skått\u200b', 'Sk\u200bått']) {
      expectProblem(await api(server, token, 'POST', `${base()}/folders`, { name }), 409, 'folder_name_taken');
    }
    const emoji = await api(server, token, 'POST', `${base()}/folders`, { name: '📁'.repeat(60) });
    expect(emoji.status, JSON.stringify(emoji.body)).toBe(201);
    expect((await folders()).find((f) => f.id === emoji.body.id)?.name).toBe('📁'.repeat(60));
    await api(server, token, 'DELETE', `${base()}/folders/${nfc.body.id}`);
    await api(server, token, 'DELETE', `${base()}/folders/${emoji.body.id}`);
  });

  it('holds at most 200 folders of the owner, and takes one again when one is deleted', async () => {
    const existing = (await folders()).filter((f) => f.kind === 'custom').length;
    const made: string[] = [];
    for (let i = existing; i < 200; i++) {
      const res = await api(server, token, 'POST', `${base()}/folders`, { name: `Mappe ${i}` });
      expect(res.status).toBe(201);
      made.push(res.body.id);
    }
    const over = await api(server, token, 'POST', `${base()}/folders`, { name: 'One too many' });
    expectProblem(over, 422, 'invalid_operation');
    expect(over.body.detail).toContain('200');
    await api(server, token, 'DELETE', `${base()}/folders/${made.pop()}`);
    const again = await api(server, token, 'POST', `${base()}/folders`, { name: 'One too many' });
    expect(again.status).toBe(201);
    made.push(again.body.id);
    for (const id of made) await api(server, token, 'DELETE', `${base()}/folders/${id}`);
  });

  it('refuses to rename or delete a system folder (422)', async () => {
    const before = await folders();
    for (const folderId of [system.inbox, system.archive, system.trash]) {
      expectProblem(
        await api(server, token, 'PATCH', `${base()}/folders/${folderId}`, { name: 'Mine now' }),
        422,
        'invalid_operation',
      );
      expectProblem(await api(server, token, 'DELETE', `${base()}/folders/${folderId}`), 422, 'invalid_operation');
    }
    expect(await folders()).toEqual(before);
    expect(before.filter((f) => f.kind !== 'custom').map((f) => f.name)).toEqual(['Inbox', 'Archive', 'Trash']);
  });
});
