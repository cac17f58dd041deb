import { readFile } from 'node:fs/promises';
import {
  AppError,
  acrValues,
  addOrganizationAdmin,
  addSenderAdmin,
  createApiKey,
  createSender,
  maskNationalId,
  parseNationalId,
  registerClientKey,
  registerOrganization,
  registerPerson,
  type SenderKind,
  senderScopes,
  sweepOrphanBlobs,
  verifyDocumentBlobs,
} from '@postkasse/core';
import {
  type AppContext,
  checkPublicJwk,
  copyBlobs,
  createContext,
  loadConfig,
  rotateMasterKey,
  rotatePlatformKey,
} from '@postkasse/server';
import type { Command } from 'commander';
import { fail, print, progressBar } from '../output.js';
import { auditCommands } from './audit.js';
import { backupCommand } from './backup.js';
import { jobsCommands } from './jobs.js';
import { personImportCommand } from './person-import.js';
import { registerCommands } from './register.js';

/** Runs an operator command against the configured data dir or DATABASE_URL. */
export async function withContext<T>(json: boolean, run: (ctx: AppContext) => Promise<T>): Promise<void> {
  let ctx: AppContext | undefined;
  try {
    ctx = await createContext(loadConfig());
    await run(ctx);
  } catch (error) {
    await ctx?.close();
    fail(error, json);
  }
  await ctx.close();
}

export function adminCommands(program: Command): void {
  const admin = program.command('admin').description("the operator's commands, run on the server's data");

  registerCommands(admin);
  auditCommands(admin);
  backupCommand(admin);
  jobsCommands(admin);
  const sender = admin.command('sender').description('senders: authorities and companies that send letters');
  sender
    .command('create')
    .description('register a sender and issue its first API key (shown this once)')
    .requiredOption('--org <number>', 'organization number (NO) or CVR (DK)')
    .requiredOption('--name <name>', 'display name shown to recipients')
    .option('--kind <kind>', 'public (authority) or private (company)', 'public')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; name: string; kind: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        if (opts.kind !== 'public' && opts.kind !== 'private') {
          throw new AppError('validation_failed', '--kind is public or private');
        }
        const s = await createSender(ctx.deps, { orgNumber: opts.org, name: opts.name, kind: opts.kind as SenderKind });
        const { key, secret } = await createApiKey(ctx.deps, s.id, 'initial');
        print(
          json,
          { senderId: s.id, orgNumber: s.orgNumber, name: s.name, kind: s.kind, apiKeyId: key.id, apiKey: secret },
          () => `sender ${s.id} (${s.name}, ${s.kind})\nAPI key (shown once): ${secret}`,
        );
      });
    });

  const person = admin.command('person').description('persons in the register');
  person
    .command('create')
    .description('register a person and open their mailbox')
    .requiredOption('--id <nationalId>', 'national id (fødselsnummer, D-number or CPR)')
    .option('--name <name>')
    .option('--email <email>')
    .option('--mobile <mobile>')
    .option('--language <language>', 'nb, nn, en, se or da')
    .option('--no-mailbox', 'only enter the person in the register; the mailbox opens at first login')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        id: string;
        name?: string;
        email?: string;
        mobile?: string;
        language?: string;
        mailbox: boolean;
        json?: boolean;
      }) => {
        const json = Boolean(opts.json);
        await withContext(json, async (ctx) => {
          const { person: p, mailbox } = await registerPerson(ctx.deps, {
            nationalId: opts.id,
            name: opts.name ?? null,
            email: opts.email ?? null,
            mobile: opts.mobile ?? null,
            language: opts.language ?? null,
            openMailbox: opts.mailbox,
          });
          print(
            json,
            { personId: p.id, nationalId: p.nationalId, mailboxId: mailbox?.id ?? null },
            () =>
              `person ${maskNationalId(p.nationalId)} registered; ${mailbox ? `mailbox ${mailbox.id}` : 'mailbox opens at first login'}`,
          );
        });
      },
    );

  personImportCommand(person);

  const organization = admin.command('organization').description('organizations with a mailbox of their own');
  organization
    .command('add-admin')
    .description("name an administrator of an organization's mailbox (they add and remove members)")
    .requiredOption('--org <number>', 'organization number (NO) or CVR (DK)')
    .requiredOption('--id <nationalId>', 'the person')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; id: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const m = await addOrganizationAdmin(ctx.deps, opts.org, opts.id);
        print(
          json,
          { memberId: m.id, mailboxId: m.scopeId, role: m.role },
          () => `${maskNationalId(m.nationalId)} administers ${opts.org}'s mailbox`,
        );
      });
    });
  organization
    .command('create')
    .description("open an organization's mailbox")
    .requiredOption('--org <number>', 'organization number (NO) or CVR (DK)')
    .requiredOption('--name <name>')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; name: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const { mailbox } = await registerOrganization(ctx.deps, { orgNumber: opts.org, name: opts.name });
        print(
          json,
          { orgNumber: opts.org, mailboxId: mailbox.id },
          () => `mailbox ${mailbox.id} opened for ${opts.org}`,
        );
      });
    });

  sender
    .command('add-admin')
    .description('make a person an administrator of a sender (they manage its API keys after logging in)')
    .requiredOption('--org <number>', "the sender's organization number")
    .requiredOption('--id <nationalId>', 'the person')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; id: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const m = await addSenderAdmin(ctx.deps, opts.org, opts.id);
        print(
          json,
          { memberId: m.id, senderId: m.scopeId, role: m.role },
          () => `${maskNationalId(m.nationalId)} administers sender ${opts.org}`,
        );
      });
    });

  admin
    .command('signing-key')
    .description("the platform's signing key (receipts, sender access tokens)")
    .command('rotate')
    .description(
      'replace the signing key; the old public key stays published, so earlier receipts still verify ' +
        '(restart the server afterwards)',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const rotated = await rotatePlatformKey(ctx.config.platformKeyFile);
        // From now on a keys directory from before the rotation is refused (apps/server/src/installation.ts).
        await ctx.deps.store.write((repos) => repos.installation.setSigningKid(rotated.kid));
        print(
          json,
          rotated,
          () =>
            `new signing key ${rotated.kid}; ${rotated.retiredKid} is retired and stays published. ` +
            'Restart the server to sign with the new key, and back up the keys directory.',
        );
      });
    });

  const key = sender.command('key').description("a sender's API keys");
  key
    .command('create')
    .description('issue another API key (shown this once)')
    .requiredOption('--org <number>', "the sender's organization number")
    .option('--label <label>', 'what the key is for')
    .option('--scope <scope...>', `extra scopes (${senderScopes.join(', ')}); register:contact reads contact details`)
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; label?: string; scope?: string[]; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const s = await ctx.deps.store.read.senders.findByOrgNumber(opts.org);
        if (!s) throw new AppError('not_found', `No sender with organization number ${opts.org}`);
        const { key: k, secret } = await createApiKey(ctx.deps, s.id, opts.label ?? null, opts.scope ?? []);
        print(
          json,
          { apiKeyId: k.id, apiKey: secret, label: k.label, scopes: k.scopes },
          () => `API key ${k.id} (shown once): ${secret}`,
        );
      });
    });
  key
    .command('list')
    .description("list a sender's API keys (never the keys themselves)")
    .requiredOption('--org <number>', "the sender's organization number")
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const s = await ctx.deps.store.read.senders.findByOrgNumber(opts.org);
        if (!s) throw new AppError('not_found', `No sender with organization number ${opts.org}`);
        const keys = (await ctx.deps.store.read.apiKeys.listBySender(s.id)).map(({ keyHash: _hash, ...k }) => k);
        print(json, { items: keys }, () =>
          keys
            .map((k) => `${k.id}  ${k.prefix}…  ${k.label ?? ''}  ${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}`)
            .join('\n'),
        );
      });
    });
  key
    .command('revoke')
    .description('revoke an API key; it stops working at once')
    .requiredOption('--org <number>', "the sender's organization number")
    .requiredOption('--key <id>', 'the key id')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; key: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const s = await ctx.deps.store.read.senders.findByOrgNumber(opts.org);
        const k = s ? (await ctx.deps.store.read.apiKeys.listBySender(s.id)).find((x) => x.id === opts.key) : undefined;
        if (!s || !k) throw new AppError('not_found', 'No such key for that sender');
        await ctx.deps.store.write((repos) => repos.apiKeys.revoke(k.id, ctx.deps.clock.now().toISOString()));
        print(json, { apiKeyId: k.id, revoked: true }, () => `API key ${k.id} revoked`);
      });
    });

  sender
    .command('client-key')
    .description('public keys for the client-credentials grant (RFC 7523)')
    .command('add')
    .description('register a public JWK the sender signs its client assertions with')
    .requiredOption('--org <number>', "the sender's organization number")
    .requiredOption('--jwk-file <path>', 'a file with the public JWK (with a kid)')
    .option('--scope <scope...>', `extra scopes (${senderScopes.join(', ')})`)
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; jwkFile: string; scope?: string[]; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const s = await ctx.deps.store.read.senders.findByOrgNumber(opts.org);
        if (!s) throw new AppError('not_found', `No sender with organization number ${opts.org}`);
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readFile(opts.jwkFile, 'utf8'));
        } catch {
          throw new AppError('validation_failed', `${opts.jwkFile} is not a readable JSON file`);
        }
        if (typeof parsed !== 'object' || parsed === null)
          throw new AppError('validation_failed', 'The file holds no JWK');
        const jwk = await checkPublicJwk(parsed as Record<string, unknown>);
        const k = await registerClientKey(ctx.deps, s.id, jwk, opts.scope ?? []);
        print(
          json,
          { clientKeyId: k.id, kid: k.kid, senderId: s.id, tokenUrl: `${ctx.config.publicUrl}/oauth/token` },
          () => `client key ${k.kid} registered for ${s.name}; assertions use iss=sub=${s.id}`,
        );
      });
    });

  admin
    .command('sweep-blobs')
    .description('delete encrypted blobs no letter points at (left by crashes); safe while the server runs')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const result = await sweepOrphanBlobs(ctx.deps);
        print(
          json,
          result,
          () => `examined ${result.examined} blobs older than an hour, deleted ${result.deleted} orphans`,
        );
      });
    });

  admin
    .command('master-key')
    .description('the master key that wraps every mailbox key')
    .command('rotate')
    .description(
      'wrap every mailbox key (and the platform key) under a new master key, with EVERY process of the ' +
        'installation stopped; the old key file is kept for older backups; web sessions end. Cut short, run it again',
    )
    .option('--all-processes-stopped', 'confirm that no server or worker of this installation is running')
    .option(
      '--new-key-file <file>',
      'the new key (32 random bytes, base64; mode 0600); needed with POSTKASSE_MASTER_KEY',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { allProcessesStopped?: boolean; newKeyFile?: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      try {
        if (!opts.allProcessesStopped) {
          throw new AppError(
            'invalid_operation',
            'Stop every process of the installation first (a running one keeps wrapping new mailbox keys under the ' +
              'old key), then run this with --all-processes-stopped',
          );
        }
        const config = loadConfig();
        const result = await rotateMasterKey(config, { newKeyFile: opts.newKeyFile });
        print(json, result, () =>
          [
            `${result.rewrapped} of ${result.mailboxes} mailbox keys wrapped under the new master key (${result.keyFile}).`,
            result.retiredKeyFile
              ? `The old key is kept at ${result.retiredKeyFile}: keep it with the backups made before now, then remove it from this machine.`
              : 'Set POSTKASSE_MASTER_KEY to the new key for every process, and keep the old one with the backups made before now.',
            'Back up the new key now (apart from the data): backups made from now on need it.',
            'Start the processes; everyone logs in to the web inbox again.',
          ].join('\n'),
        );
      } catch (error) {
        fail(error, json);
      }
    });

  const blobs = admin
    .command('blobs')
    .description('the blob store where the encrypted documents are kept outside the database');
  blobs
    .command('verify')
    .description(
      "look for every document's encrypted blob in the blob store (without reading it); exit 1 when any is missing",
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const result = await verifyDocumentBlobs(ctx.deps);
        print(json, { ok: result.missingCount === 0, store: ctx.blobBackend.location, ...result }, () =>
          [
            `${result.blobs} blobs of ${result.documents} documents looked for in ${ctx.blobBackend.location}` +
              ` (and the database): ${result.missingCount === 0 ? 'all there' : `${result.missingCount} MISSING`}`,
            ...result.missing.map(
              (m) =>
                `  missing ${m.blobKey}: ${m.documents
                  .map((d) =>
                    d.letterId ? `document ${d.documentId} of letter ${d.letterId}` : `batch document ${d.documentId}`,
                  )
                  .join(', ')}`,
            ),
          ].join('\n'),
        );
        if (result.missingCount > 0) process.exitCode = 1;
      });
    });
  blobs
    .command('copy')
    .description(
      'copy the encrypted documents of a blob directory into the blob store configured now (POSTKASSE_BLOB_STORE); ' +
        'it copies only what the store lacks, so run it while serving, then with --all-processes-stopped after ' +
        "stopping, which finishes and marks the store as this installation's",
    )
    .requiredOption('--from <directory>', 'the blob directory used so far, e.g. ./data/blobs')
    .option(
      '--all-processes-stopped',
      "the final run, with every process stopped: it marks the store as the installation's",
    )
    .option('--json', 'print JSON')
    .action(async (opts: { from: string; allProcessesStopped?: boolean; json?: boolean }) => {
      const json = Boolean(opts.json);
      const bar = progressBar(json, 'copy |{bar}| {value}/{total} blobs');
      try {
        const result = await copyBlobs(loadConfig(), opts.from, { final: opts.allProcessesStopped }, bar.report);
        bar.stop();
        print(
          json,
          result,
          () =>
            `copied ${result.copied} of ${result.found} blobs (${(result.bytes / 1048576).toFixed(1)} MiB) from ` +
            `${result.from} to ${result.to}; ${result.present} were there already` +
            (result.replaced ? `, ${result.replaced} copied again (they had changed)` : '') +
            (result.vanished ? `, ${result.vanished} gone meanwhile` : '') +
            (result.marked
              ? ". The store is marked as this installation's: start the processes with it."
              : '. Stop every process, then run this again with --all-processes-stopped to finish.'),
        );
      } catch (error) {
        bar.stop();
        fail(error, json);
      }
    });

  admin
    .command('token')
    .description('print an access token from the embedded test issuer (development and tests only)')
    .requiredOption('--id <nationalId>', 'the person (pid claim)')
    .option('--acr <acr>', `${acrValues.substantial} or ${acrValues.high}`, acrValues.high)
    .option('--ttl <seconds>', 'lifetime in seconds', '3600')
    .option('--json', 'print JSON')
    .action(async (opts: { id: string; acr: string; ttl: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        if (!ctx.testIssuer) {
          throw new AppError(
            'forbidden',
            'The embedded test issuer is off (POSTKASSE_TEST_IDP); tokens come from your identity provider',
          );
        }
        if (!parseNationalId(opts.id)) {
          throw new AppError('validation_failed', '--id is not a valid national id (fødselsnummer, D-number or CPR)');
        }
        if (opts.acr !== acrValues.substantial && opts.acr !== acrValues.high) {
          throw new AppError('validation_failed', `--acr is ${acrValues.substantial} or ${acrValues.high}`);
        }
        const ttl = Number(opts.ttl);
        if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400)
          throw new AppError('validation_failed', '--ttl is 1 to 86400');
        const token = await ctx.testIssuer.sign({ pid: opts.id, acr: opts.acr }, ttl);
        print(json, { accessToken: token, tokenType: 'Bearer', expiresIn: ttl }, () => token);
      });
    });
}
