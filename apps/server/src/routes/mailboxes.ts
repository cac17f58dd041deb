import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  createFolder,
  deleteFolder,
  describeDocument,
  getLetter,
  type LetterCursor,
  type LetterForReader,
  listFolders,
  listLetters,
  listMyMailboxes,
  maskNationalId,
  openDocument,
  readAppointment,
  renameFolder,
  restoreLetter,
  trashLetter,
  updateLetter,
  webPaths,
} from '@postkasse/core';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { EventAttributes } from 'ics';
import { personOf, requirePerson } from '../authenticate.js';
import { dispositionHeader } from '../content-disposition.js';
import type { AppContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { loginUrl } from './auth.js';
import { bearerAuth, problems } from './common.schemas.js';
import {
  ActionParams,
  ContentQuery,
  DocumentParams,
  FolderBody,
  FolderParams,
  FolderSchema,
  LetterDetail,
  LetterPage,
  LetterParams,
  LetterPatchBody,
  ListQuery,
  MailboxParams,
  MailboxSchema,
} from './mailboxes.schemas.js';

function presentSummary(view: LetterForReader) {
  const { letter } = view;
  return {
    id: letter.id,
    sender: view.sender,
    subject: view.restricted ? null : letter.subject,
    nonSensitiveTitle: letter.nonSensitiveTitle,
    receivedAt: letter.deliveredAt ?? letter.createdAt,
    read: letter.readAt !== null,
    folderId: letter.folderId ?? '',
    authLevel: letter.authLevel,
    sensitivity: letter.sensitivity,
    restricted: view.restricted,
    legalNotification: letter.legalNotification,
    mandatory: letter.mandatory,
    documentCount: letter.documentCount,
    trashedAt: letter.trashedAt,
    replyBy: letter.replyBy,
  };
}

/** Where the web app shows a letter; step-up logins return there. */

function presentDetail(view: LetterForReader) {
  const { letter } = view;
  return {
    ...presentSummary(view),
    ...(view.restricted && letter.mailboxId
      ? { loginUrl: loginUrl(letter.authLevel, webPaths.letter(letter.mailboxId, letter.id)) }
      : {}),
    openedAt: view.letter.openedAt,
    documents: view.documents.map((d) => ({
      id: d.id,
      role: d.role,
      title: d.title,
      filename: d.filename,
      mediaType: d.mediaType,
      language: d.language,
      size: d.size,
    })),
    actions: view.actions,
  };
}

/** A calendar file's name from the appointment's label: letters, digits, blanks, dots and dashes. */
function calendarFilename(label: string): string {
  const base = label
    .normalize('NFC')
    .replace(/[^\p{L}\p{N} ._-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+|\.+$/g, '')
    .slice(0, 60)
    .trim();
  return `${base || 'appointment'}.ics`;
}

/** Step-up: a refusal for a too low login level says where to log in, coming back to the letter. */
function withLoginUrl(mailboxId: string, messageId: string) {
  return (error: unknown): never => {
    if (error instanceof AppError && error.code === 'auth_level_too_low') {
      const level = error.extra?.requiredAuthLevel === 'substantial' ? 'substantial' : 'high';
      throw new AppError('auth_level_too_low', error.message, {
        extra: { ...error.extra, loginUrl: loginUrl(level, webPaths.letter(mailboxId, messageId)) },
      });
    }
    throw error;
  };
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const isLetterCursor = (v: unknown): v is LetterCursor =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as LetterCursor).deliveredAt === 'string' &&
  ISO_UTC.test((v as LetterCursor).deliveredAt) &&
  !Number.isNaN(Date.parse((v as LetterCursor).deliveredAt)) &&
  typeof (v as LetterCursor).id === 'string' &&
  UUID.test((v as LetterCursor).id);

/** Media types a browser may show inline; everything else downloads. */
const inlineTypes = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/gif', 'text/plain']);

/** The recipient API: a person's mailboxes, letters, documents and folders. */
export function mailboxRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requirePerson(app, ctx);
    const tags = ['recipient'];

    app.get(
      '/me/mailboxes',
      {
        schema: {
          tags,
          operationId: 'listMyMailboxes',
          summary: 'The mailboxes the caller may open',
          security: bearerAuth,
          response: { 200: Type.Object({ items: Type.Array(MailboxSchema) }), ...problems(401) },
        },
      },
      async (request) => {
        const actor = personOf(request);
        const boxes = await listMyMailboxes(ctx.deps, actor);
        return {
          items: boxes.map((m) => ({
            id: m.id,
            ownerType: m.ownerType,
            ownerId: m.ownerType === 'person' && m.ownerId !== actor.nationalId ? maskNationalId(m.ownerId) : m.ownerId,
            name: m.name,
            role: m.role,
          })),
        };
      },
    );

    app.get(
      '/mailboxes/:mailboxId/messages',
      {
        schema: {
          tags,
          operationId: 'listMailboxMessages',
          summary: 'Letters in a folder, newest first; or found by q, sender, from, to, unread',
          description:
            'With any search parameter and no folder, every folder except the trash is searched. A letter ' +
            'whose level your login does not reach is found by its non-sensitive title only.',
          security: bearerAuth,
          params: MailboxParams,
          querystring: ListQuery,
          response: { 200: LetterPage, ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const actor = personOf(request);
        const { folder, cursor, limit = 50, q, sender, from, to, unread } = request.query;
        const searching = [q, sender, from, to, unread].some((v) => v !== undefined);
        const page = await listLetters(ctx.deps, actor, request.params.mailboxId, {
          folder: folder ?? (searching ? null : 'inbox'),
          after: decodeCursor(cursor, isLetterCursor, 'cursor'),
          limit,
          ...(searching ? { search: { text: q, sender, from, to, unread } } : {}),
        });
        return { items: page.items.map(presentSummary), nextCursor: page.next ? encodeCursor(page.next) : null };
      },
    );

    app.get(
      '/mailboxes/:mailboxId/messages/:messageId',
      {
        schema: {
          tags,
          operationId: 'getMailboxMessage',
          summary: 'One letter; only its non-sensitive title when the login level is too low',
          security: bearerAuth,
          params: LetterParams,
          response: { 200: LetterDetail, ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const actor = personOf(request);
        const { mailboxId, messageId } = request.params;
        return presentDetail(await getLetter(ctx.deps, actor, mailboxId, messageId));
      },
    );

    // GET and HEAD in one route: Fastify's automatic HEAD would set Content-Length from the empty body.
    app.route({
      method: ['GET', 'HEAD'],
      url: '/mailboxes/:mailboxId/messages/:messageId/documents/:documentId/content',
      schema: {
        tags,
        operationId: 'getDocumentContent',
        summary: "A document's bytes",
        description:
          'The first opening of the main document is recorded as the letter being opened. HEAD answers the ' +
          'same headers and records nothing.',
        security: bearerAuth,
        params: DocumentParams,
        querystring: ContentQuery,
        response: {
          200: { description: 'The document', type: 'string', format: 'binary' },
          ...problems(400, 401, 403, 404),
        },
      },
      handler: async (request, reply) => {
        const actor = personOf(request);
        const { mailboxId, messageId, documentId } = request.params;
        // HEAD answers the headers under the same checks, and records no opening.
        const head = request.method === 'HEAD';
        const { document, content } = head
          ? {
              document: await describeDocument(ctx.deps, actor, mailboxId, messageId, documentId).catch(
                withLoginUrl(mailboxId, messageId),
              ),
              content: null,
            }
          : await openDocument(ctx.deps, actor, mailboxId, messageId, documentId).catch(
              withLoginUrl(mailboxId, messageId),
            );
        const inline = inlineTypes.has(document.mediaType) && request.query.download !== true;
        reply
          .header(
            'content-type',
            document.mediaType === 'text/plain' ? 'text/plain; charset=utf-8' : document.mediaType,
          )
          .header('content-length', document.size)
          .header('content-disposition', dispositionHeader(document.filename, inline ? 'inline' : 'attachment'))
          .header('cache-control', 'private, no-store')
          .header('x-content-type-options', 'nosniff')
          .header('etag', `"${document.sha256}"`);
        if (document.mediaType !== 'application/pdf') {
          reply.header('content-security-policy', "sandbox; default-src 'none'; img-src 'self'");
        }
        if (!content) return (reply as FastifyReply).send();
        // A Buffer is sent as is; the schema above only describes it for the OpenAPI document.
        return (reply as FastifyReply).send(Buffer.from(content.buffer, content.byteOffset, content.byteLength));
      },
    });

    app.get(
      '/mailboxes/:mailboxId/messages/:messageId/actions/:index/calendar',
      {
        schema: {
          tags,
          operationId: 'getActionCalendar',
          summary: 'An appointment of a letter as a calendar file (text/calendar)',
          description:
            'Only for actions of type appointment; read like a document (the login level must reach the ' +
            "letter's, and the read is recorded in the mailbox's audit log).",
          security: bearerAuth,
          params: ActionParams,
          produces: ['text/calendar'],
          response: {
            200: Type.String({ description: 'An iCalendar (RFC 5545) file with one event' }),
            ...problems(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const actor = personOf(request);
        const { mailboxId, messageId, index } = request.params;
        const { letter, sender, action } = await readAppointment(ctx.deps, actor, mailboxId, messageId, index).catch(
          withLoginUrl(mailboxId, messageId),
        );
        const title = action.label.trim() || letter.subject;
        const event: EventAttributes = {
          uid: `${letter.id}-${index}@postkasse`,
          productId: 'postkasse',
          method: 'PUBLISH',
          title,
          start: Date.parse(action.start ?? ''),
          startInputType: 'utc',
          startOutputType: 'utc',
          end: Date.parse(action.end ?? ''),
          endInputType: 'utc',
          endOutputType: 'utc',
          ...(action.place ? { location: action.place } : {}),
          ...(sender ? { description: `${sender.name}${action.url ? `\n${action.url}` : ''}` } : {}),
        };
        // The library checks URLs by its own rules; a link it does not take stays in the description.
        const { createEvent } = await import('ics');
        let { error, value } = createEvent(action.url ? { ...event, url: action.url } : event);
        if (error && action.url) ({ error, value } = createEvent(event));
        if (error || !value) throw new AppError('internal_error', 'The calendar file could not be made');
        return (reply as FastifyReply)
          .header('content-type', 'text/calendar; charset=utf-8')
          .header('content-disposition', dispositionHeader(calendarFilename(title), 'attachment'))
          .header('cache-control', 'private, no-store')
          .header('x-content-type-options', 'nosniff')
          .send(value);
      },
    );

    app.patch(
      '/mailboxes/:mailboxId/messages/:messageId',
      {
        schema: {
          tags,
          operationId: 'updateMailboxMessage',
          summary: 'Mark read or unread, or move to a folder',
          security: bearerAuth,
          params: LetterParams,
          body: LetterPatchBody,
          response: { 200: LetterDetail, ...problems(400, 401, 404, 422) },
        },
      },
      async (request) => {
        const actor = personOf(request);
        const { mailboxId, messageId } = request.params;
        await updateLetter(ctx.deps, actor, mailboxId, messageId, request.body);
        return presentDetail(await getLetter(ctx.deps, actor, mailboxId, messageId, { afterChange: true }));
      },
    );

    app.delete(
      '/mailboxes/:mailboxId/messages/:messageId',
      {
        schema: {
          tags,
          operationId: 'trashMailboxMessage',
          summary: 'Move a letter to the trash (restorable)',
          security: bearerAuth,
          params: LetterParams,
          response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const actor = personOf(request);
        await trashLetter(ctx.deps, actor, request.params.mailboxId, request.params.messageId);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/mailboxes/:mailboxId/messages/:messageId/restore',
      {
        schema: {
          tags,
          operationId: 'restoreMailboxMessage',
          summary: 'Bring a letter back from the trash',
          security: bearerAuth,
          params: LetterParams,
          response: { 200: LetterDetail, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const actor = personOf(request);
        const { mailboxId, messageId } = request.params;
        await restoreLetter(ctx.deps, actor, mailboxId, messageId);
        return presentDetail(await getLetter(ctx.deps, actor, mailboxId, messageId, { afterChange: true }));
      },
    );

    app.get(
      '/mailboxes/:mailboxId/folders',
      {
        schema: {
          tags,
          operationId: 'listFolders',
          summary: 'Folders with their letter counts',
          security: bearerAuth,
          params: MailboxParams,
          response: { 200: Type.Object({ items: Type.Array(FolderSchema) }), ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const actor = personOf(request);
        const folders = await listFolders(ctx.deps, actor, request.params.mailboxId);
        return {
          items: folders.map((f) => ({ id: f.id, kind: f.kind, name: f.name, total: f.total, unread: f.unread })),
        };
      },
    );

    app.post(
      '/mailboxes/:mailboxId/folders',
      {
        schema: {
          tags,
          operationId: 'createFolder',
          summary: 'Create a folder of ones own',
          security: bearerAuth,
          params: MailboxParams,
          body: FolderBody,
          response: { 201: FolderSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const actor = personOf(request);
        const f = await createFolder(ctx.deps, actor, request.params.mailboxId, request.body.name);
        return reply.code(201).send({ id: f.id, kind: f.kind, name: f.name, total: 0, unread: 0 });
      },
    );

    app.patch(
      '/mailboxes/:mailboxId/folders/:folderId',
      {
        schema: {
          tags,
          operationId: 'renameFolder',
          summary: 'Rename a folder of ones own',
          security: bearerAuth,
          params: FolderParams,
          body: FolderBody,
          response: { 204: Type.Null(), ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const actor = personOf(request);
        await renameFolder(ctx.deps, actor, request.params.mailboxId, request.params.folderId, request.body.name);
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/mailboxes/:mailboxId/folders/:folderId',
      {
        schema: {
          tags,
          operationId: 'deleteFolder',
          summary: 'Delete a folder of ones own; its letters move to the inbox',
          security: bearerAuth,
          params: FolderParams,
          response: { 204: Type.Null(), ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        const actor = personOf(request);
        await deleteFolder(ctx.deps, actor, request.params.mailboxId, request.params.folderId);
        return reply.code(204).send(null);
      },
    );
  };
}
