/**
 * The MeMo element table: for every complex element, its children in schema order with their
 * model property, cardinality and value rules. The parser, the serializer and the validator are
 * all driven by this one table, so the three cannot disagree about order or names.
 *
 * Lengths are the MeMo documentation's where known (label 256, notification 150); elsewhere a
 * generous guess, so that well-formed messages from other systems are not refused for them.
 */
import { actionCodes, messageTypes } from './model.js';

/**
 * How an element's text becomes a value: `string` keeps the text exactly, `token` trims it
 * (identifiers, codes, dates), `boolean` is xs:boolean, `base64` drops all whitespace.
 */
export type LeafKind = 'string' | 'token' | 'boolean' | 'base64';

/** Semantic checks applied by validateMemo (see validate.ts). */
export type Check = 'uuid' | 'dateTime' | 'date' | 'httpsUrl' | 'filename' | 'mediaType' | 'email' | 'language';

export type ComplexName =
  | 'Message'
  | 'MessageHeader'
  | 'Sender'
  | 'Representative'
  | 'ContactPoint'
  | 'ContactInfo'
  | 'Recipient'
  | 'ContentData'
  | 'CPRdata'
  | 'CVRdata'
  | 'MotorVehicle'
  | 'PropertyNumber'
  | 'CaseID'
  | 'KLEdata'
  | 'FORMdata'
  | 'ProductionUnit'
  | 'Education'
  | 'Address'
  | 'UnstructuredData'
  | 'AdditionalContentData'
  | 'ForwardData'
  | 'ReplyData'
  | 'AdditionalReplyData'
  | 'MessageBody'
  | 'MainDocument'
  | 'AdditionalDocument'
  | 'TechnicalDocument'
  | 'File'
  | 'Action'
  | 'Reservation'
  | 'EntryPoint';

export type Field = {
  /** Element local name as written. */
  xml: string;
  /** Other names accepted when reading (e.g. MeMo 1.1 spellings). */
  aliases?: readonly string[];
  /** The element name to write for MeMo 1.1, when it differs. */
  xml11?: string;
  /** Property in the model. */
  key: string;
  type: LeafKind | ComplexName;
  /** 1 when the element is required. */
  min: 0 | 1;
  /** Repeatable: the property is an array. */
  many?: true;
  maxLength?: number;
  check?: Check;
  /** Allowed values; enforced already by the parser because the model type is a union. */
  values?: readonly string[];
};

const S = 256;
const LONG = 4000;

const t = (xml: string, min: 0 | 1, extra: Partial<Field> = {}): Field => ({
  xml,
  key: xml,
  type: 'token',
  min,
  maxLength: S,
  ...extra,
});
const s = (xml: string, min: 0 | 1, maxLength = S): Field => ({ xml, key: xml, type: 'string', min, maxLength });
const c = (xml: string, key: string, type: ComplexName, min: 0 | 1, many?: true): Field =>
  many ? { xml, key, type, min, many } : { xml, key, type, min };

const contactPoint = c('ContactPoint', 'contactPoint', 'ContactPoint', 0);

const documentFields = (idElement: string, withActions: boolean): Field[] => [
  t(idElement, 0, { key: 'documentID' }),
  s('label', 0),
  c('File', 'files', 'File', 1, true),
  ...(withActions ? [c('Action', 'actions', 'Action', 0, true)] : []),
];

export const memoTypes: Record<ComplexName, Field[]> = {
  Message: [c('MessageHeader', 'header', 'MessageHeader', 1), c('MessageBody', 'body', 'MessageBody', 0)],
  MessageHeader: [
    t('messageType', 1, { values: messageTypes }),
    t('messageUUID', 1, { check: 'uuid' }),
    t('messageID', 0),
    t('messageCode', 0),
    s('label', 1, 256),
    s('notification', 0, 150),
    s('additionalNotification', 0, 300),
    { xml: 'reply', key: 'reply', type: 'boolean', min: 0 },
    t('replyByDateTime', 0, { check: 'dateTime' }),
    t('doNotDeliverUntilDate', 0, { check: 'date' }),
    { xml: 'mandatory', key: 'mandatory', type: 'boolean', min: 0 },
    { xml: 'legalNotification', key: 'legalNotification', type: 'boolean', min: 0 },
    t('postType', 0),
    c('Sender', 'sender', 'Sender', 1),
    c('Recipient', 'recipient', 'Recipient', 1),
    c('ContentData', 'contentData', 'ContentData', 0),
    c('ForwardData', 'forwardData', 'ForwardData', 0),
    c('ReplyData', 'replyData', 'ReplyData', 0, true),
  ],
  Sender: [
    t('senderID', 1),
    t('idType', 1),
    s('idTypeLabel', 0),
    s('label', 1),
    c('Representative', 'representative', 'Representative', 0),
    contactPoint,
  ],
  Representative: [t('representativeID', 1), t('idType', 1), s('idTypeLabel', 0), s('label', 0)],
  ContactPoint: [
    s('contactGroup', 0),
    t('contactPointID', 0),
    s('label', 0),
    c('ContactInfo', 'contactInfo', 'ContactInfo', 0, true),
  ],
  ContactInfo: [s('label', 1), s('value', 1)],
  Recipient: [t('recipientID', 1), t('idType', 1), s('idTypeLabel', 0), s('label', 0), contactPoint],
  ContentData: [
    c('CPRdata', 'cprData', 'CPRdata', 0),
    c('CVRdata', 'cvrData', 'CVRdata', 0),
    c('MotorVehicle', 'motorVehicle', 'MotorVehicle', 0),
    c('PropertyNumber', 'propertyNumber', 'PropertyNumber', 0),
    c('CaseID', 'caseID', 'CaseID', 0),
    c('KLEdata', 'kleData', 'KLEdata', 0),
    c('FORMdata', 'formData', 'FORMdata', 0),
    c('ProductionUnit', 'productionUnit', 'ProductionUnit', 0),
    c('Education', 'education', 'Education', 0),
    c('Address', 'address', 'Address', 0),
    c('UnstructuredData', 'unstructuredData', 'UnstructuredData', 0),
    c('AdditionalContentData', 'additionalContentData', 'AdditionalContentData', 0, true),
  ],
  CPRdata: [t('cprNumber', 1), s('name', 0)],
  CVRdata: [t('cvrNumber', 1), s('companyName', 0)],
  MotorVehicle: [t('licenseNumber', 1), t('chassisNumber', 0)],
  PropertyNumber: [t('propertyNumber', 1)],
  CaseID: [t('caseID', 1), s('caseSystem', 0)],
  KLEdata: [t('subjectKey', 1), t('version', 1), t('activityFacet', 0), s('label', 1)],
  FORMdata: [t('taskKey', 1), t('version', 1), t('activityFacet', 0), s('label', 1)],
  ProductionUnit: [t('productionUnitNumber', 1), s('productionUnitName', 0)],
  Education: [t('educationCode', 1), s('educationName', 0)],
  Address: [
    t('id', 0),
    s('addressLabel', 0),
    t('houseNumber', 0),
    t('door', 0),
    t('floor', 0),
    s('co', 0),
    t('zipCode', 0),
    s('city', 0),
    t('country', 0),
  ],
  UnstructuredData: [s('unstructured', 1, LONG)],
  AdditionalContentData: [t('contentDataType', 1), s('contentDataName', 1), s('contentDataValue', 1, LONG)],
  ForwardData: [
    t('messageUUID', 1, { check: 'uuid' }),
    t('originalMessageDateTime', 1, { check: 'dateTime' }),
    s('originalSender', 1),
    s('originalContentResponsible', 0),
    s('originalRepresentative', 0),
    t('contextIdentifier', 0),
    s('comment', 0, LONG),
  ],
  ReplyData: [
    t('messageID', 0),
    t('messageUUID', 1, { check: 'uuid' }),
    t('replyUUID', 0, { check: 'uuid' }),
    t('senderID', 0),
    t('recipientID', 0),
    t('caseID', 0),
    t('contactPointID', 0),
    t('generatingSystemID', 0),
    s('comment', 0, LONG),
    c('AdditionalReplyData', 'additionalReplyData', 'AdditionalReplyData', 0, true),
  ],
  AdditionalReplyData: [s('label', 1), s('value', 1, LONG)],
  MessageBody: [
    t('createdDateTime', 1, { check: 'dateTime' }),
    c('MainDocument', 'mainDocument', 'MainDocument', 1),
    c('AdditionalDocument', 'additionalDocuments', 'AdditionalDocument', 0, true),
    c('TechnicalDocument', 'technicalDocuments', 'TechnicalDocument', 0, true),
  ],
  MainDocument: documentFields('mainDocumentID', true),
  AdditionalDocument: documentFields('additionalDocumentID', true),
  TechnicalDocument: documentFields('technicalDocumentID', false),
  File: [
    t('encodingFormat', 1, { check: 'mediaType' }),
    { xml: 'filename', key: 'filename', type: 'string', min: 1, check: 'filename' },
    t('language', 0, { aliases: ['inLanguage'], xml11: 'inLanguage', check: 'language' }),
    { xml: 'content', key: 'content', type: 'base64', min: 1 },
  ],
  Action: [
    s('label', 1),
    t('actionCode', 1, { values: actionCodes }),
    t('startDateTime', 0, { check: 'dateTime' }),
    t('endDateTime', 0, { check: 'dateTime' }),
    c('Reservation', 'reservation', 'Reservation', 0),
    c('EntryPoint', 'entryPoint', 'EntryPoint', 0),
  ],
  Reservation: [
    s('description', 0, LONG),
    t('reservationUUID', 1, { check: 'uuid' }),
    s('abstract', 1, LONG),
    s('location', 1),
    t('startDateTime', 1, { check: 'dateTime' }),
    t('endDateTime', 1, { check: 'dateTime' }),
    t('organizerMail', 0, { check: 'email' }),
    s('organizerName', 0),
  ],
  EntryPoint: [t('url', 1, { maxLength: 2048, check: 'httpsUrl' })],
};

export function isLeaf(type: Field['type']): type is LeafKind {
  return type === 'string' || type === 'token' || type === 'boolean' || type === 'base64';
}

/** The path segment of one occurrence: `File[2]` for repeatable elements (1-based), else `label`. */
export function segment(field: Field, index: number): string {
  return field.many ? `${field.xml}[${index + 1}]` : field.xml;
}
