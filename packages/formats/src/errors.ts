/**
 * The one error type of this package. `code` says what kind of failure it is (stable, for
 * programs); `issues` lists every problem found, each with the element or field path it concerns.
 */

export type FormatErrorCode =
  // hardened XML reading
  | 'xml_too_large'
  | 'xml_too_deep'
  | 'invalid_utf8'
  | 'xml_encoding_unsupported'
  | 'xml_doctype_forbidden'
  | 'xml_pi_forbidden'
  | 'invalid_xml'
  | 'wrong_namespace'
  // MeMo
  | 'invalid_memo'
  // SDP / DPI
  | 'invalid_sdp'
  | 'invalid_manifest'
  | 'invalid_zip'
  | 'zip_too_large'
  | 'zip_too_many_files'
  | 'zip_unsafe_entry'
  | 'invalid_document_package';

export type FormatIssue = {
  /** Element path (`Message/MessageHeader/label`) or JSON path (`digitalpost.varsler`). */
  path: string;
  /** A stable, machine-readable code for this one problem. */
  code: string;
  message: string;
};

const MAX_ISSUES = 100;

export class FormatError extends Error {
  override readonly name = 'FormatError';
  readonly code: FormatErrorCode;
  readonly issues: FormatIssue[];

  constructor(code: FormatErrorCode, all: FormatIssue[]) {
    // A hostile document can have millions of problems; the first hundred say enough.
    const issues =
      all.length > MAX_ISSUES
        ? [
            ...all.slice(0, MAX_ISSUES),
            { path: '', code: 'more_issues', message: `and ${all.length - MAX_ISSUES} more problems` },
          ]
        : all;
    super(issues.length > 0 ? issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ') : code);
    this.code = code;
    this.issues = issues;
  }

  /** An error with a single issue whose code is the error's own code. */
  static single(code: FormatErrorCode, path: string, message: string): FormatError {
    return new FormatError(code, [{ path, code, message }]);
  }
}
