/**
 * manifest.xml of an SDP document package, read with the hardened XML reader (no DTD, UTF-8,
 * bounded, 1 MB by default). Root `manifest` in the SDP namespace with optional `mottaker` and
 * `avsender`, one `hoveddokument` and any number of `vedlegg`, each with `href` and `mime`
 * attributes and an optional `tittel` (with `lang`). Anything else in the SDP namespace (such as
 * the `data` extension of a document, or `lenke`) is refused, so no file is referenced unnoticed;
 * elements of other namespaces are skipped. Problems are collected as `invalid_manifest`.
 */
import { FormatError, type FormatIssue } from '../errors.js';
import { readXml, type XmlElement, type XmlLimits } from '../xml-safety.js';
import { SDP_MANIFEST_NAMESPACE, type SdpManifest, type SdpManifestDocument } from './model.js';

export function parseManifest(bytes: Uint8Array, limits: XmlLimits = {}): SdpManifest {
  const root = readXml(bytes, {
    maxBytes: limits.maxBytes ?? 1024 * 1024,
    maxDepth: limits.maxDepth ?? 8,
    rootNamespace: SDP_MANIFEST_NAMESPACE,
    rootName: 'manifest',
  });
  const issues: FormatIssue[] = [];
  const add = (path: string, code: string, message: string) => issues.push({ path, code, message });
  const own = (el: XmlElement) => el.children.filter((c) => c.ns === SDP_MANIFEST_NAMESPACE);
  const leaf = (el: XmlElement, name: string) =>
    own(el)
      .find((c) => c.name === name)
      ?.text.trim();

  const out: Partial<SdpManifest> & { vedlegg: SdpManifestDocument[] } = { vedlegg: [] };
  for (const child of own(root)) {
    const path = `manifest/${child.name}`;
    switch (child.name) {
      case 'mottaker': {
        const party = own(child)[0];
        const m: NonNullable<SdpManifest['mottaker']> = {};
        const person = party && leaf(party, 'personidentifikator');
        const org = party && leaf(party, 'organisasjonsnummer');
        const box = party && leaf(party, 'postkasseadresse');
        if (person) m.personidentifikator = person;
        if (org) m.organisasjonsnummer = org;
        if (box) m.postkasseadresse = box;
        out.mottaker = m;
        break;
      }
      case 'avsender': {
        const a: NonNullable<SdpManifest['avsender']> = {};
        const org = leaf(child, 'organisasjon');
        const id = leaf(child, 'avsenderidentifikator');
        const ref = leaf(child, 'fakturaReferanse');
        if (org) a.organisasjon = org;
        if (id) a.avsenderidentifikator = id;
        if (ref) a.fakturaReferanse = ref;
        out.avsender = a;
        break;
      }
      case 'hoveddokument':
        if (out.hoveddokument) add(path, 'element_repeated', 'only one hoveddokument');
        else out.hoveddokument = readDocument(child, path, add);
        break;
      case 'vedlegg':
        out.vedlegg.push(readDocument(child, `${path}[${out.vedlegg.length + 1}]`, add));
        break;
      default:
        add(path, 'unknown_element', `${child.name} is not supported in a manifest`);
    }
  }
  if (!out.hoveddokument) add('manifest/hoveddokument', 'missing_element', 'the manifest names no hoveddokument');
  if (issues.length > 0) throw new FormatError('invalid_manifest', issues);
  return out as SdpManifest;
}

function readDocument(
  el: XmlElement,
  path: string,
  add: (p: string, c: string, m: string) => void,
): SdpManifestDocument {
  const attr = (name: string) => el.attributes.find((a) => a.ns === '' && a.name === name)?.value.trim();
  const href = attr('href') ?? '';
  const mime = attr('mime') ?? '';
  if (!href) add(`${path}/@href`, 'missing_attribute', 'href is required');
  if (!mime) add(`${path}/@mime`, 'missing_attribute', 'mime is required');
  const doc: SdpManifestDocument = { href, mime };
  for (const child of el.children.filter((c) => c.ns === SDP_MANIFEST_NAMESPACE)) {
    if (child.name !== 'tittel' || doc.tittel !== undefined) {
      add(`${path}/${child.name}`, 'unknown_element', `${child.name} is not supported here`);
      continue;
    }
    doc.tittel = child.text.trim();
    const lang = child.attributes.find((a) => a.ns === '' && a.name === 'lang')?.value.trim();
    if (lang) doc.lang = lang;
  }
  return doc;
}
