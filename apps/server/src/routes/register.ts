import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  type ConsentView,
  confirmContactDetails,
  getOwnRecord,
  listOwnConsents,
  lookupRegister,
  type OwnRecord,
  registerCustomerConsent,
  setOwnConsent,
  updateOwnRecord,
  withdrawCustomerConsent,
} from '@postkasse/core';
import { Type } from '@sinclair/typebox';
import { personOf, requirePerson, requireSender, senderOf } from '../authenticate.js';
import type { AppContext } from '../context.js';
import { bearerAuth, problems } from './common.schemas.js';
import {
  ConsentList,
  ConsentSchema,
  CustomerConsentAnswer,
  CustomerConsentBody,
  LookupAnswer,
  LookupBody,
  NationalIdParams,
  OrgNumberParams,
  OwnRecordPatch,
  OwnRecordSchema,
} from './register.schemas.js';

const presentRecord = (r: OwnRecord) => ({
  nationalId: r.nationalId,
  name: r.name,
  status: r.registerStatus,
  provider: r.provider,
  reserved: r.reserved,
  reservedAt: r.reservedAt,
  exempt: r.exempt,
  exemptAt: r.exemptAt,
  language: r.language,
  canBeNotified: r.canBeNotified,
  contact: {
    email: r.email,
    emailUpdatedAt: r.emailUpdatedAt,
    emailVerifiedAt: r.emailVerifiedAt,
    mobile: r.mobile,
    mobileUpdatedAt: r.mobileUpdatedAt,
    mobileVerifiedAt: r.mobileVerifiedAt,
  },
  postalAddress: r.postalAddress,
  updatedAt: r.updatedAt,
});

const presentConsent = (c: ConsentView) => ({
  sender: c.sender,
  status: c.status,
  source: c.source,
  givenAt: c.givenAt,
  withdrawnAt: c.withdrawnAt,
});

/** The register for senders: lookups (public senders) and customer consents (private senders). */
export function senderRegisterRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requireSender(app, ctx);
    app.post(
      '/register/lookup',
      {
        schema: {
          tags: ['register'],
          operationId: 'lookupRegister',
          summary: 'Look up to 1,000 persons in the contact and reservation register (public senders)',
          description: 'Contact details are included only for credentials with the `register:contact` scope.',
          security: bearerAuth,
          body: LookupBody,
          response: { 200: LookupAnswer, ...problems(400, 401, 403) },
        },
      },
      async (request) => ({ persons: await lookupRegister(ctx.deps, senderOf(request), request.body.nationalIds) }),
    );
    app.post(
      '/consents',
      {
        schema: {
          tags: ['register'],
          operationId: 'registerCustomerConsent',
          summary: 'Register a customer who consented to your letters (private senders), with your evidence',
          description:
            'Letters held for the person are delivered once they have a mailbox. The answer is the same ' +
            'whether or not the person exists.',
          security: bearerAuth,
          body: CustomerConsentBody,
          response: { 201: CustomerConsentAnswer, ...problems(400, 401, 422) },
        },
      },
      async (request, reply) => {
        const { nationalId, evidence } = request.body;
        return reply.code(201).send(await registerCustomerConsent(ctx.deps, senderOf(request), nationalId, evidence));
      },
    );
    app.delete(
      '/consents/:nationalId',
      {
        schema: {
          tags: ['register'],
          operationId: 'withdrawCustomerConsent',
          summary: 'Record that a customer relationship ended: the consent is withdrawn',
          security: bearerAuth,
          params: NationalIdParams,
          response: { 204: Type.Null({ description: 'Withdrawn (or there was none)' }), ...problems(400, 401, 422) },
        },
      },
      async (request, reply) => {
        await withdrawCustomerConsent(ctx.deps, senderOf(request), request.params.nationalId);
        return reply.code(204).send(null);
      },
    );
  };
}

/** A person's own register record and consents. */
export function personRegisterRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requirePerson(app, ctx);
    app.get(
      '/me/register',
      {
        schema: {
          tags: ['register'],
          operationId: 'getMyRegister',
          summary: 'My record in the contact and reservation register',
          security: bearerAuth,
          response: { 200: OwnRecordSchema, ...problems(401, 403) },
        },
      },
      async (request) => presentRecord(await getOwnRecord(ctx.deps, personOf(request))),
    );
    app.patch(
      '/me/register',
      {
        schema: {
          tags: ['register'],
          operationId: 'updateMyRegister',
          summary: 'Change my reservation, contact details or language',
          description: 'A changed e-mail or mobile counts as updated now and is no longer verified.',
          security: bearerAuth,
          body: OwnRecordPatch,
          response: { 200: OwnRecordSchema, ...problems(400, 401, 403) },
        },
      },
      async (request) => presentRecord(await updateOwnRecord(ctx.deps, personOf(request), request.body)),
    );
    app.post(
      '/me/register/confirm',
      {
        schema: {
          tags: ['register'],
          operationId: 'confirmMyContactDetails',
          summary: 'Confirm that my contact details are still right',
          security: bearerAuth,
          response: { 200: OwnRecordSchema, ...problems(401, 403, 422) },
        },
      },
      async (request) => presentRecord(await confirmContactDetails(ctx.deps, personOf(request))),
    );
    app.get(
      '/me/consents',
      {
        schema: {
          tags: ['register'],
          operationId: 'listMyConsents',
          summary: 'My consents to private senders',
          security: bearerAuth,
          response: { 200: ConsentList, ...problems(401) },
        },
      },
      async (request) => ({ items: (await listOwnConsents(ctx.deps, personOf(request))).map(presentConsent) }),
    );
    app.put(
      '/me/consents/:orgNumber',
      {
        schema: {
          tags: ['register'],
          operationId: 'giveMyConsent',
          summary: 'Consent to letters from a private sender; letters it holds for me are delivered',
          security: bearerAuth,
          params: OrgNumberParams,
          response: { 200: ConsentSchema, ...problems(400, 401, 404, 422) },
        },
      },
      async (request) =>
        presentConsent(await setOwnConsent(ctx.deps, personOf(request), request.params.orgNumber, true)),
    );
    app.delete(
      '/me/consents/:orgNumber',
      {
        schema: {
          tags: ['register'],
          operationId: 'withdrawMyConsent',
          summary: 'Withdraw my consent to a private sender',
          security: bearerAuth,
          params: OrgNumberParams,
          response: { 200: ConsentSchema, ...problems(400, 401, 404, 422) },
        },
      },
      async (request) =>
        presentConsent(await setOwnConsent(ctx.deps, personOf(request), request.params.orgNumber, false)),
    );
  };
}
