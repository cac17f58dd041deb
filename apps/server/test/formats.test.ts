import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoToLetter, parseMemo } from '@postkasse/formats';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  type HttpAnswer,
  people,
  startTestServer,
  type TestServer,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const fixturesDir = join(import.meta.dirname, '..', '..', '..', 'packages', 'formats', 'fixtures', 'memo');
const NS = 'https://DigitalPost.dk/MeMo-1';

async function postXml(server: TestServer, key: string, xml: string | Buffer, type = 'application/vnd.memo+xml') {
  const res = await fetch(`${server.url}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': type },
    body: xml,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any } satisfies HttpAnswer;
}

/** A valid CVR number: the Danish sender of the MeMo messages below. */
const CVR = '12345674';

/**
 * The public samples carry placeholders: "Recipient ID", "Sender ID" (or a CVR that is not ours)
 * and a "PDF" that is the text "This is a test". A synthetic CPR, the sending organization and a
 * real PDF go in their place.
 */
const withRecipient = (xml: string, cpr: string) =>
  withSender(xml).replace(/<memo:recipientID>[^<]*<\/memo:recipientID>/, `<memo:recipientID>${cpr}</memo:recipientID>`);
const withSender = (xml: string) =>
  xml
    .replace(/<memo:senderID>[^<]*<\/memo:senderID>/, `<memo:senderID>${CVR}</memo:senderID>`)
    .replace(
      `<memo:content>${Buffer.from('This is a test').toString('base64')}</memo:content>`,
      `<memo:content>${tinyPdf.toString('base64')}</memo:content>`,
    );

const memo = (header: string, body = '') => `<?xml version="1.0" encoding="UTF-8"?>
<memo:Message xmlns:memo="${NS}" memoVersion="1.2">
  <memo:MessageHeader>
    <memo:messageType>DIGITALPOST</memo:messageType>
    <memo:messageUUID>${randomUUID()}</memo:messageUUID>
    <memo:label>Pladsanvisning</memo:label>
    <memo:Sender><memo:senderID>${CVR}</memo:senderID><memo:idType>CVR</memo:idType><memo:label>Kommunen</memo:label></memo:Sender>
    <memo:Recipient><memo:recipientID>${people.mette}</memo:recipientID><memo:idType>CPR</memo:idType></memo:Recipient>
    ${header}
  </memo:MessageHeader>
  <memo:MessageBody>
    <memo:createdDateTime>2026-05-03T12:00:00Z</memo:createdDateTime>
    <memo:MainDocument>
      <memo:File>
        <memo:encodingFormat>application/pdf</memo:encodingFormat>
        <memo:filename>Pladsanvisning.pdf</memo:filename>
        <memo:language>da</memo:language>
        <memo:content>${tinyPdf.toString('base64')}</memo:content>
      </memo:File>
      ${body}
    </memo:MainDocument>
  </memo:MessageBody>
</memo:Message>`;

function sdpPackage(nationalId: string, id: string) {
  const message = {
    standardBusinessDocumentHeader: {
      headerVersion: '1.0',
      documentIdentification: { standard: 'urn:no:difi:digitalpost:xsd:digital::digital', instanceIdentifier: id },
    },
    digitalpost: {
      sikkerhetsnivaa: 3,
      hoveddokument: 'vedtak.pdf',
      ikkesensitivtittel: 'Du har fått brev fra NAV',
      spraak: 'NO',
      aapningskvittering: true,
      varsler: { epostvarsel: { varslingstekst: 'Du har post', repetisjoner: [0, 7] } },
      mottaker: { personidentifikator: nationalId },
    },
  };
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://begrep.difi.no/sdp/schema_v10">
  <mottaker><person><personidentifikator>${nationalId}</personidentifikator></person></mottaker>
  <avsender><organisasjon authority="iso6523-actorid-upis">9908:974000008</organisasjon></avsender>
  <hoveddokument href="vedtak.pdf" mime="application/pdf"><tittel lang="NO">Vedtak om dagpenger</tittel></hoveddokument>
  <vedlegg href="vedlegg.txt" mime="text/plain"><tittel lang="NO">Vedlegg</tittel></vedlegg>
</manifest>`;
  const zip = zipSync({
    'manifest.xml': Buffer.from(manifest),
    'vedtak.pdf': tinyPdf,
    'vedlegg.txt': Buffer.from('Vedlegg til vedtaket'),
  });
  return { message, zip };
}

async function postSdp(server: TestServer, key: string, message: unknown, zip: Uint8Array) {
  const form = new FormData();
  form.append('message', new Blob([JSON.stringify(message)], { type: 'application/json' }), 'message.json');
  form.append('package', new Blob([zip], { type: 'application/zip' }), 'package.zip');
  const res = await fetch(`${server.url}/api/v1/sdp/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any } satisfies HttpAnswer;
}

for (const dialect of await testDialects()) {
  describe(`standard formats at the sender API (${dialect})`, () => {
    let server: TestServer;
    /** The Norwegian sender (974000008) of the SDP letters. */
    let apiKey: string;
    /** The Danish sender (CVR) of the MeMo messages. */
    let memoKey: string;
    beforeAll(async () => {
      server = await startTestServer(dialect);
      await server.person(people.mette);
      await server.person(people.kari);
      apiKey = (await server.sender('public')).apiKey;
      memoKey = (await server.sender('public', CVR)).apiKey;
    });
    afterAll(async () => server.close());

    it('accepts every MeMo sample, and its content survives export and import again', async () => {
      const names = (await readdir(fixturesDir)).filter((n) => n.endsWith('.xml'));
      expect(names.length).toBeGreaterThanOrEqual(3);
      for (const name of names) {
        const xml = withRecipient(await readFile(join(fixturesDir, name), 'utf8'), people.mette);
        const sent = await postXml(server, memoKey, xml, name.includes('Minimum') ? 'application/xml' : undefined);
        expect(sent.status, `${name}: ${JSON.stringify(sent.body)}`).toBe(201);
        expect(sent.body.status).toBe('DELIVERED');
        const exported = await fetch(`${server.url}/api/v1/messages/${sent.body.id}/memo`, {
          headers: { authorization: `Bearer ${memoKey}` },
        });
        expect(exported.status).toBe(200);
        expect(exported.headers.get('content-type')).toMatch(/^application\/vnd\.memo\+xml/);
        const again = memoToLetter(parseMemo(Buffer.from(await exported.arrayBuffer())));
        const original = memoToLetter(parseMemo(Buffer.from(xml)));
        expect(again, name).toEqual(original);
      }
    });

    it('takes a NEMSMS as a notification-only message: no documents, its label in the mailbox', async () => {
      const xml = withRecipient(await readFile(join(fixturesDir, 'MeMo_NemSMS.xml'), 'utf8'), people.kari).replace(
        'fcdcf318-59b6-427c-9879-4f0af833d593',
        randomUUID(),
      );
      const sent = await postXml(server, memoKey, xml);
      expect(sent.body).toMatchObject({ status: 'DELIVERED', documentCount: 0, subject: 'Label Text' });
      const kari = await server.token(people.kari);
      const [box] = (await api(server, kari, 'GET', '/api/v1/me/mailboxes')).body.items;
      const list = await api(server, kari, 'GET', `/api/v1/mailboxes/${box.id}/messages`);
      expect(list.body.items.some((l: any) => l.subject === 'Label Text')).toBe(true);
    });

    it('refuses the samples as published: their sender and recipient ids are placeholders', async () => {
      const xml = await readFile(join(fixturesDir, 'MeMo_with_attachment.xml'), 'utf8');
      const answer = await postXml(server, memoKey, xml);
      expectProblem(answer, 422, 'invalid_letter');
      expect(answer.body.errors).toEqual([expect.objectContaining({ code: 'sender_mismatch' })]);
      expectProblem(await postXml(server, memoKey, withSender(xml)), 422, 'invalid_recipient');
    });

    it('refuses a message that names another sender than the one whose key sent it, and stores nothing', async () => {
      const id = randomUUID();
      const other = memo('').replace(/<memo:messageUUID>[^<]*/, `<memo:messageUUID>${id}`);
      // Sent with the Norwegian sender's key, the message still names the Danish CVR.
      const answer = await postXml(server, apiKey, other);
      expectProblem(answer, 422, 'invalid_letter');
      expect(answer.body.errors).toEqual([
        expect.objectContaining({ path: 'MessageHeader.Sender.senderID', code: 'sender_mismatch' }),
      ]);
      expectProblem(await api(server, apiKey, 'GET', `/api/v1/messages/${id}`), 404, 'not_found');
      expectProblem(await api(server, memoKey, 'GET', `/api/v1/messages/${id}`), 404, 'not_found');
      // The control: the same message with the Danish sender's key is a letter.
      expect((await postXml(server, memoKey, other)).status).toBe(201);

      const sdpId = randomUUID();
      const { message, zip } = sdpPackage(people.kari, sdpId);
      const foreign = await postSdp(server, memoKey, message, zip);
      expectProblem(foreign, 422, 'invalid_letter');
      expect(foreign.body.errors[0]).toMatchObject({
        path: 'package.manifest.avsender.organisasjon',
        code: 'sender_mismatch',
      });
      const sbdh = {
        ...message,
        standardBusinessDocumentHeader: {
          ...message.standardBusinessDocumentHeader,
          sender: [{ identifier: { authority: 'iso6523-actorid-upis', value: '0192:991825827' } }],
        },
      };
      const named = await postSdp(server, apiKey, sbdh, zip);
      expectProblem(named, 422, 'invalid_letter');
      expect(named.body.errors[0].path).toBe('message.standardBusinessDocumentHeader.sender[0].identifier.value');
      expectProblem(await api(server, apiKey, 'GET', `/api/v1/messages/${sdpId}`), 404, 'not_found');
    });

    it('refuses a document declared a PDF whose content is not one, in MeMo and in SDP', async () => {
      const id = randomUUID();
      const fake = memo('')
        .replace(/<memo:messageUUID>[^<]*/, `<memo:messageUUID>${id}`)
        .replace(tinyPdf.toString('base64'), Buffer.from('<html><script>alert(1)</script></html>').toString('base64'));
      const answer = await postXml(server, memoKey, fake);
      expectProblem(answer, 422, 'invalid_letter');
      expect(answer.body.errors).toEqual([expect.objectContaining({ code: 'media_type_mismatch' })]);
      expectProblem(await api(server, memoKey, 'GET', `/api/v1/messages/${id}`), 404, 'not_found');

      const sdpId = randomUUID();
      const { message } = sdpPackage(people.kari, sdpId);
      const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://begrep.difi.no/sdp/schema_v10">
  <mottaker><person><personidentifikator>${people.kari}</personidentifikator></person></mottaker>
  <hoveddokument href="vedtak.pdf" mime="application/pdf"><tittel lang="NO">Vedtak</tittel></hoveddokument>
</manifest>`;
      const zip = zipSync({ 'manifest.xml': Buffer.from(manifest), 'vedtak.pdf': Buffer.from('This is a test') });
      const sdp = await postSdp(server, apiKey, message, zip);
      expectProblem(sdp, 422, 'invalid_letter');
      expect(sdp.body.errors.map((e: any) => e.code)).toContain('media_type_mismatch');
      expectProblem(await api(server, apiKey, 'GET', `/api/v1/messages/${sdpId}`), 404, 'not_found');
    });

    it('refuses hostile and malformed XML with a clear problem, and stores nothing', async () => {
      const id = randomUUID();
      const cases: Array<[string, string | Buffer, number, string, string?]> = [
        [
          'entity expansion',
          `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><memo:Message xmlns:memo="${NS}">&b;</memo:Message>`,
          400,
          'malformed_request',
          'xml_doctype_forbidden',
        ],
        [
          'external entity',
          `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><memo:Message xmlns:memo="${NS}">&x;</memo:Message>`,
          400,
          'malformed_request',
          'xml_doctype_forbidden',
        ],
        [
          'deep nesting',
          `<memo:Message xmlns:memo="${NS}">${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</memo:Message>`,
          400,
          'malformed_request',
          'xml_too_deep',
        ],
        [
          'invalid UTF-8',
          Buffer.concat([
            Buffer.from(`<memo:Message xmlns:memo="${NS}"><memo:x>`),
            Buffer.from([0xc3, 0x28]),
            Buffer.from('</memo:x></memo:Message>'),
          ]),
          400,
          'malformed_request',
          'invalid_utf8',
        ],
        [
          'wrong namespace',
          memo('').replace(NS, 'https://example.org/not-memo'),
          400,
          'malformed_request',
          'wrong_namespace',
        ],
        ['truncated', memo('').slice(0, 300), 400, 'malformed_request', 'invalid_xml'],
        [
          'http action link',
          memo(
            '',
            '<memo:Action><memo:label>Betal</memo:label><memo:actionCode>SELVBETJENING</memo:actionCode><memo:EntryPoint><memo:url>http://example.org/pay</memo:url></memo:EntryPoint></memo:Action>',
          ).replace(/<memo:messageUUID>[^<]*/, `<memo:messageUUID>${id}`),
          422,
          'invalid_letter',
          'invalid_memo',
        ],
        // XML has no NUL character, raw or as a reference: the reader refuses it before any store.
        ['a NUL character', memo('').replace('Pladsanvisning', 'Plads\u0000anvisning'), 400, 'malformed_request'],
        ['a NUL reference', memo('').replace('Pladsanvisning', 'Plads&#0;anvisning'), 400, 'malformed_request'],
      ];
      for (const [what, body, status, code, formatError] of cases) {
        const answer = await postXml(server, memoKey, body);
        expectProblem(answer, status, code);
        if (formatError) expect(answer.body.formatError, what).toBe(formatError);
      }
      const http = await postXml(server, memoKey, cases[6]?.[1] ?? '');
      expect(http.body.errors.some((e: any) => /EntryPoint\/url$/.test(e.path))).toBe(true);
      expectProblem(await api(server, memoKey, 'GET', `/api/v1/messages/${id}`), 404, 'not_found');
    });

    it('refuses 50 MB of whitespace by its size, before parsing', async () => {
      const answer = await postXml(server, memoKey, Buffer.alloc(50 * 1024 * 1024, 0x20));
      expectProblem(answer, 413, 'payload_too_large');
    });

    it('refuses a MeMo message whose documents add up to over 30 MB with 413, as multipart does', async () => {
      const id = randomUUID();
      const big = Buffer.concat([tinyPdf, Buffer.alloc(31 * 1024 * 1024 - tinyPdf.byteLength, 0x20)]);
      const xml = memo('')
        .replace(/<memo:messageUUID>[^<]*/, `<memo:messageUUID>${id}`)
        .replace(tinyPdf.toString('base64'), big.toString('base64'));
      const answer = await postXml(server, memoKey, xml);
      expectProblem(answer, 413, 'payload_too_large');
      expect(answer.body.errors).toEqual([
        expect.objectContaining({ path: 'message.documents', code: 'letter_too_large' }),
      ]);
      expectProblem(await api(server, memoKey, 'GET', `/api/v1/messages/${id}`), 404, 'not_found');
    });

    it('delivers an SDP/DPI letter with a zip document package, with receipts in that vocabulary', async () => {
      const id = randomUUID();
      const { message, zip } = sdpPackage(people.kari, id);
      const sent = await postSdp(server, apiKey, message, zip);
      expect(sent.status, JSON.stringify(sent.body)).toBe(201);
      expect(sent.body).toMatchObject({ id, status: 'DELIVERED', documentCount: 2, subject: 'Vedtak om dagpenger' });
      const kari = await server.token(people.kari, 'substantial');
      const [box] = (await api(server, kari, 'GET', '/api/v1/me/mailboxes')).body.items;
      const list = await api(server, kari, 'GET', `/api/v1/mailboxes/${box.id}/messages`);
      const item = list.body.items.find((l: any) => l.subject === 'Vedtak om dagpenger');
      expect(item).toMatchObject({ restricted: false });
      const detail = await api(server, kari, 'GET', `/api/v1/mailboxes/${box.id}/messages/${item.id}`);
      const main = detail.body.documents.find((d: any) => d.role === 'main');
      const content = await api(
        server,
        kari,
        'GET',
        `/api/v1/mailboxes/${box.id}/messages/${item.id}/documents/${main.id}/content`,
      );
      expect(Buffer.compare(content.body, tinyPdf)).toBe(0);
      const receipts = await api(server, apiKey, 'GET', `/api/v1/sdp/messages/${id}/receipts`);
      // Kari opened the main document above, and an opening receipt was asked for.
      expect(receipts.body.items).toEqual([
        { meldingsId: id, mottakskvittering: { tidspunkt: expect.any(String) } },
        { meldingsId: id, leveringskvittering: { tidspunkt: expect.any(String) } },
        { meldingsId: id, aapningskvittering: { tidspunkt: expect.any(String) } },
      ]);
    });

    it('answers an SDP letter that cannot be delivered with a feil KLIENT receipt, and refuses bad packages', async () => {
      const id = randomUUID();
      const { message, zip } = sdpPackage('09899910173', id);
      const sent = await postSdp(server, apiKey, message, zip);
      expect(sent.body.status).toBe('REJECTED');
      const receipts = await api(server, apiKey, 'GET', `/api/v1/sdp/messages/${id}/receipts`);
      expect(receipts.body.items).toEqual([
        { meldingsId: id, feil: { tidspunkt: expect.any(String), feiltype: 'KLIENT', detaljer: expect.any(String) } },
      ]);
      const bomb = await postSdp(
        server,
        apiKey,
        sdpPackage(people.kari, randomUUID()).message,
        Buffer.from('not a zip'),
      );
      expectProblem(bomb, 400, 'malformed_request');
      const unsafe = zipSync({ '../evil.pdf': tinyPdf, 'manifest.xml': Buffer.from('<manifest/>') });
      expect(
        (await postSdp(server, apiKey, sdpPackage(people.kari, randomUUID()).message, unsafe)).status,
      ).toBeGreaterThanOrEqual(400);
    });

    it("does not export or show receipts for another sender's letter", async () => {
      const id = randomUUID();
      const { message, zip } = sdpPackage(people.kari, id);
      await postSdp(server, apiKey, message, zip);
      const other = await server.sender('public');
      expectProblem(await api(server, other.apiKey, 'GET', `/api/v1/messages/${id}/memo`), 404, 'not_found');
      expectProblem(await api(server, other.apiKey, 'GET', `/api/v1/sdp/messages/${id}/receipts`), 404, 'not_found');
    });
  });
}
