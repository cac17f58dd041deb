import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  cancelLetter,
  type FeedCursor,
  getSentLetter,
  isAheadOfFeed,
  type Letter,
  type LetterEvent,
  readEventFeed,
  type Sender,
  sendLetter,
} from '@postkasse/core';
import { requireSender, senderOf } from '../authenticate.js';
import type { AppContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { partiesOf, presentFeedEvent, signReceipt } from '../receipts.js';
import { bearerAuth, problems } from './common.schemas.js';
import { acceptMemoBodies, isMemoRequest, letterFromMemo, MEMO_MAX_BYTES } from './formats.js';
import { letterJsonValidator, readLetterUpload, withPathPrefix } from './letter-upload.js';
import { EventPage, EventQuery, MessageIdParams, SendMessageBody, SentMessage } from './messages.schemas.js';

/** One of the sender's letters with its events, each with its signed receipt. */
export async function presentSentMessage(
  ctx: AppContext,
  sender: Pick<Sender, 'orgNumber'>,
  letter: Letter,
  events: Array<Omit<LetterEvent, 'seq'>>,
) {
  const parties = partiesOf(letter, sender);
  const receiptAllowed = letter.openingReceipt || letter.legalNotification;
  return {
    id: letter.externalId,
    status: letter.status,
    rejectReason: letter.rejectReason,
    recipient:
      letter.recipientType === 'person' ? { nationalId: letter.recipientId } : { orgNumber: letter.recipientId },
    subject: letter.subject,
    nonSensitiveTitle: letter.nonSensitiveTitle,
    senderReference: letter.senderReference,
    authLevel: letter.authLevel,
    sensitivity: letter.sensitivity,
    openingReceipt: letter.openingReceipt,
    legalNotification: letter.legalNotification,
    mandatory: letter.mandatory,
    replyBy: letter.replyBy,
    createdAt: letter.createdAt,
    deliveredAt: letter.deliveredAt,
    deliverAt: letter.deliverAt,
    holdUntil: letter.holdUntil,
    batchId: letter.batchId,
    openedAt: receiptAllowed ? letter.openedAt : null,
    documentCount: letter.documentCount,
    events: await Promise.all(
      events.map(async (e) => ({
        id: e.id,
        type: e.type,
        at: e.at,
        data: e.data,
        // Stored when the event was written; an event from before that is signed now.
        receipt: e.receipt ?? (await signReceipt(ctx, { ...e, messageId: letter.externalId, ...parties })),
      })),
    ),
  };
}

const isFeedCursor = (v: unknown): v is FeedCursor =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as FeedCursor).tx === 'string' &&
  /^\d{1,20}$/.test((v as FeedCursor).tx) &&
  Number.isSafeInteger((v as FeedCursor).seq);

/** The sender API: send letters, follow them, read the event feed. */
export function messageRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requireSender(app, ctx);
    letterJsonValidator();
    acceptMemoBodies(app);
    app.post(
      '/messages',
      {
        bodyLimit: MEMO_MAX_BYTES,
        // The body is multipart and read part by part in the handler; the schema is for the docs.
        validatorCompiler: () => () => true,
        schema: {
          tags: ['sender'],
          operationId: 'sendMessage',
          summary: 'Send a letter',
          description:
            'multipart/form-data with a `message` part holding the letter JSON and one file part per document; ' +
            'or a MeMo message (Content-Type application/vnd.memo+xml or application/xml, MeMo 1.1 or 1.2). ' +
            'The same id with the same content answers the same again; with other content it is 409.',
          consumes: ['multipart/form-data', 'application/vnd.memo+xml', 'application/xml'],
          security: bearerAuth,
          body: SendMessageBody,
          response: { 201: SentMessage, ...problems(400, 401, 409, 413, 415, 422, 500, 503) },
        },
      },
      async (request, reply) => {
        const actor = senderOf(request);
        const input = isMemoRequest(request)
          ? letterFromMemo(request.body as unknown as Buffer, actor.sender)
          : await readLetterUpload(
              request,
              ctx.config.maxLetterBytes,
              ', or a MeMo message as application/vnd.memo+xml',
            );
        const result = await sendLetter(ctx.deps, actor, input).catch((error: unknown) => {
          throw withPathPrefix(error, 'message.');
        });
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        reply.header('location', `/api/v1/messages/${result.letter.externalId}`);
        return reply.code(201).send(await presentSentMessage(ctx, actor.sender, result.letter, result.events));
      },
    );

    app.get(
      '/messages/:id',
      {
        schema: {
          tags: ['sender'],
          operationId: 'getMessage',
          summary: "Status and events of one of the caller's letters",
          security: bearerAuth,
          params: MessageIdParams,
          response: { 200: SentMessage, ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const actor = senderOf(request);
        const { letter, events } = await getSentLetter(ctx.deps, actor, request.params.id);
        return presentSentMessage(ctx, actor.sender, letter, events);
      },
    );

    app.post(
      '/messages/:id/cancel',
      {
        schema: {
          tags: ['sender'],
          operationId: 'cancelMessage',
          summary: 'Cancel a letter nobody has seen yet (scheduled, held, or in an open batch)',
          description: 'Answers the letter, now CANCELLED; cancelling twice answers the same.',
          security: bearerAuth,
          params: MessageIdParams,
          response: { 200: SentMessage, ...problems(400, 401, 404, 422) },
        },
      },
      async (request) => {
        const actor = senderOf(request);
        const letter = await cancelLetter(ctx.deps, actor, request.params.id);
        return presentSentMessage(ctx, actor.sender, letter, await ctx.deps.store.read.events.listByLetter(letter.id));
      },
    );

    app.get(
      '/events',
      {
        schema: {
          tags: ['sender'],
          operationId: 'listEvents',
          summary: "The caller's events in order",
          description: 'Poll with `after` set to the last `nextCursor`; an empty page keeps the cursor.',
          security: bearerAuth,
          querystring: EventQuery,
          response: { 200: EventPage, ...problems(400, 401) },
        },
      },
      async (request) => {
        const actor = senderOf(request);
        const { after: given, cursor } = request.query;
        if (given !== undefined && cursor !== undefined && given !== cursor) {
          throw new AppError('validation_failed', 'Give the position once: `after` and `cursor` disagree', {
            errors: [{ path: 'query.cursor', code: 'conflicting_cursor', message: 'differs from query.after' }],
          });
        }
        const position = given ?? cursor;
        const after = decodeCursor(
          position,
          isFeedCursor,
          given === undefined && cursor !== undefined ? 'cursor' : 'after',
        );
        const rows = await readEventFeed(ctx.deps, actor, after, request.query.limit ?? 100);
        // An empty page from a cursor no answer gave would keep a reader waiting past events for ever.
        if (rows.length === 0 && after && (await isAheadOfFeed(ctx.deps, after))) {
          const parameter = given === undefined ? 'cursor' : 'after';
          throw new AppError('validation_failed', 'The cursor lies beyond every event; use nextCursor from an answer', {
            errors: [{ path: `query.${parameter}`, code: 'invalid_cursor', message: 'not a cursor we issued' }],
          });
        }
        const items = await Promise.all(
          rows.map(async (e) => ({ ...(await presentFeedEvent(ctx, e)), cursor: encodeCursor(e.cursor) })),
        );
        const last = items.at(-1);
        return { items, nextCursor: last ? last.cursor : (position ?? null) };
      },
    );
  };
}
