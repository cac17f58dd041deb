/**
 * Reads a MeMo message from bytes: the hardened XML reader (xml-safety.ts) first, then the element
 * tree is checked against the element table (schema.ts) and turned into the model.
 *
 * Structure is checked here, because the model's types depend on it: element order, required
 * elements, repetitions, xs:boolean values, and the enumerations the model types as unions
 * (messageType, actionCode). Every structural problem is collected and thrown together as
 * FormatError `invalid_memo`. Content rules (lengths, patterns, URLs, ids) are validateMemo's.
 *
 * Unknown elements: an element in the MeMo namespace that the table does not know (including the
 * parts of MeMo this model leaves out, such as Recipient/AttentionData) is an error
 * (`unknown_element`, naming its path), so nothing a sender wrote is silently dropped. Elements in
 * no namespace are errors too (`unqualified_element`). Elements in other namespaces are treated
 * as foreign extensions and skipped with their content. Attributes other than memoVersion and
 * memoSchVersion on the root are ignored.
 */
import { FormatError, type FormatIssue } from '../errors.js';
import { readXml, type XmlElement, type XmlLimits } from '../xml-safety.js';
import { MEMO_NAMESPACE, type MemoMessage, type MemoVersion, memoVersions } from './model.js';
import { type ComplexName, type Field, isLeaf, type LeafKind, memoTypes, segment } from './schema.js';

export type ParseMemoOptions = XmlLimits;

export function parseMemo(bytes: Uint8Array, options: ParseMemoOptions = {}): MemoMessage {
  const root = readXml(bytes, { ...options, rootNamespace: MEMO_NAMESPACE, rootName: 'Message' });
  const issues: FormatIssue[] = [];
  const attr = (name: string) => root.attributes.find((a) => a.ns === '' && a.name === name)?.value;

  const version = attr('memoVersion')?.trim();
  if (version === undefined) {
    issues.push({ path: 'Message/@memoVersion', code: 'missing_attribute', message: 'memoVersion is missing' });
  } else if (!(memoVersions as readonly string[]).includes(version)) {
    issues.push({
      path: 'Message/@memoVersion',
      code: 'unsupported_version',
      message: `memoVersion ${JSON.stringify(version)} is not supported (${memoVersions.join(', ')})`,
    });
  }
  const content = readComplex(root, 'Message', 'Message', issues);
  if (issues.length > 0) throw new FormatError('invalid_memo', issues);

  const msg = { memoVersion: version as MemoVersion, ...content } as MemoMessage;
  const schVersion = attr('memoSchVersion');
  if (schVersion !== undefined) msg.memoSchVersion = schVersion.trim();
  return msg;
}

function readComplex(el: XmlElement, type: ComplexName, path: string, issues: FormatIssue[]): Record<string, unknown> {
  const fields = memoTypes[type];
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f.many) out[f.key] = [];
  if (type === 'TechnicalDocument') out.actions = [];

  if (el.text.trim() !== '') {
    issues.push({ path, code: 'unexpected_text', message: `${el.name} may not contain text` });
  }
  let last = -1;
  for (const child of el.children) {
    if (child.ns !== MEMO_NAMESPACE) {
      if (child.ns === '') {
        issues.push({
          path: `${path}/${child.name}`,
          code: 'unqualified_element',
          message: `${child.name} is in no namespace; MeMo elements are in ${MEMO_NAMESPACE}`,
        });
      }
      continue;
    }
    const index = fields.findIndex((f) => f.xml === child.name || f.aliases?.includes(child.name));
    const field = fields[index];
    if (!field) {
      issues.push({
        path: `${path}/${child.name}`,
        code: 'unknown_element',
        message: `${child.name} is not an element of ${type} here`,
      });
      continue;
    }
    const list = field.many ? (out[field.key] as unknown[]) : undefined;
    const childPath = `${path}/${segment(field, list?.length ?? 0)}`;
    if (index < last) {
      issues.push({ path: childPath, code: 'element_out_of_order', message: `${child.name} is out of schema order` });
    } else if (index === last && !field.many) {
      issues.push({ path: childPath, code: 'element_repeated', message: `${child.name} may appear only once` });
      continue;
    }
    last = Math.max(last, index);
    const value = isLeaf(field.type)
      ? readLeaf(child, field, field.type, childPath, issues)
      : readComplex(child, field.type, childPath, issues);
    if (list) list.push(value);
    else out[field.key] = value;
  }
  for (const f of fields) {
    const present = f.many ? (out[f.key] as unknown[]).length > 0 : f.key in out;
    if (f.min === 1 && !present) {
      issues.push({ path: `${path}/${segment(f, 0)}`, code: 'missing_element', message: `${f.xml} is required` });
    }
  }
  return out;
}

function readLeaf(el: XmlElement, field: Field, kind: LeafKind, path: string, issues: FormatIssue[]): unknown {
  if (el.children.some((c) => c.ns === MEMO_NAMESPACE || c.ns === '')) {
    issues.push({ path, code: 'unexpected_element', message: `${el.name} holds a value, not elements` });
  }
  switch (kind) {
    case 'string':
      return el.text;
    case 'base64':
      return el.text.replace(/[\t\n\r ]+/g, '');
    case 'boolean': {
      const v = el.text.trim();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      issues.push({ path, code: 'invalid_boolean', message: `${JSON.stringify(v)} is not true or false` });
      return false;
    }
    case 'token': {
      const v = el.text.trim();
      if (field.values && !field.values.includes(v)) {
        issues.push({
          path,
          code: 'invalid_value',
          message: `${JSON.stringify(v)} is not one of ${field.values.join(', ')}`,
        });
      }
      return v;
    }
  }
}
