import { validateLetter } from '@postkasse/core';
import { describe, expect, it } from 'vitest';
import { catchFormatError, utf8 } from '../test-helpers.js';
import { attachment, MESSAGE_ID, manifestXml, ORG, PERSON, packageZip, pdf, sdpJson } from './test-package.js';
import { sdpToLetter } from './to-letter.js';

const issue = (path: string, code: string) => expect.objectContaining({ path, code });

describe('sdpToLetter', () => {
  it('maps message and package to a letter and extras', () => {
    const { letter, extras } = sdpToLetter(sdpJson(), packageZip());
    expect(letter).toEqual({
      id: MESSAGE_ID.toLowerCase(),
      recipient: { nationalId: PERSON },
      subject: 'Vedtak om barnehageplass',
      nonSensitiveTitle: 'Du har fått brev fra kommunen',
      authLevel: 'high',
      sensitivity: 'normal',
      openingReceipt: true,
      legalNotification: false,
      mandatory: false,
      senderReference: undefined,
      deliverAt: '2024-06-01T00:00:00.000Z',
      documents: [
        {
          part: 'doc-1',
          role: 'main',
          title: 'Vedtak om barnehageplass',
          filename: 'vedtak.pdf',
          mediaType: 'application/pdf',
          language: 'no',
          content: pdf,
        },
        {
          part: 'doc-2',
          role: 'attachment',
          title: 'Vedlegg',
          filename: 'vedlegg.txt',
          mediaType: 'text/plain',
          language: 'no',
          content: attachment,
        },
      ],
    });
    // The core checks deliverAt against the clock; the rest must pass as is.
    expect(() => validateLetter({ ...letter, deliverAt: undefined })).not.toThrow();
    expect(extras).toEqual({
      format: 'sdp',
      sikkerhetsnivaa: 4,
      spraak: 'NO',
      messageId: MESSAGE_ID,
      conversationId: 'conv-42',
      avsenderId: 'enhet-7',
      fakturaReferanse: 'F-123',
      postkasseadresse: 'ola.nordmann#1234',
      senderOrganization: `9908:${ORG}`,
      notification: {
        email: { address: 'ola@example.no', text: 'Du har post', repetitions: [0, 7] },
        sms: { number: '+4799999999', text: 'Du har post', repetitions: [0] },
      },
      standardBusinessDocumentHeader: sdpJson().standardBusinessDocumentHeader,
    });
  });

  it('maps level 3, an organization, a date-time, a title and JSON text without an SBDH', () => {
    const json = sdpJson({
      sikkerhetsnivaa: 3,
      tittel: 'Melding',
      virkningsdato: '2024-06-01T10:00:00+02:00',
      mottaker: { organisasjonsnummer: ORG },
      spraak: 'EN',
    });
    delete json.standardBusinessDocumentHeader;
    const manifest = manifestXml(
      '<hoveddokument href="vedtak.pdf" mime="application/pdf"/><vedlegg href="vedlegg.txt" mime="text/plain"/>',
    );
    const id = '0b7a2c7e-1111-4222-8333-944455556666';
    const { letter, extras } = sdpToLetter(JSON.stringify(json), packageZip({ 'manifest.xml': manifest }), { id });
    expect(letter).toMatchObject({
      id,
      recipient: { orgNumber: ORG },
      subject: 'Melding',
      authLevel: 'substantial',
      deliverAt: '2024-06-01T08:00:00.000Z',
    });
    expect(letter.documents.map((d) => [d.title, d.language])).toEqual([
      [undefined, 'en'],
      [undefined, 'en'],
    ]);
    expect(extras.messageId).toBeUndefined();
  });

  it('falls back to the non-sensitive title as subject', () => {
    const manifest = manifestXml(
      '<hoveddokument href="vedtak.pdf" mime="application/pdf"/><vedlegg href="vedlegg.txt" mime="text/plain"/>',
    );
    const { letter } = sdpToLetter(sdpJson(), packageZip({ 'manifest.xml': manifest }));
    expect(letter.subject).toBe('Du har fått brev fra kommunen');
  });

  it('accepts the camel-case and nested spellings', () => {
    const json = sdpJson();
    const dp = json.digitalpost as Record<string, unknown>;
    const { ikkesensitivtittel, virkningsdato, aapningskvittering, varsler, ...rest } = dp;
    const v = varsler as Record<string, unknown>;
    json.digitalpost = {
      ...rest,
      ikkeSensitivTittel: ikkesensitivtittel,
      digitalPostInfo: { virkningsdato, aapningskvittering },
      varsler: { epostVarsel: v.epostvarsel, smsVarsel: v.smsvarsel },
    };
    expect(sdpToLetter({ standardBusinessDocument: json }, packageZip())).toEqual(sdpToLetter(sdpJson(), packageZip()));
  });

  it('checks the package against the manifest and the message', () => {
    const manifest = manifestXml(
      `<mottaker><person><personidentifikator>${PERSON.replace('083', '164')}</personidentifikator></person></mottaker>
       <hoveddokument href="brev.pdf" mime="application/pdf"/>
       <vedlegg href="mangler.pdf" mime="application/pdf"/>
       <vedlegg href="brev.pdf" mime="pdf"/>`,
    );
    const err = catchFormatError(() =>
      sdpToLetter(sdpJson(), packageZip({ 'manifest.xml': manifest, 'brev.pdf': pdf })),
    );
    expect(err.code).toBe('invalid_document_package');
    expect(err.issues).toEqual([
      issue('digitalpost.hoveddokument', 'main_document_mismatch'),
      issue('manifest/mottaker', 'recipient_mismatch'),
      issue('manifest/vedlegg[1]/@href', 'missing_file'),
      issue('manifest/vedlegg[2]/@mime', 'invalid_media_type'),
      issue('manifest/vedlegg[2]/@href', 'duplicate_reference'),
      issue('vedtak.pdf', 'unreferenced_file'),
      issue('vedlegg.txt', 'unreferenced_file'),
    ]);
  });

  it('refuses a manifest href with ../ and a package entry with ../', () => {
    const manifest = manifestXml('<hoveddokument href="../vedtak.pdf" mime="application/pdf"/>');
    const err = catchFormatError(() =>
      sdpToLetter(
        sdpJson({ hoveddokument: undefined }),
        packageZip({ 'manifest.xml': manifest, 'vedlegg.txt': utf8('') }),
      ),
    );
    expect(err.issues).toContainEqual(issue('manifest/hoveddokument/@href', 'invalid_filename'));
    const zipErr = catchFormatError(() => sdpToLetter(sdpJson(), packageZip({ '../x.pdf': pdf })));
    expect(zipErr.code).toBe('zip_unsafe_entry');
    expect(zipErr.issues).toEqual([issue('../x.pdf', 'zip_unsafe_entry')]);
  });

  it('needs a manifest, a message id and a hostile-free manifest', () => {
    const noManifest = catchFormatError(() => sdpToLetter(sdpJson(), packageZip({ 'manifest.xml': '' })));
    expect(noManifest.code).toBe('invalid_xml');
    const json = sdpJson();
    delete json.standardBusinessDocumentHeader;
    expect(catchFormatError(() => sdpToLetter(json, packageZip())).issues).toEqual([
      issue('standardBusinessDocumentHeader.documentIdentification.instanceIdentifier', 'missing_id'),
    ]);
    const xxe = `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY e SYSTEM "file:///etc/passwd">]><manifest xmlns="http://begrep.difi.no/sdp/schema_v10">&e;</manifest>`;
    expect(catchFormatError(() => sdpToLetter(sdpJson(), packageZip({ 'manifest.xml': xxe }))).code).toBe(
      'xml_doctype_forbidden',
    );
    const wrongNs = manifestXml().replace('schema_v10', 'schema_v9');
    expect(catchFormatError(() => sdpToLetter(sdpJson(), packageZip({ 'manifest.xml': wrongNs }))).code).toBe(
      'wrong_namespace',
    );
    const unknown = manifestXml(
      '<hoveddokument href="vedtak.pdf" mime="application/pdf"><data href="x.xml" mime="application/xml"/></hoveddokument><lenke/>',
    );
    expect(
      catchFormatError(() => sdpToLetter(sdpJson(), packageZip({ 'manifest.xml': unknown, 'vedlegg.txt': utf8('') })))
        .issues,
    ).toEqual([issue('manifest/hoveddokument/data', 'unknown_element'), issue('manifest/lenke', 'unknown_element')]);
  });
});
