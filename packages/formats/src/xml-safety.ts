/**
 * A hardened XML reader for documents received from outside: MeMo messages and SDP manifests.
 *
 * Rules, each checked as early as possible so hostile input is refused without much work:
 * - size: the byte length is checked before anything is decoded (default 40 MB);
 * - encoding: UTF-8 only. Bytes are decoded with a fatal decoder (invalid sequences refused), and
 *   an XML declaration naming any other encoding is refused;
 * - no DOCTYPE at all: no DTD means no entity expansion (billion laughs) and no external entities
 *   (XXE). Entity references other than the five predefined ones are then errors of the parser;
 * - no processing instructions (the XML declaration is not one);
 * - bounded element depth (default 32);
 * - the root element's namespace (and name) can be required, checked when the root opens.
 *
 * The text is decoded and fed to saxes in chunks, and the first violation aborts the parse.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { FormatError, type FormatErrorCode } from './errors.js';

export type XmlAttribute = { ns: string; name: string; value: string };

/** An element as read; namespace declarations are not listed among its attributes. */
export type XmlElement = {
  /** Namespace URI ('' when the element is in no namespace). */
  ns: string;
  /** Local name. */
  name: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** The element's own character data (text and CDATA), concatenated. */
  text: string;
  line: number;
  column: number;
};

export type XmlLimits = {
  /** Largest accepted input in bytes. Default 40 MB. */
  maxBytes?: number | undefined;
  /** Deepest accepted element nesting (the root is depth 1). Default 32. */
  maxDepth?: number | undefined;
  /** Most elements in the document. Default 20,000 (a letter with 200 attachments needs ~2,000). */
  maxElements?: number | undefined;
  /** Most attributes on one element. Default 32. */
  maxAttributes?: number | undefined;
};

export type ReadXmlOptions = XmlLimits & {
  /** When set, the root element must be in this namespace (else `wrong_namespace`). */
  rootNamespace?: string | undefined;
  /** When set, the root element must have this local name (else `invalid_xml`). */
  rootName?: string | undefined;
};

export const defaultXmlLimits = {
  maxBytes: 40 * 1024 * 1024,
  maxDepth: 32,
  maxElements: 20_000,
  maxAttributes: 32,
} as const;

/** A character XML 1.0 cannot carry (controls, lone surrogates, U+FFFE/U+FFFF). */
export const XML_FORBIDDEN_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
const CHUNK_BYTES = 256 * 1024;

/** Thrown inside saxes handlers to stop the parse; converted to FormatError by readXml. */
class Abort {
  constructor(readonly error: FormatError) {}
}

/** Parses `bytes` into an element tree under the rules above, or throws FormatError. */
export function readXml(bytes: Uint8Array, options: ReadXmlOptions = {}): XmlElement {
  const maxBytes = options.maxBytes ?? defaultXmlLimits.maxBytes;
  const maxDepth = options.maxDepth ?? defaultXmlLimits.maxDepth;
  const maxElements = options.maxElements ?? defaultXmlLimits.maxElements;
  const maxAttributes = options.maxAttributes ?? defaultXmlLimits.maxAttributes;
  let elements = 0;
  if (bytes.byteLength > maxBytes) {
    throw FormatError.single('xml_too_large', '', `the document is larger than ${maxBytes} bytes`);
  }

  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let depth = 0;
  const pathNow = (): string => stack.map((e) => e.name).join('/');
  const fail = (code: FormatErrorCode, message: string, path = pathNow()): never => {
    throw new Abort(FormatError.single(code, path, message));
  };

  const parser = new SaxesParser({ xmlns: true, position: true });
  parser.on('xmldecl', (decl) => {
    if (decl.encoding !== undefined && !/^utf-?8$/i.test(decl.encoding)) {
      fail('xml_encoding_unsupported', `the document declares encoding ${JSON.stringify(decl.encoding)}; only UTF-8`);
    }
  });
  parser.on('doctype', () => fail('xml_doctype_forbidden', 'a DOCTYPE (DTD) is not allowed'));
  parser.on('processinginstruction', (pi) => {
    fail('xml_pi_forbidden', `processing instruction <?${pi.target}?> is not allowed`);
  });
  parser.on('opentagstart', () => {
    depth++;
    elements++;
    if (depth > maxDepth) fail('xml_too_deep', `elements are nested deeper than ${maxDepth}`);
    if (elements > maxElements) fail('xml_too_large', `the document has more than ${maxElements} elements`);
  });

  parser.on('opentag', (tag: SaxesTagNS) => {
    if (Object.keys(tag.attributes).length > maxAttributes) {
      fail('xml_too_large', `an element has more than ${maxAttributes} attributes`);
    }
    const el: XmlElement = {
      ns: tag.uri,
      name: tag.local,
      attributes: Object.values(tag.attributes)
        .filter((a) => a.uri !== XMLNS_NAMESPACE)
        .map((a) => ({ ns: a.uri, name: a.local, value: a.value })),
      children: [],
      text: '',
      line: parser.line,
      column: parser.column,
    };
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.children.push(el);
    } else {
      root = el;
      if (options.rootNamespace !== undefined && el.ns !== options.rootNamespace) {
        fail(
          'wrong_namespace',
          `the root element is in namespace ${JSON.stringify(el.ns)}, expected ${JSON.stringify(options.rootNamespace)}`,
          el.name,
        );
      }
      if (options.rootName !== undefined && el.name !== options.rootName) {
        fail('invalid_xml', `the root element is ${el.name}, expected ${options.rootName}`, el.name);
      }
    }
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
    depth--;
  });
  const onText = (text: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += text;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('error', (err) => fail('invalid_xml', err.message));

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (chunk: Uint8Array | undefined): string => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      return fail('invalid_utf8', 'the document is not valid UTF-8', '');
    }
  };
  try {
    for (let at = 0; at < bytes.byteLength; at += CHUNK_BYTES) {
      parser.write(decode(bytes.subarray(at, at + CHUNK_BYTES)));
    }
    parser.write(decode(undefined));
    parser.close();
  } catch (e) {
    if (e instanceof Abort) throw e.error;
    throw e;
  }
  if (!root) throw FormatError.single('invalid_xml', '', 'the document has no root element');
  return root;
}
