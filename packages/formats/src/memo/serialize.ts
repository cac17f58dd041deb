/**
 * Writes a MeMo message as XML: `memo:`-prefixed elements in schema order (from the element
 * table), UTF-8, with an XML declaration. The message is not validated here (call validateMemo);
 * only what would make the XML itself broken is refused: characters XML 1.0 cannot carry.
 */
import { create } from 'xmlbuilder2';
import { FormatError, type FormatIssue } from '../errors.js';
import { XML_FORBIDDEN_CHAR } from '../xml-safety.js';
import { MEMO_NAMESPACE, type MemoMessage, type MemoVersion } from './model.js';
import { type ComplexName, isLeaf, memoTypes, segment } from './schema.js';

type XMLBuilder = ReturnType<typeof create>;

export type SerializeMemoOptions = {
  /** Indent the XML (default true). Values are written exactly either way. */
  prettyPrint?: boolean;
};

export function serializeMemo(
  msg: MemoMessage,
  version: MemoVersion = msg.memoVersion,
  options: SerializeMemoOptions = {},
): string {
  const issues: FormatIssue[] = [];
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const attributes: Record<string, string> = { memoVersion: version };
  // A schema revision belongs to the version it came with.
  if (msg.memoSchVersion !== undefined && version === msg.memoVersion) attributes.memoSchVersion = msg.memoSchVersion;
  const root = doc.ele(MEMO_NAMESPACE, 'memo:Message', attributes);
  writeComplex(root, msg as unknown as Record<string, unknown>, 'Message', 'Message', version, issues);
  if (issues.length > 0) throw new FormatError('invalid_memo', issues);
  return doc.end({ prettyPrint: options.prettyPrint ?? true, indent: '  ', newline: '\n' });
}

function writeComplex(
  parent: XMLBuilder,
  obj: Record<string, unknown>,
  type: ComplexName,
  path: string,
  version: MemoVersion,
  issues: FormatIssue[],
): void {
  for (const field of memoTypes[type]) {
    const raw = obj[field.key];
    if (raw === undefined) continue;
    const values = field.many ? (Array.isArray(raw) ? raw : []) : [raw];
    const name = version === '1.1' && field.xml11 ? field.xml11 : field.xml;
    values.forEach((value, i) => {
      const at = `${path}/${segment(field, i)}`;
      const el = parent.ele(MEMO_NAMESPACE, `memo:${name}`);
      if (isLeaf(field.type)) {
        const text = typeof value === 'boolean' ? String(value) : String(value ?? '');
        if (XML_FORBIDDEN_CHAR.test(text)) {
          issues.push({ path: at, code: 'invalid_character', message: 'contains a character XML cannot carry' });
        } else if (text !== '') {
          el.txt(escapeText(text));
        }
      } else {
        writeComplex(el, (value ?? {}) as Record<string, unknown>, field.type, at, version, issues);
      }
    });
  }
}

/**
 * xmlbuilder2 escapes `<` and `>` but leaves an `&` that already looks like an entity reference
 * (`&amp;`, `&#13;`) alone, so text holding "&amp;" would come back as "&". Escaping every `&`
 * first makes the text exact. Carriage returns are written as `&#13;`: raw, a parser would turn
 * them into line feeds. Both are covered by the round-trip property tests.
 */
function escapeText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('\r', '&#13;');
}
