import { rename, rm, writeFile } from 'node:fs/promises';
import { LETTER_EVENT_TYPES } from '@postkasse/core';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  letterJson,
  people,
  sendLetterHttp,
  startTestServer,
  type TestServer,
  tinyPdf,
} from '../../../test/harness.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Every `$ref` in a document that does not point at something in it (local refs only). */
function unresolvedRefs(document: unknown): string[] {
  const resolves = (ref: string) => {
    if (!ref.startsWith('#/')) return false;
    let node: any = document;
    for (const step of ref.slice(2).split('/')) {
      const key = step.replace(/~1/g, '/').replace(/~0/g, '~');
      if (node === null || typeof node !== 'object' || !(key in node)) return false;
      node = node[key];
    }
    return true;
  };
  const unresolved: string[] = [];
  const visit = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && !resolves(value)) unresolved.push(value);
      else visit(value);
    }
  };
  visit(document);
  return unresolved;
}

describe('operations endpoints and the API description', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite');
    await server.person(people.kari);
  });
  afterAll(() => server.close());

  it('answers health and readiness', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('is not ready while the blob store cannot be written (a mount gone), and ready again after', async () => {
    const dir = server.ctx.config.blobDir;
    await rename(dir, `${dir}.away`);
    await writeFile(dir, '');
    try {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { detail: string }).detail).toBe('The blob store cannot be written (ENOTDIR)');
      expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    } finally {
      await rm(dir);
      await rename(`${dir}.away`, dir);
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('describes every API route in the OpenAPI 3.1 document', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }>; security?: unknown }>
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    const expected = [
      ['post', '/api/v1/messages'],
      ['get', '/api/v1/messages/{id}'],
      ['get', '/api/v1/events'],
      ['get', '/api/v1/me/mailboxes'],
      ['get', '/api/v1/mailboxes/{mailboxId}/messages'],
      ['get', '/api/v1/mailboxes/{mailboxId}/messages/{messageId}'],
      ['patch', '/api/v1/mailboxes/{mailboxId}/messages/{messageId}'],
      ['delete', '/api/v1/mailboxes/{mailboxId}/messages/{messageId}'],
      ['post', '/api/v1/mailboxes/{mailboxId}/messages/{messageId}/restore'],
      ['get', '/api/v1/mailboxes/{mailboxId}/messages/{messageId}/documents/{documentId}/content'],
      ['get', '/api/v1/mailboxes/{mailboxId}/messages/{messageId}/actions/{index}/calendar'],
      ['get', '/api/v1/mailboxes/{mailboxId}/folders'],
      ['post', '/api/v1/mailboxes/{mailboxId}/folders'],
      ['patch', '/api/v1/mailboxes/{mailboxId}/folders/{folderId}'],
      ['delete', '/api/v1/mailboxes/{mailboxId}/folders/{folderId}'],
      ['get', '/api/v1/mailboxes/{mailboxId}/audit'],
      ['get', '/api/v1/mailboxes/{mailboxId}/grants'],
      ['post', '/api/v1/mailboxes/{mailboxId}/grants'],
      ['delete', '/api/v1/mailboxes/{mailboxId}/grants/{grantId}'],
      ['get', '/api/v1/mailboxes/{mailboxId}/members'],
      ['post', '/api/v1/mailboxes/{mailboxId}/members'],
      ['delete', '/api/v1/mailboxes/{mailboxId}/members/{memberId}'],
      ['get', '/api/v1/me/senders'],
      ['get', '/api/v1/senders/{senderId}/api-keys'],
      ['post', '/api/v1/senders/{senderId}/api-keys'],
      ['post', '/api/v1/senders/{senderId}/api-keys/{keyId}/rotate'],
      ['delete', '/api/v1/senders/{senderId}/api-keys/{keyId}'],
      ['get', '/api/v1/senders/{senderId}/client-keys'],
      ['post', '/api/v1/senders/{senderId}/client-keys'],
      ['delete', '/api/v1/senders/{senderId}/client-keys/{keyId}'],
      ['post', '/api/v1/messages/{id}/cancel'],
      ['post', '/api/v1/register/lookup'],
      ['post', '/api/v1/consents'],
      ['delete', '/api/v1/consents/{nationalId}'],
      ['get', '/api/v1/me/register'],
      ['patch', '/api/v1/me/register'],
      ['post', '/api/v1/me/register/confirm'],
      ['get', '/api/v1/me/register/history'],
      ['get', '/api/v1/me/consents'],
      ['put', '/api/v1/me/consents/{orgNumber}'],
      ['delete', '/api/v1/me/consents/{orgNumber}'],
      ['post', '/api/v1/batches'],
      ['get', '/api/v1/batches/{id}'],
      ['delete', '/api/v1/batches/{id}'],
      ['post', '/api/v1/batches/{id}/documents'],
      ['post', '/api/v1/batches/{id}/messages'],
      ['post', '/api/v1/batches/{id}/commit'],
      ['post', '/api/v1/webhooks'],
      ['get', '/api/v1/webhooks'],
      ['get', '/api/v1/webhooks/{id}'],
      ['delete', '/api/v1/webhooks/{id}'],
      ['get', '/api/v1/messages/{id}/memo'],
      ['post', '/api/v1/sdp/messages'],
      ['get', '/api/v1/sdp/messages/{id}/receipts'],
      ['put', '/api/v1/mailboxes/{mailboxId}/notifications'],
      ['get', '/api/v1/mailboxes/{mailboxId}/changes'],
    ];
    for (const [method, path] of expected) {
      const op = doc.paths[path as string]?.[method as string];
      expect(op, `${method} ${path}`).toBeDefined();
      // …and the server really has the route the document describes.
      const url = (path as string).replace(/\{(\w+)\}/g, ':$1');
      expect(
        server.app.hasRoute({ method: (method as string).toUpperCase() as 'GET', url }),
        `${method} ${path} route`,
      ).toBe(true);
      expect(op?.security, `${method} ${path} security`).toBeDefined();
      expect(
        Object.keys(op?.responses ?? {}).some((s) => s.startsWith('4')),
        `${method} ${path} errors`,
      ).toBe(true);
      // Errors are described as what they are on the wire.
      for (const [status, answer] of Object.entries(op?.responses ?? {})) {
        if (Number(status) >= 400) {
          expect(Object.keys(answer.content ?? {}), `${method} ${path} ${status}`).toEqual([
            'application/problem+json',
          ]);
        }
      }
    }
    // Request bodies read part by part are described too, each form as what it is.
    const bodyOf = (path: string) =>
      (doc.paths[path]?.post as { requestBody?: { content: Record<string, { schema: any }> } } | undefined)?.requestBody
        ?.content;
    expect(bodyOf('/api/v1/messages')?.['application/vnd.memo+xml']?.schema.type).toBe('string');
    expect(bodyOf('/api/v1/messages')?.['multipart/form-data']?.schema.required).toEqual(['message']);
    expect(bodyOf('/api/v1/batches/{id}/documents')?.['multipart/form-data']?.schema.properties.file.format).toBe(
      'binary',
    );
    expect(Object.keys(bodyOf('/api/v1/sdp/messages')?.['multipart/form-data']?.schema.properties ?? {})).toEqual([
      'message',
      'package',
    ]);
    const apiPaths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/'));
    expect(apiPaths.length).toBe(new Set(expected.map(([, p]) => p)).size);
  });

  it('names every operation once, for code generators, and describes every tag it uses', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      tags: { name: string; description: string }[];
      paths: Record<string, Record<string, { operationId?: string; summary?: string; tags?: string[] }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ where: `${method} ${path}`, ...op })),
    );
    expect(operations.length).toBeGreaterThan(60);
    const declared = new Set(doc.tags.map((t) => t.name));
    for (const tag of doc.tags) expect(tag.description, tag.name).toMatch(/\w/);
    const seen = new Map<string, string>();
    for (const op of operations) {
      expect(op.operationId, op.where).toMatch(/^[a-z][A-Za-z]+$/);
      const id = op.operationId as string;
      expect(seen.get(id), `${op.where} repeats the operationId of ${seen.get(id)}`).toBeUndefined();
      seen.set(id, op.where);
      expect(op.summary, op.where).toMatch(/\w/);
      for (const tag of op.tags ?? []) expect(declared.has(tag), `${op.where}: tag ${tag}`).toBe(true);
    }
    // One route answering GET and HEAD is two operations with two names.
    const content = doc.paths['/api/v1/mailboxes/{mailboxId}/messages/{messageId}/documents/{documentId}/content'];
    expect(content?.get?.operationId).toBe('getDocumentContent');
    expect(content?.head?.operationId).toBe('headDocumentContent');
    expect(doc.paths['/api/v1/messages']?.post?.operationId).toBe('sendMessage');
  });

  it('describes the letter JSON of a multipart letter, and every $ref in the document resolves', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as any;
    const letter = doc.components.schemas.LetterJson;
    expect(Object.keys(letter.properties)).toEqual(expect.arrayContaining(['id', 'recipient', 'subject', 'documents']));
    expect(letter.required).toEqual(expect.arrayContaining(['id', 'recipient', 'subject', 'documents']));
    const document = letter.properties.documents.items.properties;
    for (const field of ['part', 'role', 'mediaType', 'filename']) {
      expect(document[field].description, `documents[].${field}`).toEqual(expect.any(String));
    }
    expect(document.mediaType.description).toContain('application/pdf');
    expect(letter.properties.authLevel.description).toMatch(/default high/);
    expect(letter.properties.nonSensitiveTitle.description).toMatch(/Recommended/);
    expect(letter.properties.sensitivity.description).toMatch(/default normal/);
    // Plain JSON Schema: no $id inside it to change what a $ref in it means.
    expect(JSON.stringify(letter)).not.toContain('"$id"');

    const form = doc.paths['/api/v1/messages'].post.requestBody.content['multipart/form-data'];
    expect(form.schema.properties.message).toEqual({ $ref: '#/components/schemas/LetterJson' });
    expect(form.encoding).toEqual({ message: { contentType: 'application/json' } });
    expect(unresolvedRefs(doc)).toEqual([]);

    // The published schema takes the letters the server takes.
    const validate = addFormats(new Ajv({ allErrors: true, strict: false })).compile(letter);
    expect(validate(letterJson()), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(letterJson({ senderReference: null, nonSensitiveTitle: null }))).toBe(true);
    expect(validate(letterJson({ documents: [] }))).toBe(false);
    // Its example is a letter the schema takes, and one the server sends.
    expect(letter.examples).toHaveLength(1);
    expect(validate(letter.examples[0]), JSON.stringify(validate.errors)).toBe(true);
    const { apiKey } = await server.sender('public');
    expect(letter.examples[0].recipient).toEqual({ nationalId: people.kari });
    const pdf = { content: tinyPdf, type: 'application/pdf' };
    const sent = await sendLetterHttp(server, apiKey, letter.examples[0], [
      { name: 'doc1', filename: 'vedtak.pdf', ...pdf },
      { name: 'doc2', filename: 'klagerett.pdf', ...pdf },
    ]);
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body).toMatchObject({ status: 'DELIVERED', documentCount: 2 });
  });

  it('lists the event types and what each event carries', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as any;
    const json = (answer: any) => answer.content['application/json'].schema;
    const letterEvent = json(doc.paths['/api/v1/messages/{id}'].get.responses['200']).properties.events.items;
    const feedEvent = json(doc.paths['/api/v1/events'].get.responses['200']).properties.items.items;
    for (const event of [letterEvent, feedEvent]) {
      expect(event.properties.type).toEqual({ type: 'string', enum: [...LETTER_EVENT_TYPES] });
      expect(event.properties.type.enum).toEqual(
        expect.arrayContaining(['ACCEPTED', 'DELIVERED', 'OPENED', 'CANCELLED']),
      );
      for (const carried of [
        'NOTIFIED {channel',
        'OPENED {by',
        'REJECTED {reason',
        'PRINTED {reference',
        'HELD {until',
      ]) {
        expect(event.properties.data.description).toContain(carried);
      }
    }
  });

  it('takes null for senderReference and nonSensitiveTitle in the letter JSON, as left out', async () => {
    const { apiKey } = await server.sender();
    const res = await sendLetterHttp(server, apiKey, letterJson({ senderReference: null, nonSensitiveTitle: null }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.senderReference).toBeNull();
  });

  it('serves the browsable API page and Prometheus metrics', async () => {
    const docs = await fetch(`${server.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('<html');
    await fetch(`${server.url}/api/v1/events`);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('postkasse_http_request_duration_seconds_bucket');
    expect(metrics).toMatch(/postkasse_http_problems_total\{status="401"\} \d+/);
  });

  it('answers a method a path does not take with 405 and the methods it does take, and an unknown path with 404', async () => {
    const id = '8c2ea15d-61fb-4ba9-9366-42f8b194c114';
    const cases: Array<[string, string, string]> = [
      ['PUT', '/api/v1/messages', 'POST'],
      ['DELETE', '/api/v1/events?limit=1', 'GET, HEAD'],
      ['POST', `/api/v1/mailboxes/${id}/messages/${id}`, 'GET, HEAD, PATCH, DELETE'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await fetch(`${server.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ code: 'method_not_allowed', retryable: false });
    }
    for (const [method, path] of [
      ['GET', '/api/v1/nothing-here'],
      ['POST', '/api/v1/messages/extra/segments/here'],
    ]) {
      const res = await fetch(`${server.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('allow')).toBeNull();
      expect(((await res.json()) as { code: string }).code).toBe('not_found');
    }
  });

  it('echoes a safe correlation id and replaces an unsafe one', async () => {
    const safe = await fetch(`${server.url}/api/v1/events`, { headers: { 'x-correlation-id': 'abc-123' } });
    expect(safe.headers.get('x-correlation-id')).toBe('abc-123');
    expect(((await safe.json()) as { correlationId: string }).correlationId).toBe('abc-123');
    const unsafe = await fetch(`${server.url}/api/v1/events`, { headers: { 'x-correlation-id': 'a b<script>' } });
    expect(unsafe.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
