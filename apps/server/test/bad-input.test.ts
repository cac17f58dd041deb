/**
 * Bad input on the sender and recipient APIs: every refusal is a clear application/problem+json
 * answer with a stable code, and nothing of a refused letter is stored (no letter, no change in
 * the recipient's mailbox, no blob file).
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  type HttpAnswer,
  letterForm,
  letterJson,
  type Part,
  people,
  startTestServer,
  storedBlobs,
  type TestServer,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const dialects = await testDialects();

const MB = 1024 * 1024;

/** A 1x1 PNG: the content sniffer recognizes it as image/png. */
const tinyPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
/** The start of a Windows executable (MZ header), which the sniffer reports as application/x-msdownload. */
const tinyExe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(126, 0x90)]);

type Res = HttpAnswer;

async function toRes(res: Response): Promise<Res> {
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text so the assertion shows it
  }
  return { status: res.status, headers: res.headers, body };
}

/** A clear problem answer: the media type, the status, the stable code, not retryable, a correlation id. */

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The problem's `errors` name the field. Letter fields may be given relative to the letter JSON
 * (`documents[0].filename`) or to the request (`message.documents[0].filename`); the test
 * `field paths follow one convention` below pins down which.
 */
function expectFieldError(res: Res, path: string, code?: string): void {
  expect(res.body.errors, JSON.stringify(res.body)).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        path: expect.stringMatching(new RegExp(`^(message\\.)?${escapeRe(path)}$`)),
        message: expect.any(String),
        ...(code ? { code } : {}),
      }),
    ]),
  );
}

function pdfDoc(part: string, role = 'main', filename = `${part}.pdf`) {
  return { part, role, filename, mediaType: 'application/pdf', title: part };
}

const pdfPart = (name: string, content: Uint8Array = tinyPdf): Part => ({ name, content, type: 'application/pdf' });

describe.each(dialects)('bad input is refused clearly and stores nothing (%s)', (dialect) => {
  let server: TestServer;
  let apiKey: string;
  let privateKey: string;
  let mailboxId: string;
  let token: string;
  let letterId: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    ({ apiKey } = await server.sender('public'));
    ({ apiKey: privateKey } = await server.sender('private'));
    ({ mailboxId } = await server.person(people.kari, 'Kari Nordmann'));
    token = await server.token(people.kari, 'high');
    // One delivered letter for the recipient-side cases.
    const res = await send(letterForm(letterJson({ subject: 'Existing letter' })));
    expect(res.status).toBe(201);
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages`);
    letterId = list.body.items[0].id;
  });
  afterAll(() => server.close());

  async function send(body: RequestInit['body'], key = apiKey, headers: Record<string, string> = {}): Promise<Res> {
    const res = await fetch(`${server.url}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, ...headers },
      body,
      // A stream is sent chunked, without a Content-Length.
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    return toRes(res);
  }

  async function snapshot() {
    const folders = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/folders`);
    const inbox = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?limit=200`);
    expect(folders.status).toBe(200);
    expect(inbox.status).toBe(200);
    return { blobs: await storedBlobs(server), folders: folders.body.items, inbox: inbox.body.items };
  }

  type Snapshot = Awaited<ReturnType<typeof snapshot>>;

  /** The sender does not find the letter, the recipient's mailbox is as it was, no blob was written. */
  async function expectNothingStored(before: Snapshot, id?: string): Promise<void> {
    if (id) {
      const got = await toRes(
        await fetch(`${server.url}/api/v1/messages/${id}`, { headers: { authorization: `Bearer ${apiKey}` } }),
      );
      expectProblem(got, 404, 'not_found');
    }
    expect(await snapshot()).toEqual(before);
  }

  it('control: a valid letter is stored, so the checks below can fail', async () => {
    const before = await snapshot();
    const message = letterJson({ subject: 'Control letter' });
    const res = await send(letterForm(message));
    expect(res.status).toBe(201);
    const after = await snapshot();
    expect(after.blobs).toHaveLength(before.blobs.length + 1);
    expect(after.inbox).toHaveLength(before.inbox.length + 1);
    const got = await fetch(`${server.url}/api/v1/messages/${message.id}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(got.status).toBe(200);
  });

  it('refuses a letter without a main document', async () => {
    const before = await snapshot();
    const message = letterJson({ documents: [pdfDoc('main', 'attachment')] });
    const res = await send(letterForm(message));
    expectProblem(res, 422, 'invalid_letter');
    expectFieldError(res, 'documents', 'missing_main_document');
    await expectNothingStored(before, message.id);
  });

  it('refuses a letter with two main documents', async () => {
    const before = await snapshot();
    const message = letterJson({ documents: [pdfDoc('main'), pdfDoc('second')] });
    const res = await send(letterForm(message, [pdfPart('main'), pdfPart('second')]));
    expectProblem(res, 422, 'invalid_letter');
    expectFieldError(res, 'documents', 'multiple_main_documents');
    await expectNothingStored(before, message.id);
  });

  it('refuses a body over 30 MB announced by its Content-Length (~31 MB document)', async () => {
    const before = await snapshot();
    const message = letterJson();
    const big = Buffer.alloc(31 * MB, 0x20);
    tinyPdf.copy(big);
    const res = await send(letterForm(message, [pdfPart('main', big)]));
    expectProblem(res, 413, 'payload_too_large');
    await expectNothingStored(before, message.id);
  });

  it('refuses documents adding up to over 30 MB even when the Content-Length is within the headroom', async () => {
    const before = await snapshot();
    const half = Buffer.alloc(15.25 * MB, 0x20);
    tinyPdf.copy(half);
    const message = letterJson({ documents: [pdfDoc('main'), pdfDoc('extra', 'attachment')] });
    const res = await send(letterForm(message, [pdfPart('main', half), pdfPart('extra', half)]));
    expectProblem(res, 413, 'payload_too_large');
    await expectNothingStored(before, message.id);
  });

  it('refuses a ~31 MB document streamed without a Content-Length', async () => {
    const before = await snapshot();
    const message = letterJson();
    const boundary = `----postkasse${randomUUID()}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\n${JSON.stringify(message)}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="main"; filename="main.pdf"\r\n` +
        'Content-Type: application/pdf\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const chunk = Buffer.alloc(MB, 0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(head);
        if (sent < 31) controller.enqueue(chunk);
        else if (sent === 31) controller.enqueue(tail);
        else controller.close();
        sent++;
      },
    });
    const res = await send(stream, apiKey, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expectProblem(res, 413, 'payload_too_large');
    await expectNothingStored(before, message.id);
  });

  it('refuses a declared oversize Content-Length before reading the body', async () => {
    const before = await snapshot();
    const boundary = 'xyz';
    const answer = await new Promise<{ status: number; headers: Record<string, unknown>; text: string }>(
      (resolve, reject) => {
        const req = httpRequest(`${server.url}/api/v1/messages`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${apiKey}`,
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': String(100 * MB),
          },
        });
        req.on('response', (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (c: string) => {
            text += c;
          });
          response.on('end', () => {
            resolve({ status: response.statusCode ?? 0, headers: response.headers, text });
            req.destroy();
          });
        });
        req.on('error', reject);
        // Only the start of the body: the answer must come without the remaining 100 MB.
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\n{}`);
      },
    );
    const res: Res = {
      status: answer.status,
      headers: new Headers(answer.headers as Record<string, string>),
      body: JSON.parse(answer.text),
    };
    expectProblem(res, 413, 'payload_too_large');
    await expectNothingStored(before);
  });

  it('refuses an invalid national id (bad check digit) and an invalid organization number', async () => {
    const before = await snapshot();
    const badFnr = `${people.kari.slice(0, 10)}${(Number(people.kari[10]) + 1) % 10}`;
    const message = letterJson({ recipient: { nationalId: badFnr } });
    const res = await send(letterForm(message));
    expectProblem(res, 422, 'invalid_recipient');
    expectFieldError(res, 'recipient.nationalId');
    await expectNothingStored(before, message.id);

    const toOrg = letterJson({ recipient: { orgNumber: '974000009' } });
    const res2 = await send(letterForm(toOrg));
    expectProblem(res2, 422, 'invalid_recipient');
    expectFieldError(res2, 'recipient.orgNumber');
    await expectNothingStored(before, toOrg.id);
  });

  it.each([
    ['../../etc/passwd'],
    ['a/b.pdf'],
    ['a\\b.pdf'],
    ['..'],
    ['evil\r\nX-Header: 1.pdf'],
    ['tab\t.pdf'],
    ['del\u007f.pdf'],
  ])('refuses the file name %j', async (filename) => {
    const before = await snapshot();
    const message = letterJson({ documents: [{ ...pdfDoc('main'), filename }] });
    const res = await send(letterForm(message));
    expectProblem(res, 422, 'invalid_letter');
    expectFieldError(res, 'documents[0].filename', 'invalid_filename');
    await expectNothingStored(before, message.id);
  });

  it('refuses a file name with a NUL character, like any text with one', async () => {
    const before = await snapshot();
    const message = letterJson({ documents: [{ ...pdfDoc('main'), filename: 'nul\u0000.pdf' }] });
    const res = await send(letterForm(message));
    expectProblem(res, 400, 'validation_failed');
    expectFieldError(res, 'documents[0].filename', 'nul_character');
    await expectNothingStored(before, message.id);
  });

  it.each([['nel\u0085.pdf'], ['csi\u009b31m.pdf']])(
    'refuses the file name %j with a C1 control character',
    async (filename) => {
      const before = await snapshot();
      const message = letterJson({ documents: [{ ...pdfDoc('main'), filename }] });
      const res = await send(letterForm(message));
      expectProblem(res, 422, 'invalid_letter');
      expectFieldError(res, 'documents[0].filename', 'invalid_filename');
      await expectNothingStored(before, message.id);
    },
  );

  it('refuses media types outside the allowed list (text/html, application/x-msdownload)', async () => {
    const before = await snapshot();
    const html = letterJson({
      documents: [{ part: 'main', role: 'main', filename: 'page.html', mediaType: 'text/html' }],
    });
    const res = await send(
      letterForm(html, [{ name: 'main', content: '<html><script>alert(1)</script></html>', type: 'text/html' }]),
    );
    expectProblem(res, 422, 'invalid_letter');
    expectFieldError(res, 'documents[0].mediaType', 'unsupported_document_type');
    await expectNothingStored(before, html.id);

    const exe = letterJson({
      documents: [
        pdfDoc('main'),
        { part: 'tool', role: 'attachment', filename: 'tool.exe', mediaType: 'application/x-msdownload' },
      ],
    });
    const res2 = await send(
      letterForm(exe, [pdfPart('main'), { name: 'tool', content: tinyExe, type: 'application/x-msdownload' }]),
    );
    expectProblem(res2, 422, 'invalid_letter');
    expectFieldError(res2, 'documents[1].mediaType', 'unsupported_document_type');
    await expectNothingStored(before, exe.id);
  });

  it('refuses a document whose part names no file part', async () => {
    const before = await snapshot();
    const message = letterJson({ documents: [pdfDoc('main'), pdfDoc('ghost', 'attachment')] });
    const res = await send(letterForm(message, [pdfPart('main')]));
    expectProblem(res, 422, 'invalid_letter');
    expectFieldError(res, 'documents[1].part', 'document_part_missing');
    await expectNothingStored(before, message.id);
  });

  it('refuses a file part that no document names', async () => {
    const before = await snapshot();
    const message = letterJson();
    const res = await send(letterForm(message, [pdfPart('main'), pdfPart('stray')]));
    expectProblem(res, 422, 'invalid_letter');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'parts.stray', code: 'unreferenced_part' })]),
    );
    await expectNothingStored(before, message.id);
  });

  it('refuses malformed JSON in the message part', async () => {
    const before = await snapshot();
    const id = randomUUID();
    const res = await send(letterForm(`{"id": "${id}", "subject": `));
    expectProblem(res, 400, 'malformed_request');
    await expectNothingStored(before, id);
  });

  it('refuses a body without a message part', async () => {
    const before = await snapshot();
    const form = new FormData();
    form.append('main', new Blob([tinyPdf], { type: 'application/pdf' }), 'main.pdf');
    const res = await send(form);
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'message' })]);
    await expectNothingStored(before);
  });

  it('refuses a message part sent twice, a file part sent twice, and a document sent as a plain field', async () => {
    const before = await snapshot();
    const message = letterJson();
    const twiceMessage = letterForm(message);
    twiceMessage.append('message', JSON.stringify(message));
    expectProblem(await send(twiceMessage), 400, 'malformed_request');

    const twicePart = letterForm(message, [pdfPart('main'), pdfPart('main')]);
    expectProblem(await send(twicePart), 400, 'malformed_request');

    const plain = new FormData();
    plain.append('message', JSON.stringify(message));
    plain.append('main', tinyPdf.toString('latin1'));
    expectProblem(await send(plain), 400, 'malformed_request');
    await expectNothingStored(before, message.id);
  });

  it.each([
    ['an unknown field', { colour: 'blue' }, 'message.colour', 'additionalProperties'],
    ['authLevel medium', { authLevel: 'medium' }, 'message.authLevel', undefined],
    ['a 300 character subject', { subject: 'x'.repeat(300) }, 'message.subject', 'maxLength'],
    ['an id that is not a uuid', { id: 'not-a-uuid' }, 'message.id', 'format'],
    ['openingReceipt as a string', { openingReceipt: 'yes' }, 'message.openingReceipt', 'type'],
    ['sensitivity secret', { sensitivity: 'secret' }, 'message.sensitivity', undefined],
    ['no documents', { documents: [] }, 'message.documents', 'minItems'],
    ['a missing subject', { subject: undefined }, 'message.subject', 'required'],
    ['an unknown document role', { documents: [{ ...pdfDoc('main'), role: 'cover' }] }, 'message.documents[0].role'],
    ['an unknown document field', { documents: [{ ...pdfDoc('main'), size: 5 }] }, 'message.documents[0].size'],
  ] as Array<[string, Record<string, unknown>, string, string?]>)(
    'refuses letter JSON with %s',
    async (_name, overrides, path, code) => {
      const before = await snapshot();
      const message = letterJson(overrides);
      const res = await send(letterForm(message));
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors, JSON.stringify(res.body)).toEqual(
        expect.arrayContaining([expect.objectContaining({ path, ...(code ? { code } : {}) })]),
      );
      await expectNothingStored(before, typeof overrides.id === 'string' ? undefined : message.id);
    },
  );

  it('names the allowed values, once per field, when a field takes one of a few', async () => {
    const message = letterJson({
      authLevel: 'medium',
      sensitivity: 'secret',
      documents: [{ ...pdfDoc('main'), role: 'cover' }],
    });
    const res = await send(letterForm(message));
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([
      { path: 'message.authLevel', code: 'enum', message: 'must be one of substantial, high' },
      { path: 'message.sensitivity', code: 'enum', message: 'must be one of normal, sensitive' },
      { path: 'message.documents[0].role', code: 'enum', message: 'must be one of main, attachment, technical' },
    ]);
    expect(res.body.detail).toBe(
      'message.authLevel: must be one of substantial, high; message.sensitivity: must be one of normal, sensitive; ' +
        'message.documents[0].role: must be one of main, attachment, technical',
    );
  });

  it('refuses a declared media type the content contradicts (PNG bytes declared application/pdf)', async () => {
    const before = await snapshot();
    const message = letterJson();
    const res = await send(letterForm(message, [{ name: 'main', content: tinyPng, type: 'application/pdf' }]));
    expectProblem(res, 422, 'invalid_letter');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'message.documents[0].mediaType', code: 'media_type_mismatch' }),
      ]),
    );
    await expectNothingStored(before, message.id);
  });

  it('refuses text, HTML and SVG declared application/pdf, as main document and as attachment', async () => {
    const before = await snapshot();
    for (const fake of [
      'This is a test',
      '<html><body onload="alert(1)"></body></html>',
      '<svg xmlns="http://www.w3.org/2000/svg"/>',
    ]) {
      const message = letterJson();
      const res = await send(letterForm(message, [{ name: 'main', content: fake, type: 'application/pdf' }]));
      expectProblem(res, 422, 'invalid_letter');
      expectFieldError(res, 'documents[0].mediaType', 'media_type_mismatch');
      const withAttachment = letterJson({ documents: [pdfDoc('main'), pdfDoc('extra', 'attachment')] });
      const res2 = await send(
        letterForm(withAttachment, [pdfPart('main'), { name: 'extra', content: fake, type: 'application/pdf' }]),
      );
      expectProblem(res2, 422, 'invalid_letter');
      expectFieldError(res2, 'documents[1].mediaType', 'media_type_mismatch');
      await expectNothingStored(before, message.id);
    }
  });

  it('refuses a body that is not multipart (415)', async () => {
    const before = await snapshot();
    const message = letterJson();
    const asJson = await send(JSON.stringify(message), apiKey, { 'content-type': 'application/json' });
    expectProblem(asJson, 415, 'unsupported_media_type');
    const asForm = await send(new URLSearchParams({ message: JSON.stringify(message) }));
    expectProblem(asForm, 415, 'unsupported_media_type');
    const asText = await send('hello', apiKey, { 'content-type': 'text/plain' });
    expectProblem(asText, 415, 'unsupported_media_type');
    expect(asText.body.detail).toContain('Content-Type');
    // The refusal names both forms the route takes.
    expect(asJson.body.detail).toMatch(/multipart\/form-data.*application\/vnd\.memo\+xml/);
    await expectNothingStored(before, message.id);
  });

  it('refuses a broken multipart body (no boundary, wrong boundary, cut off, bad part header) as 400, not 500', async () => {
    const before = await snapshot();
    const message = letterJson();
    const b = 'postkasse-boundary';
    const whole =
      `--${b}\r\nContent-Disposition: form-data; name="message"\r\n\r\n${JSON.stringify(message)}\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="main"; filename="main.pdf"\r\nContent-Type: application/pdf\r\n\r\n` +
      `${tinyPdf.toString('latin1')}\r\n--${b}--\r\n`;
    const cases: Array<[string, string, string]> = [
      ['no boundary', 'multipart/form-data', whole],
      ['another boundary', 'multipart/form-data; boundary=not-the-one', whole],
      ['cut off inside the file', `multipart/form-data; boundary=${b}`, whole.slice(0, whole.length - 40)],
      ['cut off inside a part header', `multipart/form-data; boundary=${b}`, `--${b}\r\nContent-Disposition: form-da`],
      ['a part without headers end', `multipart/form-data; boundary=${b}`, `--${b}\r\n${'x'.repeat(100)}`],
    ];
    for (const [name, type, body] of cases) {
      const res = await send(body, apiKey, { 'content-type': type });
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
      expect(res.body.retryable, name).toBe(false);
      expect(res.headers.get('content-type'), name).toMatch(/^application\/problem\+json/);
      expect(['malformed_request', 'validation_failed'], `${name}: ${res.body.code}`).toContain(res.body.code);
    }
    // The control: the same body whole and with its boundary is a letter.
    const ok = await send(whole, apiKey, { 'content-type': `multipart/form-data; boundary=${b}` });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const afterOk = await snapshot();
    expect(afterOk.inbox).toHaveLength(before.inbox.length + 1);
  });

  it('refuses a letter with 201 attachments', async () => {
    const before = await snapshot();
    const attachments = Array.from({ length: 201 }, (_, i) => ({
      part: `a${i}`,
      role: 'attachment',
      filename: `a${i}.txt`,
      mediaType: 'text/plain',
    }));
    const message = letterJson({ documents: [pdfDoc('main'), ...attachments] });
    const parts: Part[] = [
      pdfPart('main'),
      ...attachments.map((a, i) => ({ name: a.part, content: `attachment ${i}`, type: 'text/plain' })),
    ];
    const res = await send(letterForm(message, parts));
    expectProblem(res, 422, 'invalid_letter');
    expectFieldError(res, 'documents', 'too_many_attachments');
    await expectNothingStored(before, message.id);
  });

  it('refuses a letter with 51 technical documents', async () => {
    const before = await snapshot();
    const technical = Array.from({ length: 51 }, (_, i) => ({
      part: `t${i}`,
      role: 'technical',
      filename: `t${i}.xml`,
      mediaType: 'application/xml',
    }));
    const message = letterJson({ documents: [pdfDoc('main'), ...technical] });
    const parts: Part[] = [
      pdfPart('main'),
      ...technical.map((t, i) => ({ name: t.part, content: `<t n="${i}"/>`, type: 'application/xml' })),
    ];
    const res = await send(letterForm(message, parts));
    expectProblem(res, 422, 'invalid_letter');
    expectFieldError(res, 'documents', 'too_many_technical_documents');
    await expectNothingStored(before, message.id);
  });

  it('refuses a main document of a type readers cannot show, and a blank subject', async () => {
    const before = await snapshot();
    const json = letterJson({
      subject: '   ',
      documents: [{ part: 'main', role: 'main', filename: 'data.json', mediaType: 'application/json' }],
    });
    const res = await send(letterForm(json, [{ name: 'main', content: '{"a":1}', type: 'application/json' }]));
    expectProblem(res, 422, 'invalid_letter');
    // Every problem is reported at once.
    expectFieldError(res, 'documents[0].mediaType', 'unsupported_main_document_type');
    expectFieldError(res, 'subject', 'empty_subject');
    await expectNothingStored(before, json.id);
  });

  it('refuses an empty document', async () => {
    const before = await snapshot();
    const message = letterJson();
    const res = await send(
      letterForm(message, [{ name: 'main', content: new Uint8Array(0), type: 'application/pdf' }]),
    );
    expectProblem(res, 422, 'invalid_letter');
    expectFieldError(res, 'documents[0]', 'empty_document');
    await expectNothingStored(before, message.id);
  });

  it('field paths follow one convention: the same field is named alike by schema and domain checks', async () => {
    // A 300 character file name fails the JSON schema; a file name with a slash fails the domain
    // rules. Both are the same field of the same request and should be reported under one path,
    // `message.documents[0].filename`, as the FieldError contract in core/errors.ts documents.
    const long = await send(letterForm(letterJson({ documents: [{ ...pdfDoc('main'), filename: 'a'.repeat(300) }] })));
    expectProblem(long, 400, 'validation_failed');
    expect(long.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'message.documents[0].filename' })]),
    );
    const slash = await send(letterForm(letterJson({ documents: [{ ...pdfDoc('main'), filename: 'a/b.pdf' }] })));
    expectProblem(slash, 422, 'invalid_letter');
    expect(slash.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'message.documents[0].filename' })]),
    );
  });

  it('refuses a NUL character anywhere (query, JSON body, letter JSON) with 400, never a retryable 500', async () => {
    const before = await snapshot();
    const folder = await api(server, token, 'POST', `/api/v1/mailboxes/${mailboxId}/folders`, { name: 'a\u0000b' });
    expectProblem(folder, 400, 'validation_failed');
    expect(folder.body.errors).toEqual([expect.objectContaining({ path: 'body.name', code: 'nul_character' })]);
    for (const query of ['q=%00', 'folder=%00', 'cursor=a%00b']) {
      const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?${query}`);
      expectProblem(list, 400, 'validation_failed');
      expect(list.body.errors[0].code).toBe('nul_character');
    }
    const patch = await api(server, token, 'PATCH', `/api/v1/mailboxes/${mailboxId}/messages/${letterId}`, {
      folderId: '\u0000',
    });
    expectProblem(patch, 400, 'validation_failed');
    const message = letterJson({ subject: 'Vedtak\u0000' });
    const sent = await send(letterForm(message));
    expectProblem(sent, 400, 'validation_failed');
    expect(sent.body.errors).toEqual([expect.objectContaining({ path: 'message.subject', code: 'nul_character' })]);
    await expectNothingStored(before, message.id);
  });

  it('refuses a JSON body whose values have the wrong type instead of converting them', async () => {
    const path = `/api/v1/mailboxes/${mailboxId}/messages/${letterId}`;
    const asText = await fetch(`${server.url}${path}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: '{"read":true}',
    });
    expectProblem(await toRes(asText), 415, 'unsupported_media_type');
    for (const body of [{ read: null }, { read: 1 }, { read: 'true' }, { folderId: null }]) {
      expectProblem(await api(server, token, 'PATCH', path, body), 400, 'validation_failed');
    }
    expectProblem(
      await api(server, token, 'POST', `/api/v1/mailboxes/${mailboxId}/folders`, { name: 123 }),
      400,
      'validation_failed',
    );
    // Query strings are text, and are still read as the types they stand for.
    const page = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?limit=1`);
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(1);
  });

  it('takes ids in the path in capitals as the same ids', async () => {
    const upper = `/api/v1/mailboxes/${mailboxId.toUpperCase()}/messages/${letterId.toUpperCase()}`;
    const res = await api(server, token, 'GET', upper);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.id).toBe(letterId);
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId.toUpperCase()}/messages?limit=1`);
    expect(list.status).toBe(200);
    // The sender API too.
    const sent = letterJson({ subject: 'Store bokstaver i stien' });
    expect((await send(letterForm(sent))).status).toBe(201);
    const status = await toRes(
      await fetch(`${server.url}/api/v1/messages/${sent.id.toUpperCase()}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      }),
    );
    expect(status.status).toBe(200);
    expect(status.body.id).toBe(sent.id);
    // The cursor problem names its parameter once, under query.
    const bad = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?cursor=abc`);
    expect(bad.body.detail).toBe('The cursor is not valid; use nextCursor from a previous answer');
    const limit = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?limit=0`);
    expectProblem(limit, 400, 'validation_failed');
    expect(limit.body.errors[0].path).toBe('query.limit');
  });

  it('refuses a malformed cursor on the event feed and on the mailbox listing', async () => {
    const feed = await toRes(
      await fetch(`${server.url}/api/v1/events?after=garbage`, { headers: { authorization: `Bearer ${apiKey}` } }),
    );
    expectProblem(feed, 400, 'validation_failed');
    expect(feed.body.errors).toEqual([expect.objectContaining({ code: 'invalid_cursor' })]);

    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?cursor=garbage`);
    expectProblem(list, 400, 'validation_failed');
    expect(list.body.errors).toEqual([expect.objectContaining({ path: 'query.cursor', code: 'invalid_cursor' })]);
  });

  it("names the event feed's own parameter (query.after) in a cursor problem", async () => {
    const feed = await toRes(
      await fetch(`${server.url}/api/v1/events?after=garbage`, { headers: { authorization: `Bearer ${apiKey}` } }),
    );
    expectProblem(feed, 400, 'validation_failed');
    expect(feed.body.errors).toEqual([expect.objectContaining({ path: 'query.after', code: 'invalid_cursor' })]);
  });

  it('refuses a mailbox cursor of the right shape but with nonsense values as a 400, not a 500 or a page', async () => {
    const forged = Buffer.from(JSON.stringify({ deliveredAt: 'garbage', id: 'garbage' })).toString('base64url');
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?cursor=${forged}`);
    expectProblem(list, 400, 'validation_failed');
    expectFieldError(list, 'query.cursor', 'invalid_cursor');
  });

  it('refuses an event-feed cursor with an out-of-range transaction id as a 400, not a 500', async () => {
    const forged = Buffer.from(JSON.stringify({ tx: '99999999999999999999', seq: 1 })).toString('base64url');
    const feed = await toRes(
      await fetch(`${server.url}/api/v1/events?after=${forged}`, { headers: { authorization: `Bearer ${apiKey}` } }),
    );
    expect(feed.status, JSON.stringify(feed.body)).toBeLessThan(500);
    if (feed.status !== 200) expectProblem(feed, 400, 'validation_failed');
  });

  it('refuses an event-feed cursor beyond every event, and keeps answering the last one given', async () => {
    const get = async (query: string) =>
      toRes(await fetch(`${server.url}/api/v1/events?${query}`, { headers: { authorization: `Bearer ${apiKey}` } }));
    // Polling from the newest cursor an answer gave: an empty page, the same cursor.
    let page = await get('limit=1000');
    let last = page.body.nextCursor;
    while (page.body.items.length > 0) {
      last = page.body.nextCursor;
      page = await get(`after=${last}&limit=1000`);
    }
    expect(page.status).toBe(200);
    expect(page.body).toEqual({ items: [], nextCursor: last });
    // A made-up one a little ahead: an empty page would have kept its reader waiting for ever.
    const { tx, seq } = JSON.parse(Buffer.from(last, 'base64url').toString('utf8'));
    const ahead = Buffer.from(JSON.stringify({ tx, seq: seq + 1000 })).toString('base64url');
    const refused = await get(`after=${ahead}`);
    expectProblem(refused, 400, 'validation_failed');
    expectFieldError(refused, 'query.after', 'invalid_cursor');
    expectFieldError(await get(`cursor=${ahead}`), 'query.cursor', 'invalid_cursor');
  });

  it('refuses a message id that is not a uuid (400) and answers 404 for an unknown one', async () => {
    const base = `/api/v1/mailboxes/${mailboxId}/messages`;
    const bad = await api(server, token, 'GET', `${base}/not-a-uuid`);
    expectProblem(bad, 400, 'validation_failed');
    expectFieldError(bad, 'params.messageId');
    const badMailbox = await api(server, token, 'GET', '/api/v1/mailboxes/123/messages');
    expectProblem(badMailbox, 400, 'validation_failed');
    expectFieldError(badMailbox, 'params.mailboxId');

    const unknown = await api(server, token, 'GET', `${base}/${randomUUID()}`);
    expectProblem(unknown, 404, 'not_found');

    const senderBad = await toRes(
      await fetch(`${server.url}/api/v1/messages/not-a-uuid`, { headers: { authorization: `Bearer ${apiKey}` } }),
    );
    expectProblem(senderBad, 400, 'validation_failed');
    expectFieldError(senderBad, 'params.id');
  });

  it('refuses a PATCH with an empty body, no body, an unknown field or a wrong type, and changes nothing', async () => {
    const path = `/api/v1/mailboxes/${mailboxId}/messages/${letterId}`;
    const before = await api(server, token, 'GET', path);
    expect(before.body.read).toBe(false);

    const empty = await api(server, token, 'PATCH', path, {});
    expectProblem(empty, 400, 'validation_failed');

    const none = await api(server, token, 'PATCH', path);
    expectProblem(none, 400, 'validation_failed');

    const emptyText = await toRes(
      await fetch(`${server.url}${path}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '',
      }),
    );
    expect(emptyText.status).toBe(400);
    expectProblem(emptyText, 400, emptyText.body.code);
    expect(['malformed_request', 'validation_failed']).toContain(emptyText.body.code);

    const unknown = await api(server, token, 'PATCH', path, { read: true, starred: true });
    expectProblem(unknown, 400, 'validation_failed');
    expectFieldError(unknown, 'body.starred', 'additionalProperties');

    const wrongType = await api(server, token, 'PATCH', path, { read: 'yes' });
    expectProblem(wrongType, 400, 'validation_failed');
    expectFieldError(wrongType, 'body.read');

    const broken = await toRes(
      await fetch(`${server.url}${path}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"read": tru',
      }),
    );
    expectProblem(broken, 400, 'malformed_request');
    expect(broken.body.detail).toMatch(/^The body is not valid JSON: ./);

    // Prototype keys are refused as such: the JSON is valid, so the answer must not say it is not.
    for (const body of ['{"read": true, "__proto__": {"read": false}}', '{"constructor": {"prototype": {}}}']) {
      const poisoned = await toRes(
        await fetch(`${server.url}${path}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        }),
      );
      expectProblem(poisoned, 400, 'malformed_request');
      expect(poisoned.body.detail).toContain('holds a key that is not accepted');
    }

    const after = await api(server, token, 'GET', path);
    expect(after.body).toEqual(before.body);
  });

  it('refuses a JSON body over 1 MB on PATCH with 413', async () => {
    const path = `/api/v1/mailboxes/${mailboxId}/messages/${letterId}`;
    const before = await api(server, token, 'GET', path);
    const huge = await api(server, token, 'PATCH', path, { read: true, folderId: 'x'.repeat(2 * MB) });
    expectProblem(huge, 413, 'payload_too_large');
    const after = await api(server, token, 'GET', path);
    expect(after.body).toEqual(before.body);
  });

  it('refuses legalNotification and mandatory from a private sender', async () => {
    const before = await snapshot();
    for (const flag of ['legalNotification', 'mandatory']) {
      const message = letterJson({ [flag]: true });
      const res = await send(letterForm(message), privateKey);
      expectProblem(res, 422, 'not_allowed_for_private_sender');
      const got = await toRes(
        await fetch(`${server.url}/api/v1/messages/${message.id}`, {
          headers: { authorization: `Bearer ${privateKey}` },
        }),
      );
      expectProblem(got, 404, 'not_found');
    }
    await expectNothingStored(before);
  });
});
