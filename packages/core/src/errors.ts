/**
 * The one list of error codes. Every failure a client can see maps to exactly one code here,
 * with its HTTP status and whether resending the same request can help (`retryable`).
 */
export const errorCatalog = {
  malformed_request: { status: 400, retryable: false, title: 'The request could not be read' },
  validation_failed: { status: 400, retryable: false, title: 'The request is not valid' },
  unauthenticated: { status: 401, retryable: false, title: 'Authentication is required' },
  invalid_token: { status: 401, retryable: false, title: 'The credentials are not valid' },
  forbidden: { status: 403, retryable: false, title: 'Not allowed' },
  csrf_failed: {
    status: 403,
    retryable: false,
    title: 'The request lacks the session CSRF token (x-csrf-token header)',
  },
  not_registered: {
    status: 403,
    retryable: false,
    title: 'This person is not in the register and has no mailbox here',
  },
  auth_level_too_low: {
    status: 403,
    retryable: false,
    title: 'A higher authentication level is required',
  },
  not_found: { status: 404, retryable: false, title: 'Not found' },
  method_not_allowed: { status: 405, retryable: false, title: 'Method not allowed' },
  idempotency_conflict: {
    status: 409,
    retryable: false,
    title: 'A different message with this id already exists',
  },
  folder_name_taken: { status: 409, retryable: false, title: 'A folder with this name exists' },
  consent_withdrawn: {
    status: 409,
    retryable: false,
    title: 'The person withdrew this consent; only they can give it again',
  },
  payload_too_large: { status: 413, retryable: false, title: 'The request is too large' },
  unsupported_media_type: {
    status: 415,
    retryable: false,
    title: 'The request content type is not supported',
  },
  invalid_letter: { status: 422, retryable: false, title: 'The letter is not valid' },
  invalid_recipient: { status: 422, retryable: false, title: 'The recipient id is not valid' },
  not_allowed_for_private_sender: {
    status: 422,
    retryable: false,
    title: 'Private senders may not use this option',
  },
  invalid_operation: { status: 422, retryable: false, title: 'The operation is not possible' },
  rate_limited: { status: 429, retryable: true, title: 'Too many requests' },
  internal_error: { status: 500, retryable: true, title: 'Internal error' },
  content_unavailable: {
    status: 500,
    retryable: false,
    title: "The document's content cannot be read from storage; the operator must restore it",
  },
  service_unavailable: { status: 503, retryable: true, title: 'Service temporarily unavailable' },
} as const;

export type ErrorCode = keyof typeof errorCatalog;

/** One problem in a request, pointing at the offending place (`message.documents[1].filename`). */
export type FieldError = { path: string; code: string; message: string };

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly errors: FieldError[] | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    options: { errors?: FieldError[]; extra?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    const entry = errorCatalog[code];
    super(detail ?? entry.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = entry.status;
    this.retryable = entry.retryable;
    this.errors = options.errors;
    this.extra = options.extra;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
