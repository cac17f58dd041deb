/** fast-check generators of valid MeMo messages (strict identifiers), for the property tests. */
import fc from 'fast-check';
import { toBase64 } from '../letter.js';
import type {
  ContactPoint,
  ContentData,
  MemoAction,
  MemoDocument,
  MemoFile,
  MemoMessage,
  MessageBody,
  MessageHeader,
  Recipient,
  ReplyData,
  Sender,
} from './model.js';
import { actionCodes } from './model.js';

/** Text with the characters that stress XML: markup, entities, CR/LF, tabs, astral planes. */
const char = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('<', '>', '&', '"', "'", '\r', '\n', '\t', ' ', ']]>', '&amp;', 'æ', 'ø') },
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((n) => String.fromCodePoint(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xa0, max: 0xd7ff }).map((n) => String.fromCodePoint(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((n) => String.fromCodePoint(n)) },
);
export const text = (max = 24) => fc.array(char, { minLength: 1, maxLength: max }).map((a) => a.join(''));
const token = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,15}$/);
const uuid = fc.uuid();
const instant = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2099-12-31T23:59:59Z'),
  noInvalidDate: true,
});
const dateTime = instant.map((d) => d.toISOString().replace(/\.000Z$/, 'Z'));
const date = instant.map((d) => d.toISOString().slice(0, 10));
const range = fc
  .tuple(dateTime, dateTime)
  .map(([a, b]) => (Date.parse(a) <= Date.parse(b) ? [a, b] : [b, a]) as [string, string]);
const cpr = fc
  .tuple(fc.integer({ min: 1, max: 28 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 999999 }))
  .map(([d, m, n]) => `${String(d).padStart(2, '0')}${String(m).padStart(2, '0')}${String(n).padStart(6, '0')}`);
const cvr = fc.integer({ min: 10000000, max: 99999999 }).map(String);
const email = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,10}$/), fc.stringMatching(/^[a-z]{1,10}$/))
  .map(([l, d]) => `${l}@${d}.dk`);

const contactPoint: fc.Arbitrary<ContactPoint> = fc.record(
  {
    contactGroup: text(),
    contactPointID: token,
    label: text(),
    contactInfo: fc.array(fc.record({ label: text(), value: text() }), { maxLength: 2 }),
  },
  { requiredKeys: ['contactInfo'] },
);

const sender: fc.Arbitrary<Sender> = fc
  .tuple(
    fc.oneof(
      cpr.map((id) => ({ senderID: id, idType: 'CPR' })),
      cvr.map((id) => ({ senderID: id, idType: 'CVR' })),
      token.map((id) => ({ senderID: id, idType: 'MyndighedsID' })),
    ),
    fc.record(
      {
        idTypeLabel: text(),
        label: text(),
        representative: fc.record(
          { representativeID: cvr, idType: fc.constant('CVR'), idTypeLabel: text(), label: text() },
          { requiredKeys: ['representativeID', 'idType'] },
        ),
        contactPoint,
      },
      { requiredKeys: ['label'] },
    ),
  )
  .map(([id, rest]) => ({ ...id, ...rest }));

const recipient: fc.Arbitrary<Recipient> = fc
  .tuple(
    fc.oneof(
      cpr.map((id) => ({ recipientID: id, idType: 'CPR' })),
      cvr.map((id) => ({ recipientID: id, idType: 'CVR' })),
    ),
    fc.record({ idTypeLabel: text(), label: text(), contactPoint }, { requiredKeys: [] }),
  )
  .map(([id, rest]) => ({ ...id, ...rest }));

const contentData: fc.Arbitrary<ContentData> = fc.record(
  {
    cprData: fc.record({ cprNumber: cpr, name: text() }, { requiredKeys: ['cprNumber'] }),
    cvrData: fc.record({ cvrNumber: cvr, companyName: text() }, { requiredKeys: ['cvrNumber'] }),
    motorVehicle: fc.record({ licenseNumber: token, chassisNumber: token }, { requiredKeys: ['licenseNumber'] }),
    propertyNumber: fc.record({ propertyNumber: token }),
    caseID: fc.record({ caseID: token, caseSystem: text() }, { requiredKeys: ['caseID'] }),
    kleData: fc.record(
      { subjectKey: token, version: token, activityFacet: token, label: text() },
      { requiredKeys: ['subjectKey', 'version', 'label'] },
    ),
    formData: fc.record(
      { taskKey: token, version: token, activityFacet: token, label: text() },
      { requiredKeys: ['taskKey', 'version', 'label'] },
    ),
    productionUnit: fc.record(
      { productionUnitNumber: token, productionUnitName: text() },
      { requiredKeys: ['productionUnitNumber'] },
    ),
    education: fc.record({ educationCode: token, educationName: text() }, { requiredKeys: ['educationCode'] }),
    address: fc.record(
      {
        id: token,
        addressLabel: text(),
        houseNumber: token,
        door: token,
        floor: token,
        co: text(),
        zipCode: token,
        city: text(),
        country: token,
      },
      { requiredKeys: [] },
    ),
    unstructuredData: fc.record({ unstructured: text(60) }),
    additionalContentData: fc.array(
      fc.record({ contentDataType: token, contentDataName: text(), contentDataValue: text() }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ['additionalContentData'] },
);

const replyData: fc.Arbitrary<ReplyData> = fc.record(
  {
    messageID: token,
    messageUUID: uuid,
    replyUUID: uuid,
    senderID: token,
    recipientID: token,
    caseID: token,
    contactPointID: token,
    generatingSystemID: token,
    comment: text(),
    additionalReplyData: fc.array(fc.record({ label: text(), value: text() }), { maxLength: 2 }),
  },
  { requiredKeys: ['messageUUID', 'additionalReplyData'] },
);

const action: fc.Arbitrary<MemoAction> = fc
  .tuple(
    fc.record(
      {
        label: text(),
        actionCode: fc.constantFrom(...actionCodes),
        entryPoint: fc.domain().map((d) => ({ url: `https://${d}/self-service?id=1` })),
      },
      { requiredKeys: ['label', 'actionCode'] },
    ),
    fc.option(range, { nil: undefined }),
    fc.option(
      fc.tuple(
        range,
        fc.record(
          {
            description: text(),
            reservationUUID: uuid,
            abstract: text(),
            location: text(),
            organizerMail: email,
            organizerName: text(),
          },
          { requiredKeys: ['reservationUUID', 'abstract', 'location'] },
        ),
      ),
      { nil: undefined },
    ),
  )
  .map(([a, times, res]) => {
    const out: MemoAction = { ...a };
    if (times) [out.startDateTime, out.endDateTime] = times;
    if (res) out.reservation = { ...res[1], startDateTime: res[0][0], endDateTime: res[0][1] };
    return out;
  });

const file: fc.Arbitrary<MemoFile> = fc.record(
  {
    encodingFormat: fc.constantFrom('application/pdf', 'text/plain', 'image/png', 'application/xml'),
    filename: fc.stringMatching(/^[A-Za-z0-9æøå][A-Za-z0-9 _().-]{0,20}\.[a-z]{3}$/),
    language: fc.constantFrom('da', 'en', 'kl'),
    content: fc.uint8Array({ minLength: 1, maxLength: 64 }).map(toBase64),
  },
  { requiredKeys: ['encodingFormat', 'filename', 'content'] },
);

const documentOf = (withActions: boolean): fc.Arbitrary<MemoDocument> =>
  fc.record(
    {
      documentID: token,
      label: text(),
      files: fc.array(file, { minLength: 1, maxLength: 2 }),
      actions: withActions ? fc.array(action, { maxLength: 2 }) : fc.constant([]),
    },
    { requiredKeys: ['files', 'actions'] },
  );

const body: fc.Arbitrary<MessageBody> = fc.record({
  createdDateTime: dateTime,
  mainDocument: documentOf(true),
  additionalDocuments: fc.array(documentOf(true), { maxLength: 2 }),
  technicalDocuments: fc.array(documentOf(false), { maxLength: 1 }),
});

const header: fc.Arbitrary<MessageHeader> = fc
  .tuple(
    fc.record(
      {
        messageType: fc.constantFrom('DIGITALPOST' as const, 'NEMSMS' as const),
        messageUUID: uuid,
        messageID: token,
        messageCode: token,
        label: text(),
        notification: text(),
        additionalNotification: text(),
        doNotDeliverUntilDate: date,
        mandatory: fc.boolean(),
        legalNotification: fc.boolean(),
        postType: token,
        sender,
        recipient,
        contentData,
        forwardData: fc.record(
          {
            messageUUID: uuid,
            originalMessageDateTime: dateTime,
            originalSender: text(),
            originalContentResponsible: text(),
            originalRepresentative: text(),
            contextIdentifier: token,
            comment: text(),
          },
          { requiredKeys: ['messageUUID', 'originalMessageDateTime', 'originalSender'] },
        ),
        replyData: fc.array(replyData, { maxLength: 2 }),
      },
      { requiredKeys: ['messageType', 'messageUUID', 'label', 'sender', 'recipient', 'replyData'] },
    ),
    fc.option(fc.record({ reply: fc.boolean(), replyByDateTime: dateTime }, { requiredKeys: ['reply'] }), {
      nil: undefined,
    }),
  )
  .map(([h, reply]) => {
    const out: MessageHeader = { ...h };
    if (reply) {
      out.reply = reply.reply;
      if (reply.reply && reply.replyByDateTime) out.replyByDateTime = reply.replyByDateTime;
    }
    // A NEMSMS message needs a notification text with more than white space.
    if (out.messageType === 'NEMSMS' && !out.notification?.trim()) out.notification = 'Besked';
    return out;
  });

export const memoMessage: fc.Arbitrary<MemoMessage> = fc
  .record(
    {
      memoVersion: fc.constantFrom('1.1' as const, '1.2' as const),
      memoSchVersion: fc.constantFrom('1.1.0', '1.2.0'),
      header,
      body,
    },
    { requiredKeys: ['memoVersion', 'header'] },
  )
  .map((m) => {
    // A DIGITALPOST message has a body; NEMSMS may go without.
    if (m.header.messageType === 'DIGITALPOST' && !m.body)
      return {
        ...m,
        header: {
          ...m.header,
          messageType: 'NEMSMS' as const,
          notification: m.header.notification?.trim() ? m.header.notification : 'Besked',
        },
      };
    return m;
  });
