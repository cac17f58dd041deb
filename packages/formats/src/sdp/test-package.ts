/** Builds SDP test messages and document packages (zips made with fflate). */
import { zipSync } from 'fflate';
import { utf8 } from '../test-helpers.js';
import { SDP_MANIFEST_NAMESPACE } from './model.js';

export const PERSON = '01019000083';
export const ORG = '974760673';
export const MESSAGE_ID = '6E1B0C6A-3D0E-4C1F-9A43-9F0E1B2C3D4E';
export const pdf = utf8('%PDF-1.4\n% test\n');
export const attachment = utf8('Vedlegg');

export function sdpJson(digitalpost: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    standardBusinessDocumentHeader: {
      headerVersion: '1.0',
      documentIdentification: {
        standard: 'urn:no:difi:digitalpost:xsd:digital::digital',
        instanceIdentifier: MESSAGE_ID,
      },
      businessScope: {
        scope: [
          {
            type: 'ConversationId',
            instanceIdentifier: 'conv-42',
            identifier: 'urn:no:difi:profile:digitalpost:info:ver1.0',
          },
        ],
      },
    },
    digitalpost: {
      sikkerhetsnivaa: 4,
      hoveddokument: 'vedtak.pdf',
      avsenderId: 'enhet-7',
      fakturaReferanse: 'F-123',
      ikkesensitivtittel: 'Du har fått brev fra kommunen',
      spraak: 'NO',
      virkningsdato: '2024-06-01',
      aapningskvittering: true,
      varsler: {
        epostvarsel: { epostadresse: 'ola@example.no', varslingstekst: 'Du har post', repetisjoner: [0, 7] },
        smsvarsel: { mobiltelefonnummer: '+4799999999', varslingstekst: 'Du har post', repetisjoner: [0] },
      },
      mottaker: { personidentifikator: PERSON, postkasseadresse: 'ola.nordmann#1234' },
      ...digitalpost,
    },
  };
}

export function manifestXml(body?: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="${SDP_MANIFEST_NAMESPACE}">
${
  body ??
  `  <mottaker><person><personidentifikator>${PERSON}</personidentifikator></person></mottaker>
  <avsender><organisasjon authority="iso6523-actorid-upis">9908:${ORG}</organisasjon></avsender>
  <hoveddokument href="vedtak.pdf" mime="application/pdf"><tittel lang="NO">Vedtak om barnehageplass</tittel></hoveddokument>
  <vedlegg href="vedlegg.txt" mime="text/plain"><tittel lang="NO">Vedlegg</tittel></vedlegg>`
}
</manifest>`;
}

export function packageZip(files: Record<string, Uint8Array | string> = {}): Uint8Array {
  const all: Record<string, Uint8Array | string> = {
    mimetype: 'application/vnd.etsi.asic-e+zip',
    'manifest.xml': manifestXml(),
    'vedtak.pdf': pdf,
    'vedlegg.txt': attachment,
    'META-INF/signatures.xml': '<signatures/>',
    ...files,
  };
  const entries: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  for (const [name, value] of Object.entries(all)) {
    entries[name] = [typeof value === 'string' ? utf8(value) : value, { level: name === 'mimetype' ? 0 : 6 }];
  }
  return zipSync(entries);
}
