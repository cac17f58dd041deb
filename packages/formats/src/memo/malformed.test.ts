import { describe, expect, it } from 'vitest';
import { catchFormatError, utf8 } from '../test-helpers.js';
import { MEMO_NAMESPACE } from './model.js';
import { parseMemo } from './parse.js';
import { memoIssues, validateMemo } from './validate.js';

/** A valid message; `patch` edits the XML text to make it hostile or invalid. */
function memo(patch: (xml: string) => string = (x) => x): Uint8Array {
  return utf8(
    patch(`<?xml version="1.0" encoding="UTF-8"?>
<memo:Message xmlns:memo="${MEMO_NAMESPACE}" memoVersion="1.2">
  <memo:MessageHeader>
    <memo:messageType>DIGITALPOST</memo:messageType>
    <memo:messageUUID>8c2ea15d-61fb-4ba9-9366-42f8b194c114</memo:messageUUID>
    <memo:label>Afgørelse</memo:label>
    <memo:reply>true</memo:reply>
    <memo:replyByDateTime>2024-06-01T12:00:00Z</memo:replyByDateTime>
    <memo:Sender>
      <memo:senderID>12345678</memo:senderID>
      <memo:idType>CVR</memo:idType>
      <memo:label>Kommunen</memo:label>
    </memo:Sender>
    <memo:Recipient>
      <memo:recipientID>2211771212</memo:recipientID>
      <memo:idType>CPR</memo:idType>
    </memo:Recipient>
  </memo:MessageHeader>
  <memo:MessageBody>
    <memo:createdDateTime>2024-05-03T12:00:00Z</memo:createdDateTime>
    <memo:MainDocument>
      <memo:label>Brev</memo:label>
      <memo:File>
        <memo:encodingFormat>application/pdf</memo:encodingFormat>
        <memo:filename>brev.pdf</memo:filename>
        <memo:language>da</memo:language>
        <memo:content>JVBERi0xLjQK</memo:content>
      </memo:File>
      <memo:Action>
        <memo:label>Betal</memo:label>
        <memo:actionCode>BETALING</memo:actionCode>
        <memo:EntryPoint><memo:url>https://betal.example.dk/x</memo:url></memo:EntryPoint>
      </memo:Action>
    </memo:MainDocument>
  </memo:MessageBody>
</memo:Message>`),
  );
}

const parseError = (bytes: Uint8Array) => catchFormatError(() => parseMemo(bytes));
const validationError = (bytes: Uint8Array) => catchFormatError(() => validateMemo(parseMemo(bytes)));
const issue = (path: string, code: string) => expect.objectContaining({ path, code });

describe('parseMemo on hostile input', () => {
  it('accepts the base message', () => {
    expect(memoIssues(parseMemo(memo()))).toEqual([]);
  });

  it('refuses billion laughs by the DOCTYPE rule', () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [',
      '<!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => {
        const prev = i === 0 ? 'lol' : `lol${i}`;
        return `<!ENTITY lol${i + 1} "${`&${prev};`.repeat(10)}">`;
      }),
      ']>',
      `<memo:Message xmlns:memo="${MEMO_NAMESPACE}" memoVersion="1.2">&lol9;</memo:Message>`,
    ].join('\n');
    const err = parseError(utf8(lol));
    expect(err.code).toBe('xml_doctype_forbidden');
    expect(err.issues).toEqual([issue('', 'xml_doctype_forbidden')]);
  });

  it('refuses an external entity by the DOCTYPE rule', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><memo:Message xmlns:memo="${MEMO_NAMESPACE}" memoVersion="1.2">&e;</memo:Message>`;
    const err = parseError(utf8(xxe));
    expect(err.code).toBe('xml_doctype_forbidden');
    expect(err.issues).toEqual([issue('', 'xml_doctype_forbidden')]);
  });

  it('refuses 10,000-deep nesting by depth', () => {
    const deep = `<memo:Message xmlns:memo="${MEMO_NAMESPACE}" memoVersion="1.2">${'<memo:a>'.repeat(10_000)}${'</memo:a>'.repeat(10_000)}</memo:Message>`;
    const err = parseError(utf8(deep));
    expect(err.code).toBe('xml_too_deep');
    const path = err.issues[0]?.path.split('/') ?? [];
    expect(path).toHaveLength(32);
    expect(path.slice(0, 3)).toEqual(['Message', 'a', 'a']);
  });

  it('refuses 50 MB of whitespace by size', () => {
    const bytes = new Uint8Array(50 * 1024 * 1024).fill(0x20);
    const err = parseError(bytes);
    expect(err.code).toBe('xml_too_large');
    expect(err.issues).toEqual([issue('', 'xml_too_large')]);
  });

  it('honours a smaller size limit', () => {
    expect(catchFormatError(() => parseMemo(memo(), { maxBytes: 100 })).code).toBe('xml_too_large');
  });

  it('refuses invalid UTF-8 bytes', () => {
    const good = memo();
    const at = new TextDecoder().decode(good).indexOf('Afg');
    const bad = new Uint8Array([...good.subarray(0, at), 0xff, 0xfe, ...good.subarray(at)]);
    const err = parseError(bad);
    expect(err.code).toBe('invalid_utf8');
    expect(err.issues).toEqual([issue('', 'invalid_utf8')]);
  });

  it('refuses a declared non-UTF-8 encoding', () => {
    const err = parseError(memo((x) => x.replace('encoding="UTF-8"', 'encoding="windows-1252"')));
    expect(err.code).toBe('xml_encoding_unsupported');
  });

  it('refuses a wrong namespace and a missing one', () => {
    const wrong = parseError(memo((x) => x.replace(MEMO_NAMESPACE, 'https://DigitalPost.dk/MeMo-2')));
    expect(wrong.code).toBe('wrong_namespace');
    expect(wrong.issues).toEqual([issue('Message', 'wrong_namespace')]);
    const none = parseError(utf8('<Message memoVersion="1.2"/>'));
    expect(none.code).toBe('wrong_namespace');
  });

  it('refuses truncated XML, naming the open elements', () => {
    const full = new TextDecoder().decode(memo());
    const err = parseError(utf8(full.slice(0, full.indexOf('</memo:File>'))));
    expect(err.code).toBe('invalid_xml');
    expect(err.issues[0]?.path).toBe('Message/MessageBody/MainDocument/File');
  });

  it('refuses processing instructions', () => {
    const err = parseError(memo((x) => x.replace('<memo:MessageHeader>', '<?evil x?><memo:MessageHeader>')));
    expect(err.code).toBe('xml_pi_forbidden');
    expect(err.issues).toEqual([issue('Message', 'xml_pi_forbidden')]);
  });
});

describe('parseMemo structure', () => {
  it('collects every structural problem with its path', () => {
    const err = parseError(
      memo((x) =>
        x
          .replace('memoVersion="1.2"', 'memoVersion="2.0"')
          .replace('<memo:reply>true</memo:reply>', '<memo:reply>yes</memo:reply>')
          .replace(
            '<memo:label>Kommunen</memo:label>',
            '<memo:label>Kommunen</memo:label><memo:label>igen</memo:label>',
          )
          .replace('<memo:idType>CPR</memo:idType>', '<memo:idType>CPR</memo:idType><memo:AttentionData/>')
          .replace('<memo:actionCode>BETALING', '<memo:actionCode>PAY')
          .replace('<memo:encodingFormat>application/pdf</memo:encodingFormat>', '')
          .replace('<memo:createdDateTime>', 'text<memo:createdDateTime>'),
      ),
    );
    expect(err.code).toBe('invalid_memo');
    expect(err.issues).toEqual([
      issue('Message/@memoVersion', 'unsupported_version'),
      issue('Message/MessageHeader/reply', 'invalid_boolean'),
      issue('Message/MessageHeader/Sender/label', 'element_repeated'),
      issue('Message/MessageHeader/Recipient/AttentionData', 'unknown_element'),
      issue('Message/MessageBody', 'unexpected_text'),
      issue('Message/MessageBody/MainDocument/File[1]/encodingFormat', 'missing_element'),
      issue('Message/MessageBody/MainDocument/Action[1]/actionCode', 'invalid_value'),
    ]);
  });

  it('refuses elements out of schema order and unqualified elements', () => {
    const err = parseError(
      memo((x) =>
        x
          .replace('<memo:label>Afgørelse</memo:label>', '')
          .replace('<memo:Sender>', '<memo:label>Afgørelse</memo:label><memo:Sender>')
          .replace('<memo:createdDateTime>', '<createdDateTime/><memo:createdDateTime>'),
      ),
    );
    expect(err.issues).toEqual([
      issue('Message/MessageHeader/label', 'element_out_of_order'),
      issue('Message/MessageBody/createdDateTime', 'unqualified_element'),
    ]);
  });

  it('skips elements of other namespaces', () => {
    const msg = parseMemo(
      memo((x) => x.replace('<memo:Sender>', '<ext:note xmlns:ext="urn:ext"><ext:x/>hi</ext:note><memo:Sender>')),
    );
    expect(memoIssues(msg)).toEqual([]);
  });

  it('reads MeMo 1.1 inLanguage as language', () => {
    const msg = parseMemo(memo((x) => x.replaceAll('language>', 'inLanguage>').replace('"1.2"', '"1.1"')));
    expect(msg.memoVersion).toBe('1.1');
    expect(msg.body?.mainDocument.files[0]?.language).toBe('da');
  });
});

describe('validateMemo', () => {
  it('refuses a file name with ../', () => {
    const err = validationError(memo((x) => x.replace('brev.pdf', '../../etc/brev.pdf')));
    expect(err.code).toBe('invalid_memo');
    expect(err.issues).toEqual([issue('Message/MessageBody/MainDocument/File[1]/filename', 'invalid_filename')]);
  });

  it('refuses an http action URL', () => {
    const err = validationError(memo((x) => x.replace('https://betal', 'http://betal')));
    expect(err.code).toBe('invalid_memo');
    expect(err.issues).toEqual([issue('Message/MessageBody/MainDocument/Action[1]/EntryPoint/url', 'insecure_url')]);
  });

  it('collects every content problem, not only the first', () => {
    const err = validationError(
      memo((x) =>
        x
          .replace('8c2ea15d-61fb-4ba9-9366-42f8b194c114', 'not-a-uuid')
          .replace('2024-06-01T12:00:00Z', '2024-02-30T12:00:00Z')
          .replace('<memo:reply>true</memo:reply>', '<memo:reply>false</memo:reply>')
          .replace('2211771212', '221177121')
          .replace('JVBERi0xLjQK', 'JVBERi0xLjQ')
          .replace('https://betal.example.dk/x', 'javascript:alert(1)')
          .replace('<memo:label>Afgørelse</memo:label>', `<memo:label>${'x'.repeat(257)}</memo:label>`),
      ),
    );
    expect(err.issues).toEqual([
      issue('Message/MessageHeader/messageUUID', 'invalid_uuid'),
      issue('Message/MessageHeader/label', 'too_long'),
      issue('Message/MessageHeader/replyByDateTime', 'invalid_datetime'),
      issue('Message/MessageBody/MainDocument/File[1]/content', 'invalid_base64'),
      issue('Message/MessageBody/MainDocument/Action[1]/EntryPoint/url', 'insecure_url'),
      issue('Message/MessageHeader/replyByDateTime', 'reply_by_without_reply'),
      issue('Message/MessageHeader/Recipient/recipientID', 'invalid_cpr'),
    ]);
  });

  it('checks CVR numbers and id types', () => {
    const err = validationError(
      memo((x) =>
        x.replace('12345678', '1234567').replace('<memo:idType>CPR</memo:idType>', '<memo:idType>RID</memo:idType>'),
      ),
    );
    expect(err.issues).toEqual([
      issue('Message/MessageHeader/Sender/senderID', 'invalid_cvr'),
      issue('Message/MessageHeader/Recipient/idType', 'invalid_id_type'),
    ]);
  });

  it('needs a body for DIGITALPOST and a notification for NEMSMS', () => {
    const noBody = memo((x) => x.replace(/<memo:MessageBody>[\s\S]*<\/memo:MessageBody>/, ''));
    expect(validationError(noBody).issues).toEqual([issue('Message/MessageBody', 'missing_element')]);
    const sms = memo((x) => x.replace('DIGITALPOST', 'NEMSMS'));
    expect(validationError(sms).issues).toEqual([issue('Message/MessageHeader/notification', 'missing_notification')]);
    const smsOk = parseMemo(
      memo((x) =>
        x
          .replace('DIGITALPOST', 'NEMSMS')
          .replace('</memo:label>', '</memo:label><memo:notification>Du har fået post</memo:notification>')
          .replace(/<memo:MessageBody>[\s\S]*<\/memo:MessageBody>/, ''),
      ),
    );
    expect(memoIssues(smsOk)).toEqual([]);
  });

  it('checks time ranges of actions and reservations', () => {
    const err = validationError(
      memo((x) =>
        x.replace(
          '<memo:actionCode>BETALING</memo:actionCode>',
          '<memo:actionCode>AFTALE</memo:actionCode><memo:startDateTime>2024-06-02T10:00:00Z</memo:startDateTime><memo:endDateTime>2024-06-02T09:00:00Z</memo:endDateTime>',
        ),
      ),
    );
    expect(err.issues).toEqual([issue('Message/MessageBody/MainDocument/Action[1]/endDateTime', 'invalid_time_range')]);
  });

  it('checks messages built in code for types, emptiness and XML characters', () => {
    const msg = parseMemo(memo());
    const broken = {
      ...msg,
      header: { ...msg.header, label: 'a\u0000b', mandatory: 'yes' as unknown as boolean, messageID: '' },
    };
    expect(memoIssues(broken)).toEqual([
      issue('Message/MessageHeader/messageID', 'empty_value'),
      issue('Message/MessageHeader/label', 'invalid_character'),
      issue('Message/MessageHeader/mandatory', 'invalid_type'),
    ]);
  });
});
