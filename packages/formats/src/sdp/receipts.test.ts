import { describe, expect, it } from 'vitest';
import { receiptToSdp } from './receipts.js';

const at = '2024-06-01T10:00:00.000Z';
const base = { at, data: {}, letterExternalId: 'msg-1' };

describe('receiptToSdp', () => {
  it('maps the receipts SDP knows', () => {
    expect(receiptToSdp({ ...base, type: 'ACCEPTED' })).toEqual({
      meldingsId: 'msg-1',
      mottakskvittering: { tidspunkt: at },
    });
    expect(receiptToSdp({ ...base, type: 'DELIVERED' })).toEqual({
      meldingsId: 'msg-1',
      leveringskvittering: { tidspunkt: at },
    });
    expect(receiptToSdp({ ...base, type: 'OPENED' })).toEqual({
      meldingsId: 'msg-1',
      aapningskvittering: { tidspunkt: at },
    });
  });

  it('maps a failed notification with its channel and description', () => {
    expect(
      receiptToSdp({
        ...base,
        type: 'NOTIFICATION_FAILED',
        data: { channel: 'sms', reason: 'invalid_number', description: 'no such number' },
      }),
    ).toEqual({
      meldingsId: 'msg-1',
      varslingfeiletkvittering: { tidspunkt: at, varslingskanal: 'SMS', beskrivelse: 'invalid_number: no such number' },
    });
    expect(receiptToSdp({ ...base, type: 'NOTIFICATION_FAILED', data: { channel: 'email' } })).toEqual({
      meldingsId: 'msg-1',
      varslingfeiletkvittering: {
        tidspunkt: at,
        varslingskanal: 'EPOST',
        beskrivelse: 'the notification could not be sent',
      },
    });
  });

  it('maps rejections and failures to feil, KLIENT for request faults and SERVER for platform faults', () => {
    expect(receiptToSdp({ ...base, type: 'REJECTED', data: { reason: 'recipient_has_no_mailbox' } })).toEqual({
      meldingsId: 'msg-1',
      feil: { tidspunkt: at, feiltype: 'KLIENT', detaljer: 'recipient_has_no_mailbox' },
    });
    expect(receiptToSdp({ ...base, type: 'REJECTED', data: { reason: 'internal_error' } })).toMatchObject({
      feil: { feiltype: 'SERVER' },
    });
    expect(
      receiptToSdp({ ...base, type: 'REJECTED', data: { reason: 'invalid_letter', retryable: true } }),
    ).toMatchObject({
      feil: { feiltype: 'SERVER' },
    });
    expect(receiptToSdp({ ...base, type: 'HELD_EXPIRED' })).toMatchObject({ feil: { feiltype: 'KLIENT' } });
    expect(receiptToSdp({ ...base, type: 'PRINT_FAILED', data: { message: 'printer offline' } })).toEqual({
      meldingsId: 'msg-1',
      feil: { tidspunkt: at, feiltype: 'SERVER', detaljer: 'printer offline' },
    });
  });

  it('gives null for events without an SDP receipt', () => {
    for (const type of ['HELD', 'PRINT_QUEUED', 'PRINTED', 'NOTIFIED', 'REPLIED', 'CANCELLED'] as const) {
      expect(receiptToSdp({ ...base, type })).toBeNull();
    }
  });
});
