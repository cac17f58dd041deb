import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type { AppContext } from './context.js';
import { registerInputGuard } from './input-guard.js';
import { loggableUrl, loggerOptions } from './logger.js';
import { registerMetrics } from './metrics.js';
import { registerProblemHandlers } from './problem.js';
import { registerRateLimits } from './rate-limits.js';
import { accessRoutes } from './routes/access.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { batchRoutes } from './routes/batches.js';
import { errorsAsProblems, ProblemSchema } from './routes/common.schemas.js';
import { formatRoutes } from './routes/formats.js';
import { healthRoutes } from './routes/health.js';
import { liveRoutes } from './routes/live.js';
import { mailboxRoutes } from './routes/mailboxes.js';
import { messageRoutes } from './routes/messages.js';
import { describeLetterUpload } from './routes/messages.schemas.js';
import { devOutboxRoutes, memberNotificationRoutes } from './routes/notifications.js';
import { oauthRoutes } from './routes/oauth.js';
import { personRegisterRoutes, senderRegisterRoutes } from './routes/register.js';
import { webhookRoutes } from './routes/webhooks.js';
import { webRoutes } from './web.js';

const CORRELATION_ID = /^[A-Za-z0-9._-]{1,128}$/;

export type BuildOptions = { logger?: boolean; logStream?: { write(line: string): void } };

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function requestValidator(coerceTypes: 'array' | false): Ajv {
  return addFormats(
    new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false }),
  );
}

/** Builds the HTTP application on a context; listening is the caller's business. */
export async function buildApp(ctx: AppContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : loggerOptions(ctx.config.logLevel, options.logStream),
    // One line per request, written in onResponse below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: ctx.config.trustProxy as FastifyServerOptions['trustProxy'],
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-correlation-id'];
      return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-correlation-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: loggableUrl(request.url),
        // The client's address: the peer's, or what trusted proxies say it is (POSTKASSE_TRUST_PROXY).
        ip: request.ip,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  registerProblemHandlers(app);
  registerInputGuard(app);
  // No route takes a plain-text body: one sent as text/plain is the wrong type (415), not a string
  // that then fails the route's schema.
  app.removeContentTypeParser('text/plain');
  app.addSchema(ProblemSchema);
  // Query strings and path parameters are text, so their values are converted to the types the
  // schema names (`limit=20`); a JSON body already has types, and a wrong one is an error: `null`
  // must stay null (it clears a field), not become "" or false.
  const coercing = requestValidator('array');
  const exact = requestValidator(false);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? exact : coercing).compile(schema));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Postkasse API',
        version: '1.0.0',
        description:
          'Sender API (API keys) and recipient API (access tokens). Errors are application/problem+json ' +
          'with a stable `code` and `retryable`.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key or access token' } },
      },
      tags: [
        { name: 'sender', description: "Sending letters and following their events, with a sender's API key or token" },
        { name: 'batches', description: 'Many letters that take their outcome at once, sharing uploaded documents' },
        { name: 'formats', description: 'MeMo and SDP/DPI forms of letters and receipts' },
        { name: 'register', description: 'The contact and reservation register and private senders’ consents' },
        { name: 'webhooks', description: "Events POSTed to a sender's own endpoint" },
        { name: 'recipient', description: 'Reading letters and keeping them in order, with an access token' },
        { name: 'access', description: 'Who may open a mailbox: grants, members, and the mailbox’s audit log' },
        { name: 'sender administration', description: "A sender's API keys and client keys, for its administrators" },
        { name: 'login', description: 'Browser sessions for the web app' },
        { name: 'operations', description: 'Health, readiness and the platform’s public keys' },
      ],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (json.$id as string) ?? `def-${i}` },
    transformObject: (documents) =>
      describeLetterUpload(
        errorsAsProblems('openapiObject' in documents ? documents.openapiObject : documents.swaggerObject),
      ),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(fastifyMultipart, {
    limits: {
      fileSize: ctx.config.maxLetterBytes,
      files: 261,
      fields: 5,
      fieldSize: 1024 * 1024,
      parts: 270,
      headerPairs: 100,
    },
  });

  await app.register(fastifyCookie, { secret: ctx.cookieSecret });
  const metrics = registerMetrics(app, ctx.deps);
  if (ctx.testIdpClient && ctx.testIssuer) {
    // Loaded only here: oidc-provider is large, and the admin commands, which open a context but
    // build no app, have no use for it.
    const idp = await import('./test-idp/provider.js');
    const provider = idp.embeddedTestProvider(ctx.testIssuer, ctx.testIdpClient, ctx.config.tokens.audience);
    await idp.mountTestProvider(app, provider, ctx.testIssuer.issuer);
  }
  // Before the routes: the limits attach to each route as it is added.
  await registerRateLimits(app, ctx, metrics);
  await app.register(authRoutes(ctx));
  await app.register(oauthRoutes(ctx));
  await app.register(healthRoutes(ctx));
  await app.register(messageRoutes(ctx), { prefix: '/api/v1' });
  await app.register(mailboxRoutes(ctx), { prefix: '/api/v1' });
  await app.register(accessRoutes(ctx), { prefix: '/api/v1' });
  await app.register(auditRoutes(ctx), { prefix: '/api/v1' });
  await app.register(senderRegisterRoutes(ctx), { prefix: '/api/v1' });
  await app.register(personRegisterRoutes(ctx), { prefix: '/api/v1' });
  await app.register(batchRoutes(ctx), { prefix: '/api/v1' });
  await app.register(webhookRoutes(ctx), { prefix: '/api/v1' });
  await app.register(formatRoutes(ctx), { prefix: '/api/v1' });
  await app.register(memberNotificationRoutes(ctx), { prefix: '/api/v1' });
  await app.register(liveRoutes(ctx), { prefix: '/api/v1' });
  await app.register(webRoutes(ctx));
  if (ctx.config.notifications.devOutbox) await app.register(devOutboxRoutes(ctx));
  return app;
}
