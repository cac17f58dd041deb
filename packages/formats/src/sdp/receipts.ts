/**
 * Core letter events → SDP receipts (kvitteringer), for senders that speak SDP.
 *
 * ACCEPTED → mottakskvittering, DELIVERED → leveringskvittering, OPENED → aapningskvittering,
 * NOTIFICATION_FAILED → varslingfeiletkvittering (channel EPOST / SMS and a beskrivelse),
 * REJECTED, HELD_EXPIRED and PRINT_FAILED → feil. A feil says KLIENT when the fault lies in the
 * request (resending the same letter cannot help) and SERVER when it lies with the platform (it
 * may be resent): the event's `data.retryable` decides when present, else the core error
 * catalogue's `retryable` for `data.reason`, else KLIENT for REJECTED and HELD_EXPIRED (the
 * recipient could not be reached) and SERVER for PRINT_FAILED. Events SDP has no receipt for
 * (HELD, PRINT_QUEUED, PRINTED, NOTIFIED, REPLIED, CANCELLED) give null.
 */
import { errorCatalog, type LetterEventType } from '@postkasse/core';

export type SdpReceiptEvent = {
  type: LetterEventType;
  /** ISO-8601 time of the event. */
  at: string;
  data: Record<string, unknown>;
  /** The sender's id of the letter (the SDP message id). */
  letterExternalId: string;
};

export type SdpFeiltype = 'KLIENT' | 'SERVER';
export type SdpVarslingskanal = 'EPOST' | 'SMS';

export type SdpReceipt =
  | { meldingsId: string; mottakskvittering: { tidspunkt: string } }
  | { meldingsId: string; leveringskvittering: { tidspunkt: string } }
  | { meldingsId: string; aapningskvittering: { tidspunkt: string } }
  | {
      meldingsId: string;
      varslingfeiletkvittering: { tidspunkt: string; varslingskanal: SdpVarslingskanal; beskrivelse: string };
    }
  | { meldingsId: string; feil: { tidspunkt: string; feiltype: SdpFeiltype; detaljer: string } };

export function receiptToSdp(event: SdpReceiptEvent): SdpReceipt | null {
  const meldingsId = event.letterExternalId;
  const tidspunkt = event.at;
  switch (event.type) {
    case 'ACCEPTED':
      return { meldingsId, mottakskvittering: { tidspunkt } };
    case 'DELIVERED':
      return { meldingsId, leveringskvittering: { tidspunkt } };
    case 'OPENED':
      return { meldingsId, aapningskvittering: { tidspunkt } };
    case 'NOTIFICATION_FAILED':
      return {
        meldingsId,
        varslingfeiletkvittering: {
          tidspunkt,
          varslingskanal: channel(event.data.channel),
          beskrivelse: describe(event.data, 'the notification could not be sent'),
        },
      };
    case 'REJECTED':
    case 'HELD_EXPIRED':
    case 'PRINT_FAILED':
      return {
        meldingsId,
        feil: { tidspunkt, feiltype: feiltype(event), detaljer: describe(event.data, defaultDetails[event.type]) },
      };
    default:
      return null;
  }
}

const defaultDetails = {
  REJECTED: 'the letter was rejected',
  HELD_EXPIRED: 'the recipient did not register before the deadline',
  PRINT_FAILED: 'printing failed',
} as const;

function feiltype(event: SdpReceiptEvent): SdpFeiltype {
  const { retryable, reason } = event.data;
  if (typeof retryable === 'boolean') return retryable ? 'SERVER' : 'KLIENT';
  if (typeof reason === 'string' && Object.hasOwn(errorCatalog, reason)) {
    return errorCatalog[reason as keyof typeof errorCatalog].retryable ? 'SERVER' : 'KLIENT';
  }
  return event.type === 'PRINT_FAILED' ? 'SERVER' : 'KLIENT';
}

function channel(value: unknown): SdpVarslingskanal {
  const v = typeof value === 'string' ? value.toLowerCase() : '';
  return v === 'sms' ? 'SMS' : 'EPOST';
}

/** `reason` (a code) and `description`/`message` (text) from the event, else the default. */
function describe(data: Record<string, unknown>, fallback: string): string {
  const parts = [data.reason, data.description ?? data.message].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  );
  return parts.length > 0 ? parts.join(': ') : fallback;
}
