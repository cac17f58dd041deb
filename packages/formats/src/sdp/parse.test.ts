import { describe, expect, it } from 'vitest';
import { catchFormatError, utf8 } from '../test-helpers.js';
import { parseSdpMessage } from './parse.js';
import { PERSON, sdpJson } from './test-package.js';

const issue = (path: string, code: string) => expect.objectContaining({ path, code });

describe('parseSdpMessage', () => {
  it('fills defaults', () => {
    const msg = parseSdpMessage({
      digitalpost: { sikkerhetsnivaa: 3, ikkesensitivtittel: 'Brev', mottaker: { personidentifikator: PERSON } },
    });
    expect(msg).toEqual({
      digitalpost: {
        sikkerhetsnivaa: 3,
        ikkesensitivtittel: 'Brev',
        spraak: 'NO',
        aapningskvittering: false,
        mottaker: { personidentifikator: PERSON },
      },
    });
  });

  it('reads JSON bytes and refuses malformed or oversized JSON', () => {
    expect(parseSdpMessage(utf8(JSON.stringify(sdpJson()))).digitalpost.sikkerhetsnivaa).toBe(4);
    expect(catchFormatError(() => parseSdpMessage('{')).code).toBe('invalid_sdp');
    expect(catchFormatError(() => parseSdpMessage(' '.repeat(2 * 1024 * 1024))).issues).toEqual([
      issue('', 'invalid_sdp'),
    ]);
    expect(catchFormatError(() => parseSdpMessage([])).code).toBe('invalid_sdp');
  });

  it('collects every problem with its JSON path', () => {
    const err = catchFormatError(() =>
      parseSdpMessage(
        sdpJson({
          sikkerhetsnivaa: 2,
          ikkesensitivtittel: '',
          spraak: 'norsk',
          virkningsdato: '2024-13-01',
          aapningskvittering: 'ja',
          hoveddokument: '../x.pdf',
          tittel: 'x'.repeat(256),
          varsler: {
            epostvarsel: { epostadresse: 'nope', varslingstekst: 'x'.repeat(501), repetisjoner: [0, 0] },
            smsvarsel: { mobiltelefonnummer: 'abc', varslingstekst: 'x'.repeat(161), repetisjoner: [26] },
          },
          mottaker: { personidentifikator: '12345678901' },
        }),
      ),
    );
    expect(err.code).toBe('invalid_sdp');
    expect(err.issues).toEqual([
      issue('digitalpost.sikkerhetsnivaa', 'invalid_value'),
      issue('digitalpost.ikkesensitivtittel', 'empty_value'),
      issue('digitalpost.mottaker.personidentifikator', 'invalid_national_id'),
      issue('digitalpost.hoveddokument', 'invalid_filename'),
      issue('digitalpost.tittel', 'too_long'),
      issue('digitalpost.spraak', 'invalid_language'),
      issue('digitalpost.virkningsdato', 'invalid_date'),
      issue('digitalpost.aapningskvittering', 'invalid_type'),
      issue('digitalpost.varsler.epostvarsel.varslingstekst', 'too_long'),
      issue('digitalpost.varsler.epostvarsel.repetisjoner', 'invalid_repetitions'),
      issue('digitalpost.varsler.epostvarsel.epostadresse', 'invalid_email'),
      issue('digitalpost.varsler.smsvarsel.varslingstekst', 'too_long'),
      issue('digitalpost.varsler.smsvarsel.repetisjoner', 'invalid_repetitions'),
      issue('digitalpost.varsler.smsvarsel.mobiltelefonnummer', 'invalid_phone'),
    ]);
  });

  it('needs exactly one recipient and a digitalpost object', () => {
    expect(catchFormatError(() => parseSdpMessage(sdpJson({ mottaker: {} }))).issues).toEqual([
      issue('digitalpost.mottaker', 'invalid_recipient'),
    ]);
    expect(
      catchFormatError(() =>
        parseSdpMessage(sdpJson({ mottaker: { personidentifikator: PERSON, orgnr: '974760673' } })),
      ).issues,
    ).toEqual([issue('digitalpost.mottaker', 'invalid_recipient')]);
    expect(catchFormatError(() => parseSdpMessage(sdpJson({ mottaker: { orgnr: '974760674' } }))).issues).toEqual([
      issue('digitalpost.mottaker.organisasjonsnummer', 'invalid_org_number'),
    ]);
    expect(catchFormatError(() => parseSdpMessage({})).issues).toEqual([issue('digitalpost', 'missing_field')]);
  });

  it('checks the SBDH message id', () => {
    const json = sdpJson();
    (
      json.standardBusinessDocumentHeader as { documentIdentification: { instanceIdentifier: string } }
    ).documentIdentification.instanceIdentifier = 'x';
    expect(catchFormatError(() => parseSdpMessage(json)).issues).toEqual([
      issue('standardBusinessDocumentHeader.documentIdentification.instanceIdentifier', 'invalid_uuid'),
    ]);
  });
});
