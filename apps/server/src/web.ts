/**
 * The web inbox (apps/web, built by `npm run build`): its hashed assets under /assets/ (cached for
 * good), and index.html for every path the app owns: /, /inbox/{mailbox}[/{letter}] (the links in
 * notifications), /settings, and (with 404) any other address a browser opens, so that the app
 * says what is not there. The app shows the login itself when there is no session. Pages get a
 * strict Content-Security-Policy: only this origin's scripts, no framing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from './context.js';
import { UUID } from './input-guard.js';
import { messagePage } from './test-idp/pages.js';

export const WEB_CSP = [
  "default-src 'self'",
  // wasm: pdf.js's decoders for scanned letters (JBIG2, JPEG 2000).
  "script-src 'self' 'wasm-unsafe-eval'",
  // pdf.js and React set element styles; no style sheet comes from elsewhere.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** For the app's scripts and data: nothing but this origin, as in a worker's own scope. */
const ASSET_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";

export function webRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const dir = ctx.config.webDir;
    const index = await readFile(join(dir, 'index.html'), 'utf8').catch(() => null);
    if (index) {
      // Scripts (the pdf.js worker among them: workers take their policy from their own answer)
      // get a policy too, so the code that parses letters' PDFs may not reach anywhere else.
      const setHeaders = (reply: FastifyReply) => {
        reply.header('content-security-policy', ASSET_CSP).header('x-content-type-options', 'nosniff');
      };
      await app.register(fastifyStatic, {
        root: join(dir, 'assets'),
        prefix: '/assets/',
        decorateReply: false,
        index: false,
        immutable: true,
        maxAge: '365d',
        wildcard: true,
        setHeaders,
      });
      // pdf.js's decoders, character maps, fonts and colour profiles (not hashed: cached a day).
      await app.register(fastifyStatic, {
        root: join(dir, 'pdfjs'),
        prefix: '/pdfjs/',
        decorateReply: false,
        index: false,
        maxAge: '1d',
        wildcard: true,
        setHeaders,
      });
    } else {
      app.log.warn({ webDir: dir }, 'the web inbox is not built (npm run build); / answers a notice');
    }

    const page = async (_request: unknown, reply: FastifyReply) => {
      return sendPage(reply, 200);
    };
    const sendPage = (reply: FastifyReply, status: number) => {
      reply
        .code(status)
        .header('cache-control', 'no-store')
        .header('content-security-policy', WEB_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'same-origin')
        .header('x-frame-options', 'DENY');
      if (!index) {
        return reply
          .code(503)
          .type('text/html; charset=utf-8')
          .send(
            messagePage(
              'The web inbox is not built',
              'Run npm run build (npm start does it), or set POSTKASSE_WEB_DIR to a built apps/web/dist.',
            ),
          );
      }
      return reply.type('text/html; charset=utf-8').send(index);
    };
    const hidden = { schema: { hide: true } };
    app.get('/', hidden, page);
    app.get('/settings', hidden, page);
    // Any other address a browser opens (a link cut short in an SMS, a mistyped path or id) gets
    // the app, which says "not found" in the reader's language, with status 404; anything else (the
    // API, a client that does not ask for HTML) gets the problem answer as before.
    const notFound = async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0] ?? '';
      const api = /^\/(api|auth|oauth|test-idp|dev|assets|pdfjs|docs|\.well-known)(\/|$)/.test(path);
      if (api || !request.headers.accept?.includes('text/html')) return reply.callNotFound();
      return sendPage(reply, 404);
    };
    const ids = (request: FastifyRequest) => Object.values(request.params as Record<string, string>);
    const inbox = async (request: FastifyRequest, reply: FastifyReply) =>
      ids(request).every((id) => UUID.test(id)) ? sendPage(reply, 200) : notFound(request, reply);
    app.get('/inbox/:mailboxId', hidden, inbox);
    app.get('/inbox/:mailboxId/:letterId', hidden, inbox);
    app.get('/*', hidden, notFound);
  };
}
