import { describe, expect, it } from 'vitest';
import { FormatError } from './errors.js';
import { catchFormatError, utf8 } from './test-helpers.js';
import { readXml } from './xml-safety.js';

const NS = 'urn:example';

describe('readXml', () => {
  it('reads elements, namespaces, attributes, text and CDATA', () => {
    const root = readXml(
      utf8(`<?xml version="1.0" encoding="utf-8"?><!-- c --><r xmlns="${NS}" a="1"><x>a &amp; <![CDATA[<b>]]></x></r>`),
      { rootNamespace: NS, rootName: 'r' },
    );
    expect(root).toMatchObject({ ns: NS, name: 'r', attributes: [{ ns: '', name: 'a', value: '1' }] });
    expect(root.children[0]).toMatchObject({ ns: NS, name: 'x', text: 'a & <b>' });
  });

  it('accepts a UTF-8 byte order mark', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('<r/>')]);
    expect(readXml(bytes).name).toBe('r');
  });

  it('refuses input over the size limit before reading it', () => {
    const err = catchFormatError(() => readXml(utf8('<r>hello</r>'), { maxBytes: 5 }));
    expect(err.code).toBe('xml_too_large');
    expect(err.issues).toEqual([expect.objectContaining({ path: '', code: 'xml_too_large' })]);
  });

  it('refuses nesting over the depth limit, naming the path', () => {
    const err = catchFormatError(() => readXml(utf8('<r><a><b><c/></b></a></r>'), { maxDepth: 3 }));
    expect(err.code).toBe('xml_too_deep');
    expect(err.issues[0]?.path).toBe('r/a/b');
  });

  it('refuses a declared encoding other than UTF-8', () => {
    const err = catchFormatError(() => readXml(utf8('<?xml version="1.0" encoding="ISO-8859-1"?><r/>')));
    expect(err.code).toBe('xml_encoding_unsupported');
    expect(err.issues[0]?.path).toBe('');
  });

  it('refuses UTF-16 input as invalid UTF-8', () => {
    const bytes = new Uint8Array([0xff, 0xfe, ...Array.from(utf8('<r/>'), (b) => [b, 0]).flat()]);
    expect(catchFormatError(() => readXml(bytes)).code).toBe('invalid_utf8');
  });

  it('refuses a UTF-8 sequence cut at the end of the input', () => {
    const bytes = new Uint8Array([...utf8('<r>'), 0xc3]);
    expect(catchFormatError(() => readXml(bytes)).code).toBe('invalid_utf8');
  });

  it('refuses processing instructions but not the XML declaration', () => {
    const err = catchFormatError(() => readXml(utf8('<?xml version="1.0"?><r><?php echo 1 ?></r>')));
    expect(err.code).toBe('xml_pi_forbidden');
    expect(err.issues[0]?.path).toBe('r');
  });

  it('refuses entity references a DTD would have to define', () => {
    const err = catchFormatError(() => readXml(utf8('<r>&e;</r>')));
    expect(err.code).toBe('invalid_xml');
    expect(err.issues[0]?.path).toBe('r');
  });

  it('refuses a wrong root name', () => {
    const err = catchFormatError(() => readXml(utf8(`<q xmlns="${NS}"/>`), { rootNamespace: NS, rootName: 'r' }));
    expect(err.code).toBe('invalid_xml');
    expect(err.issues[0]?.path).toBe('q');
  });

  it('refuses empty input, text only and two roots', () => {
    expect(catchFormatError(() => readXml(utf8(''))).code).toBe('invalid_xml');
    expect(catchFormatError(() => readXml(utf8('hello'))).code).toBe('invalid_xml');
    expect(catchFormatError(() => readXml(utf8('<r/><r/>'))).code).toBe('invalid_xml');
  });
});

describe('bounded work on hostile documents', () => {
  const ns = 'https://DigitalPost.dk/MeMo-1';
  it('refuses more elements or attributes than any letter needs', () => {
    const many = new TextEncoder().encode(
      `<m:Message xmlns:m="${ns}" xmlns:x="urn:x">${'<x:a/>'.repeat(25_000)}</m:Message>`,
    );
    expect(catchFormatError(() => readXml(many)).code).toBe('xml_too_large');
    const attrs = Array.from({ length: 40 }, (_, i) => ` a${i}="v"`).join('');
    const wide = new TextEncoder().encode(`<m:Message xmlns:m="${ns}"${attrs}/>`);
    expect(catchFormatError(() => readXml(wide)).code).toBe('xml_too_large');
  });
  it('reports at most a hundred problems, and how many more there were', () => {
    const issues = Array.from({ length: 5000 }, (_, i) => ({ path: `p${i}`, code: 'x', message: 'bad' }));
    const error = new FormatError('invalid_memo', issues);
    expect(error.issues).toHaveLength(101);
    expect(error.issues.at(-1)).toEqual({ path: '', code: 'more_issues', message: 'and 4900 more problems' });
  });
});
