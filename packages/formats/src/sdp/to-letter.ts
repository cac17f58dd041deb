/**
 * SDP (JSON message + document package) → core letter and extras.
 *
 * Decisions:
 * - id: the caller's `options.id`, else the SBDH documentIdentification.instanceIdentifier,
 *   lowercased; without either the message is refused.
 * - recipient: personidentifikator → `{ nationalId }`, organisasjonsnummer → `{ orgNumber }`.
 * - authLevel: sikkerhetsnivaa 3 → 'substantial', 4 → 'high'. sensitivity 'normal': SDP shows
 *   only the non-sensitive title before a login at the level, which the core does for every
 *   letter with a nonSensitiveTitle; SDP has no separate "hide the sender" flag.
 * - subject: tittel, else the manifest's title of the main document, else ikkesensitivtittel.
 * - nonSensitiveTitle: ikkesensitivtittel. openingReceipt: aapningskvittering.
 * - legalNotification and mandatory: false (SDP has neither); senderReference: none (SDP's
 *   avsenderId names the sender's unit and fakturaReferanse is for invoicing: both in extras).
 * - deliverAt: virkningsdato; a date means 00:00 UTC that day, a date-time is normalised to UTC.
 * - documents: the manifest's hoveddokument (part `doc-1`, role 'main') and vedlegg (`doc-2`…,
 *   'attachment'), file name = href, media type = mime, title = tittel, language = spraak in
 *   lower case. Every package file other than manifest.xml, mimetype and META-INF/ (the ASiC-E
 *   signature, which is not verified here) must be named by the manifest, and every name must
 *   exist.
 * - varsler → extras.notification (e-mail / SMS text, address and repetitions).
 */
import { checkFilename } from '@postkasse/core';
import { FormatError, type FormatIssue } from '../errors.js';
import { type MappedLetter, startOfDayUtc } from '../letter.js';
import { parseManifest } from './manifest.js';
import type { SdpManifest, SdpMessage, Sikkerhetsnivaa } from './model.js';
import { parseSdpMessage } from './parse.js';
import { readZip, type ZipLimits } from './zip.js';

export type SdpNotification = {
  email?: { address?: string; text: string; repetitions: number[] };
  sms?: { number?: string; text: string; repetitions: number[] };
};

export type SdpExtras = {
  format: 'sdp';
  sikkerhetsnivaa: Sikkerhetsnivaa;
  spraak: string;
  messageId?: string;
  conversationId?: string;
  avsenderId?: string;
  fakturaReferanse?: string;
  tittel?: string;
  postkasseadresse?: string;
  /** The manifest's avsender/organisasjon, e.g. `9908:984661185`. */
  senderOrganization?: string;
  notification?: SdpNotification;
  standardBusinessDocumentHeader?: Record<string, unknown>;
};

export type SdpLetter = { letter: MappedLetter; extras: SdpExtras };

export type SdpToLetterOptions = {
  /** The letter id when the message has no SBDH (e.g. taken from the transport). */
  id?: string;
  zip?: ZipLimits;
};

const PACKAGE_FILES = new Set(['manifest.xml', 'mimetype']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

export function sdpToLetter(json: unknown, zipBytes: Uint8Array, options: SdpToLetterOptions = {}): SdpLetter {
  const msg = parseSdpMessage(json);
  const dp = msg.digitalpost;
  const files = readZip(zipBytes, options.zip);
  const manifestBytes = files.get('manifest.xml');
  if (!manifestBytes) {
    throw FormatError.single('invalid_document_package', 'manifest.xml', 'the package has no manifest.xml');
  }
  const manifest = parseManifest(manifestBytes);
  const issues = checkPackage(msg, manifest, files);
  const id = options.id ?? msg.messageId;
  if (options.id !== undefined && !UUID.test(options.id)) {
    issues.push({ path: 'options.id', code: 'invalid_uuid', message: 'the letter id must be a UUID' });
  }
  if (id === undefined) {
    issues.push({
      path: 'standardBusinessDocumentHeader.documentIdentification.instanceIdentifier',
      code: 'missing_id',
      message: 'no message id: give an SBDH or options.id',
    });
  }
  if (issues.length > 0) throw new FormatError('invalid_document_package', issues);

  const language = dp.spraak.toLowerCase();
  const documents: MappedLetter['documents'] = [manifest.hoveddokument, ...manifest.vedlegg].map((d, i) => ({
    part: `doc-${i + 1}`,
    role: i === 0 ? 'main' : 'attachment',
    title: d.tittel,
    filename: d.href,
    mediaType: d.mime,
    language,
    content: files.get(d.href)!,
  }));
  const letter: MappedLetter = {
    id: id!.toLowerCase(),
    recipient:
      'personidentifikator' in dp.mottaker
        ? { nationalId: dp.mottaker.personidentifikator }
        : { orgNumber: dp.mottaker.organisasjonsnummer },
    subject: dp.tittel ?? manifest.hoveddokument.tittel ?? dp.ikkesensitivtittel,
    nonSensitiveTitle: dp.ikkesensitivtittel,
    authLevel: dp.sikkerhetsnivaa === 4 ? 'high' : 'substantial',
    sensitivity: 'normal',
    openingReceipt: dp.aapningskvittering,
    legalNotification: false,
    mandatory: false,
    senderReference: undefined,
    documents,
    deliverAt: deliverAt(dp.virkningsdato),
  };
  return { letter, extras: toExtras(msg, manifest) };
}

function checkPackage(msg: SdpMessage, manifest: SdpManifest, files: Map<string, Uint8Array>): FormatIssue[] {
  const issues: FormatIssue[] = [];
  const add = (path: string, code: string, message: string) => issues.push({ path, code, message });
  const dp = msg.digitalpost;
  if (dp.hoveddokument !== undefined && dp.hoveddokument !== manifest.hoveddokument.href) {
    add('digitalpost.hoveddokument', 'main_document_mismatch', 'differs from the manifest’s hoveddokument');
  }
  const m = manifest.mottaker;
  const jsonId =
    'personidentifikator' in dp.mottaker ? dp.mottaker.personidentifikator : dp.mottaker.organisasjonsnummer;
  const manifestId = m?.personidentifikator ?? m?.organisasjonsnummer;
  if (manifestId !== undefined && manifestId !== jsonId) {
    add('manifest/mottaker', 'recipient_mismatch', 'the manifest names another recipient than the message');
  }
  const referenced = new Set<string>();
  [manifest.hoveddokument, ...manifest.vedlegg].forEach((d, i) => {
    const path = i === 0 ? 'manifest/hoveddokument' : `manifest/vedlegg[${i}]`;
    const bad = checkFilename(d.href);
    if (bad) add(`${path}/@href`, 'invalid_filename', bad);
    if (!MEDIA_TYPE.test(d.mime)) add(`${path}/@mime`, 'invalid_media_type', 'is not a media type');
    if (referenced.has(d.href)) add(`${path}/@href`, 'duplicate_reference', 'the manifest names this file twice');
    referenced.add(d.href);
    if (!bad && !files.has(d.href)) add(`${path}/@href`, 'missing_file', `${d.href} is not in the package`);
  });
  for (const name of files.keys()) {
    if (PACKAGE_FILES.has(name) || name.startsWith('META-INF/') || referenced.has(name)) continue;
    add(name, 'unreferenced_file', 'the package holds a file the manifest does not name');
  }
  return issues;
}

function deliverAt(virkningsdato: string | undefined): string | undefined {
  if (virkningsdato === undefined) return undefined;
  if (virkningsdato.length <= 16 && !virkningsdato.includes('T')) return startOfDayUtc(virkningsdato);
  return new Date(virkningsdato).toISOString();
}

function toExtras(msg: SdpMessage, manifest: SdpManifest): SdpExtras {
  const dp = msg.digitalpost;
  const extras: SdpExtras = { format: 'sdp', sikkerhetsnivaa: dp.sikkerhetsnivaa, spraak: dp.spraak };
  if (msg.messageId !== undefined) extras.messageId = msg.messageId;
  if (msg.conversationId !== undefined) extras.conversationId = msg.conversationId;
  if (dp.avsenderId !== undefined) extras.avsenderId = dp.avsenderId;
  if (dp.fakturaReferanse !== undefined) extras.fakturaReferanse = dp.fakturaReferanse;
  if (dp.tittel !== undefined) extras.tittel = dp.tittel;
  if ('postkasseadresse' in dp.mottaker && dp.mottaker.postkasseadresse !== undefined) {
    extras.postkasseadresse = dp.mottaker.postkasseadresse;
  }
  if (manifest.avsender?.organisasjon !== undefined) extras.senderOrganization = manifest.avsender.organisasjon;
  if (msg.standardBusinessDocumentHeader !== undefined) {
    extras.standardBusinessDocumentHeader = msg.standardBusinessDocumentHeader;
  }
  const v = dp.varsler;
  if (v && (v.epostvarsel || v.smsvarsel)) {
    const n: SdpNotification = {};
    if (v.epostvarsel) {
      n.email = { text: v.epostvarsel.varslingstekst, repetitions: v.epostvarsel.repetisjoner };
      if (v.epostvarsel.epostadresse !== undefined) n.email.address = v.epostvarsel.epostadresse;
    }
    if (v.smsvarsel) {
      n.sms = { text: v.smsvarsel.varslingstekst, repetitions: v.smsvarsel.repetisjoner };
      if (v.smsvarsel.mobiltelefonnummer !== undefined) n.sms.number = v.smsvarsel.mobiltelefonnummer;
    }
    extras.notification = n;
  }
  return extras;
}
