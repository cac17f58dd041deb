/**
 * Norwegian "Sikker digital post" (SDP) as DPI / eFormidling carry it: a JSON business message
 * (`digitalpost`, optionally with a Standard Business Document Header) plus a document package
 * (an ASiC-E-like zip with `manifest.xml`).
 *
 * The JSON form follows the public DPI / eFormidling documentation as best known; field names are
 * as below, and parseSdpMessage also accepts the spellings seen in other versions of it
 * (`ikkeSensitivTittel`, `epostVarsel` / `smsVarsel`, `virkningstidspunkt`,
 * `digitalPostInfo: { virkningsdato, aapningskvittering }`, `digital` for `digitalpost`, `orgnr`
 * for `organisasjonsnummer`, and a `standardBusinessDocument` wrapper). Unknown fields are ignored.
 */

export const SDP_MANIFEST_NAMESPACE = 'http://begrep.difi.no/sdp/schema_v10';

export type Sikkerhetsnivaa = 3 | 4;

/** The message after parsing: aliases resolved, defaults filled in. */
export type SdpMessage = {
  /** The SBDH as sent (only the fields below are read from it). */
  standardBusinessDocumentHeader?: Record<string, unknown>;
  /** SBDH documentIdentification.instanceIdentifier: the message id (a UUID). */
  messageId?: string;
  /** SBDH businessScope scope of type ConversationId: its instanceIdentifier. */
  conversationId?: string;
  digitalpost: SdpDigitalPost;
};

export type SdpDigitalPost = {
  sikkerhetsnivaa: Sikkerhetsnivaa;
  /** File name of the main document in the package; must agree with the manifest when given. */
  hoveddokument?: string;
  avsenderId?: string;
  fakturaReferanse?: string;
  tittel?: string;
  ikkesensitivtittel: string;
  /** ISO 639-1 language code, as sent (usually upper case). Default `NO`. */
  spraak: string;
  /** `YYYY-MM-DD` or a date-time with time zone. */
  virkningsdato?: string;
  /** Default false. */
  aapningskvittering: boolean;
  varsler?: SdpVarsler;
  mottaker: SdpMottaker;
};

export type SdpVarsel = {
  varslingstekst: string;
  /** Days after delivery to notify (again); stops once the letter is opened. Default [0]. */
  repetisjoner: number[];
};

export type SdpVarsler = {
  epostvarsel?: SdpVarsel & { epostadresse?: string };
  smsvarsel?: SdpVarsel & { mobiltelefonnummer?: string };
};

export type SdpMottaker = { personidentifikator: string; postkasseadresse?: string } | { organisasjonsnummer: string };

/** manifest.xml of the document package. */
export type SdpManifest = {
  mottaker?: { personidentifikator?: string; organisasjonsnummer?: string; postkasseadresse?: string };
  avsender?: { organisasjon?: string; avsenderidentifikator?: string; fakturaReferanse?: string };
  hoveddokument: SdpManifestDocument;
  vedlegg: SdpManifestDocument[];
};

export type SdpManifestDocument = {
  href: string;
  mime: string;
  tittel?: string;
  /** The `lang` attribute of `tittel`. */
  lang?: string;
};
