/**
 * The web inbox's only way to the server: the SDK's typed client, with the session cookie and
 * the session's CSRF token. Errors stay PostkasseErrors; `errorMessage` turns them into words a
 * citizen understands (never the server's raw text).
 */
import { createPostkasseClient, isPostkasseError } from '@postkasse/sdk/client';
import { withCsrf } from '@postkasse/sdk/recipient';
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import type { MessageKey } from './i18n/index.js';

let csrfToken: string | null = null;

/** Set from the session answer; unsafe requests carry it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export const client = withCsrf(
  createPostkasseClient({ baseUrl: window.location.origin, credentials: 'same-origin' }),
  () => csrfToken,
);

/** A session that ended (expired, logged out elsewhere) shows the login page again. */
function onSessionEnded(error: unknown, query?: { queryKey: readonly unknown[] }) {
  if (query?.queryKey[0] === 'session') return; // its own answer decides already
  if (isUnauthenticated(error)) void queryClient.invalidateQueries({ queryKey: ['session'] });
}

export const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError: onSessionEnded }),
  mutationCache: new MutationCache({ onError: (error) => onSessionEnded(error) }),
  defaultOptions: {
    // Asked while offline, a request fails (and says so, with Try again) instead of waiting
    // silently for the network behind a spinner, or making a change later unannounced.
    queries: {
      networkMode: 'always',
      staleTime: 30_000,
      retry: (failures, error) => failures < 2 && isPostkasseError(error) && error.retryable,
    },
    mutations: { networkMode: 'always' },
  },
});

/** The problem's stable code, if the error is a problem answer. */
export const errorCode = (error: unknown): string | null => (isPostkasseError(error) ? error.code : null);

/** The code of the problem's error for one field (`email`, `body.email`, …), if it names that field. */
export function fieldErrorCode(error: unknown, field: string): string | null {
  if (!isPostkasseError(error)) return null;
  const found = error.errors?.find((e) => e.path === field || e.path.endsWith(`.${field}`));
  return found?.code ?? null;
}

/** The message key for an error, by its stable code. */
export function errorKey(error: unknown): MessageKey {
  if (!isPostkasseError(error)) return 'error.generic';
  switch (error.code) {
    case 'network_error':
      return 'error.network';
    case 'not_found':
      return 'error.notFound';
    case 'unauthenticated':
    case 'invalid_token':
      return 'error.sessionEnded';
    case 'forbidden':
    case 'auth_level_too_low':
      return 'error.forbidden';
    case 'folder_name_taken':
      return 'error.folderExists';
    case 'validation_failed':
    case 'invalid_recipient':
    case 'malformed_request':
      return 'error.validation';
    default:
      if (error.status === 401) return 'error.sessionEnded';
      if (error.status === 403) return 'error.forbidden';
      if (error.status === 404) return 'error.notFound';
      if (error.status === 429 || error.status === 503) return 'error.busy';
      return 'error.generic';
  }
}

export const isUnauthenticated = (error: unknown) => isPostkasseError(error) && error.status === 401;
