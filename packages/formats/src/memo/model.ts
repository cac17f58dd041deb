/**
 * The MeMo message model (Danish Digital Post, "Meddelelsesmodellen"), versions 1.1 and 1.2.
 *
 * Property names follow the XML element names, with complex elements in camelCase
 * (`Sender` → `sender`) and repeatable elements as arrays in plural form (`File` → `files`).
 * Repeatable elements are always present as arrays (possibly empty); optional single elements are
 * optional properties. The XML order, cardinalities and lengths live in ./schema.ts.
 *
 * Modelled from the public MeMo documentation as best known; where unsure, elements are optional.
 * Not modelled (and refused as unknown elements by the parser): Recipient/AttentionData,
 * Address/AddressPoint and anything else not listed here.
 */

export const MEMO_NAMESPACE = 'https://DigitalPost.dk/MeMo-1';
export const memoVersions = ['1.1', '1.2'] as const;
export type MemoVersion = (typeof memoVersions)[number];

export const messageTypes = ['DIGITALPOST', 'NEMSMS'] as const;
export type MessageType = (typeof messageTypes)[number];

export const actionCodes = [
  'AFTALE',
  'BEKRAEFT',
  'BETALING',
  'FORBEREDELSE',
  'INFORMATION',
  'SELVBETJENING',
  'TILMELDING',
  'UNDERSKRIV',
] as const;
export type ActionCode = (typeof actionCodes)[number];

/** Sender id types known to MeMo; validated, not enforced by the type (others may appear). */
export const senderIdTypes = ['MyndighedsID', 'CPR', 'CVR'] as const;
/** Recipient id types this platform can deliver to. */
export const recipientIdTypes = ['CPR', 'CVR'] as const;

export type MemoMessage = {
  memoVersion: MemoVersion;
  /** The optional `memoSchVersion` attribute (schema revision, e.g. "1.1.0"). */
  memoSchVersion?: string;
  header: MessageHeader;
  /** Absent for notification-only messages (NEMSMS). */
  body?: MessageBody;
};

export type MessageHeader = {
  messageType: MessageType;
  messageUUID: string;
  messageID?: string;
  messageCode?: string;
  label: string;
  notification?: string;
  additionalNotification?: string;
  reply?: boolean;
  replyByDateTime?: string;
  /** xs:date, `YYYY-MM-DD`. */
  doNotDeliverUntilDate?: string;
  mandatory?: boolean;
  legalNotification?: boolean;
  postType?: string;
  sender: Sender;
  recipient: Recipient;
  contentData?: ContentData;
  forwardData?: ForwardData;
  replyData: ReplyData[];
};

export type Sender = {
  senderID: string;
  idType: string;
  idTypeLabel?: string;
  label: string;
  representative?: Representative;
  contactPoint?: ContactPoint;
};

export type Representative = {
  representativeID: string;
  idType: string;
  idTypeLabel?: string;
  label?: string;
};

export type ContactPoint = {
  contactGroup?: string;
  contactPointID?: string;
  label?: string;
  contactInfo: ContactInfo[];
};

export type ContactInfo = { label: string; value: string };

export type Recipient = {
  recipientID: string;
  idType: string;
  idTypeLabel?: string;
  label?: string;
  contactPoint?: ContactPoint;
};

export type ContentData = {
  cprData?: { cprNumber: string; name?: string };
  cvrData?: { cvrNumber: string; companyName?: string };
  motorVehicle?: { licenseNumber: string; chassisNumber?: string };
  propertyNumber?: { propertyNumber: string };
  caseID?: { caseID: string; caseSystem?: string };
  kleData?: { subjectKey: string; version: string; activityFacet?: string; label: string };
  formData?: { taskKey: string; version: string; activityFacet?: string; label: string };
  productionUnit?: { productionUnitNumber: string; productionUnitName?: string };
  education?: { educationCode: string; educationName?: string };
  address?: Address;
  unstructuredData?: { unstructured: string };
  additionalContentData: AdditionalContentData[];
};

export type Address = {
  id?: string;
  addressLabel?: string;
  houseNumber?: string;
  door?: string;
  floor?: string;
  co?: string;
  zipCode?: string;
  city?: string;
  country?: string;
};

export type AdditionalContentData = { contentDataType: string; contentDataName: string; contentDataValue: string };

export type ForwardData = {
  messageUUID: string;
  originalMessageDateTime: string;
  originalSender: string;
  originalContentResponsible?: string;
  originalRepresentative?: string;
  contextIdentifier?: string;
  comment?: string;
};

export type ReplyData = {
  messageID?: string;
  messageUUID: string;
  replyUUID?: string;
  senderID?: string;
  recipientID?: string;
  caseID?: string;
  contactPointID?: string;
  generatingSystemID?: string;
  comment?: string;
  additionalReplyData: { label: string; value: string }[];
};

export type MessageBody = {
  createdDateTime: string;
  mainDocument: MemoDocument;
  additionalDocuments: MemoDocument[];
  /** Technical documents carry no actions: their `actions` is always empty. */
  technicalDocuments: MemoDocument[];
};

export type MemoDocument = {
  /** `mainDocumentID`, `additionalDocumentID` or `technicalDocumentID` in the XML. */
  documentID?: string;
  label?: string;
  files: MemoFile[];
  actions: MemoAction[];
};

export type MemoFile = {
  /** A media type, e.g. `application/pdf`. */
  encodingFormat: string;
  filename: string;
  /** `language` in MeMo 1.2, `inLanguage` in 1.1 (both accepted when reading). */
  language?: string;
  /** Base64, whitespace removed. */
  content: string;
};

export type MemoAction = {
  label: string;
  actionCode: ActionCode;
  startDateTime?: string;
  endDateTime?: string;
  reservation?: Reservation;
  entryPoint?: { url: string };
};

export type Reservation = {
  description?: string;
  reservationUUID: string;
  abstract: string;
  location: string;
  startDateTime: string;
  endDateTime: string;
  organizerMail?: string;
  organizerName?: string;
};
