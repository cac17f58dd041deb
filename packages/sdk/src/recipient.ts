/**
 * The recipient side of the API, for display platforms and the web inbox: mailboxes, letters,
 * folders, read access, the person's register record and consents, and the live change stream.
 * Browser-safe (no Node modules, no JOSE): import it as `@postkasse/sdk/recipient`.
 *
 * With a session cookie (the web inbox), create the client with `credentials: 'same-origin'` and
 * add the session's CSRF token with `withCsrf`; display platforms pass an access token instead.
 */
import type { Middleware } from 'openapi-fetch';
import { type Json, ok, type PostkasseClient } from './client.js';
import type { paths } from './schema.js';

type Get<P extends keyof paths> = paths[P] extends { get: { responses: { 200: infer R } } } ? Json<R> : never;

export type Session = Get<'/auth/session'>;
export type Mailbox = Get<'/api/v1/me/mailboxes'>['items'][number];
export type LetterPage = Get<'/api/v1/mailboxes/{mailboxId}/messages'>;
export type LetterSummary = LetterPage['items'][number];
export type Letter = Get<'/api/v1/mailboxes/{mailboxId}/messages/{messageId}'>;
export type LetterDocument = Letter['documents'][number];
export type LetterAction = Letter['actions'][number];
export type Folder = Get<'/api/v1/mailboxes/{mailboxId}/folders'>['items'][number];
export type Grant = Get<'/api/v1/mailboxes/{mailboxId}/grants'>['items'][number];
export type OwnRecord = Get<'/api/v1/me/register'>;
export type Consent = Get<'/api/v1/me/consents'>['items'][number];
export type ListQuery = NonNullable<paths['/api/v1/mailboxes/{mailboxId}/messages']['get']['parameters']['query']>;
export type LetterChange = NonNullable<
  paths['/api/v1/mailboxes/{mailboxId}/messages/{messageId}']['patch']['requestBody']
>['content']['application/json'];
export type GrantRequest = NonNullable<
  paths['/api/v1/mailboxes/{mailboxId}/grants']['post']['requestBody']
>['content']['application/json'];
export type RegisterChange = NonNullable<
  paths['/api/v1/me/register']['patch']['requestBody']
>['content']['application/json'];

/** Sends the session's CSRF token on unsafe requests (the server refuses them without it). */
export function withCsrf(client: PostkasseClient, token: () => string | null | undefined): PostkasseClient {
  const middleware: Middleware = {
    onRequest({ request }) {
      const value = token();
      if (value && request.method !== 'GET' && request.method !== 'HEAD') request.headers.set('x-csrf-token', value);
      return request;
    },
  };
  client.use(middleware);
  return client;
}

const inMailbox = (mailboxId: string) => ({ params: { path: { mailboxId } } });

export async function getSession(client: PostkasseClient): Promise<Session> {
  return ok(await client.GET('/auth/session'));
}

export async function logout(client: PostkasseClient): Promise<void> {
  await client.POST('/auth/logout');
}

export async function listMailboxes(client: PostkasseClient): Promise<Mailbox[]> {
  return ok(await client.GET('/api/v1/me/mailboxes')).items;
}

export async function listLetters(
  client: PostkasseClient,
  mailboxId: string,
  query: ListQuery = {},
  signal?: AbortSignal,
): Promise<LetterPage> {
  return ok(
    await client.GET('/api/v1/mailboxes/{mailboxId}/messages', {
      params: { path: { mailboxId }, query },
      ...(signal ? { signal } : {}),
    }),
  );
}

export async function getLetter(client: PostkasseClient, mailboxId: string, messageId: string): Promise<Letter> {
  return ok(
    await client.GET('/api/v1/mailboxes/{mailboxId}/messages/{messageId}', {
      params: { path: { mailboxId, messageId } },
    }),
  );
}

/** Mark read or unread, or move to a folder. */
export async function changeLetter(
  client: PostkasseClient,
  mailboxId: string,
  messageId: string,
  change: LetterChange,
): Promise<Letter> {
  return ok(
    await client.PATCH('/api/v1/mailboxes/{mailboxId}/messages/{messageId}', {
      params: { path: { mailboxId, messageId } },
      body: change,
    }),
  );
}

/** Moves a letter to the trash (only the owner, or an organization's admin). */
export async function trashLetter(client: PostkasseClient, mailboxId: string, messageId: string): Promise<void> {
  await client.DELETE('/api/v1/mailboxes/{mailboxId}/messages/{messageId}', {
    params: { path: { mailboxId, messageId } },
  });
}

export async function restoreLetter(client: PostkasseClient, mailboxId: string, messageId: string): Promise<Letter> {
  return ok(
    await client.POST('/api/v1/mailboxes/{mailboxId}/messages/{messageId}/restore', {
      params: { path: { mailboxId, messageId } },
    }),
  );
}

/** Where a document's bytes are (`download`: as an attachment, for saving). */
export function documentUrl(
  client: PostkasseClient,
  mailboxId: string,
  messageId: string,
  documentId: string,
  download = false,
): string {
  const path = `/api/v1/mailboxes/${encodeURIComponent(mailboxId)}/messages/${encodeURIComponent(messageId)}/documents/${encodeURIComponent(documentId)}/content`;
  return `${client.baseUrl}${path}${download ? '?download=true' : ''}`;
}

/** An appointment action as an iCalendar file (text/calendar, downloaded). */
export function calendarUrl(client: PostkasseClient, mailboxId: string, messageId: string, index: number): string {
  return `${client.baseUrl}/api/v1/mailboxes/${encodeURIComponent(mailboxId)}/messages/${encodeURIComponent(messageId)}/actions/${index}/calendar`;
}

/** The server-sent event stream of changes in a mailbox (for `EventSource`). */
export function changesUrl(client: PostkasseClient, mailboxId: string): string {
  return `${client.baseUrl}/api/v1/mailboxes/${encodeURIComponent(mailboxId)}/changes`;
}

export async function listFolders(client: PostkasseClient, mailboxId: string): Promise<Folder[]> {
  return ok(await client.GET('/api/v1/mailboxes/{mailboxId}/folders', inMailbox(mailboxId))).items;
}

export async function createFolder(client: PostkasseClient, mailboxId: string, name: string): Promise<Folder> {
  return ok(await client.POST('/api/v1/mailboxes/{mailboxId}/folders', { ...inMailbox(mailboxId), body: { name } }));
}

export async function renameFolder(
  client: PostkasseClient,
  mailboxId: string,
  folderId: string,
  name: string,
): Promise<void> {
  await client.PATCH('/api/v1/mailboxes/{mailboxId}/folders/{folderId}', {
    params: { path: { mailboxId, folderId } },
    body: { name },
  });
}

export async function deleteFolder(client: PostkasseClient, mailboxId: string, folderId: string): Promise<void> {
  await client.DELETE('/api/v1/mailboxes/{mailboxId}/folders/{folderId}', {
    params: { path: { mailboxId, folderId } },
  });
}

export async function listGrants(client: PostkasseClient, mailboxId: string): Promise<Grant[]> {
  return ok(await client.GET('/api/v1/mailboxes/{mailboxId}/grants', inMailbox(mailboxId))).items;
}

export async function grantAccess(client: PostkasseClient, mailboxId: string, grant: GrantRequest): Promise<Grant> {
  return ok(await client.POST('/api/v1/mailboxes/{mailboxId}/grants', { ...inMailbox(mailboxId), body: grant }));
}

export async function revokeGrant(client: PostkasseClient, mailboxId: string, grantId: string): Promise<void> {
  await client.DELETE('/api/v1/mailboxes/{mailboxId}/grants/{grantId}', {
    params: { path: { mailboxId, grantId } },
  });
}

export async function getOwnRecord(client: PostkasseClient): Promise<OwnRecord> {
  return ok(await client.GET('/api/v1/me/register'));
}

export async function changeOwnRecord(client: PostkasseClient, change: RegisterChange): Promise<OwnRecord> {
  return ok(await client.PATCH('/api/v1/me/register', { body: change }));
}

export async function listConsents(client: PostkasseClient): Promise<Consent[]> {
  return ok(await client.GET('/api/v1/me/consents')).items;
}

export async function withdrawConsent(client: PostkasseClient, orgNumber: string): Promise<void> {
  await client.DELETE('/api/v1/me/consents/{orgNumber}', { params: { path: { orgNumber } } });
}
