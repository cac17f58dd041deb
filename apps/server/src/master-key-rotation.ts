/**
 * `postkasse admin master-key rotate`: a new master key for the installation, with every process
 * stopped. Each mailbox key is wrapped again under the new key (in units of 500, in id order), the
 * platform keyholder's key is sealed under it, and the installation's check value is switched last,
 * in the same unit as the platform key. Letters, documents and their content keys are not touched:
 * they are sealed under mailbox keys and the platform key, which stay the same.
 *
 * Cut short, nothing starts: the first mailbox (the one start-up tries) is wrapped under the new key
 * first while the check value still names the old one, so neither key passes start-up until the
 * command, run again, finishes what is left (it skips what the new key opens already).
 *
 * With a key file the new key is written beside it first (`master.key.next`, durably) and takes
 * its place at the end; the old one is kept as `master.key.retired-<time>` for the backups made
 * under it. With POSTKASSE_MASTER_KEY the new key comes from `--new-key-file` and the operator
 * sets the variable to it afterwards. Web sessions end (their cookies are signed with a key derived
 * from the master key): everyone logs in again.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, stat } from 'node:fs/promises';
import { AppError, type Store } from '@postkasse/core';
import {
  decodeKey,
  envKeyProvider,
  fileKeyProvider,
  type KeyProvider,
  masterKeyRotation,
  syncDirectory,
  writeKeyFile,
} from '@postkasse/crypto';
import type { Config } from './config.js';
import { openConfiguredStore } from './context.js';
import { masterKeyCheck } from './installation.js';

export type MasterKeyRotation = {
  mailboxes: number;
  /** Wrapped again now; the others the new key opened already (a rotation run again). */
  rewrapped: number;
  /** Where the new key is: the key file, or the file given for POSTKASSE_MASTER_KEY. */
  keyFile: string;
  /** The old key file, kept for the backups made under it (null with POSTKASSE_MASTER_KEY). */
  retiredKeyFile: string | null;
};

const PAGE = 500;

async function readKey(path: string): Promise<Uint8Array> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new AppError('invalid_operation', `${path} is not a key file`);
  if ((info.mode & 0o077) !== 0) {
    throw new AppError(
      'invalid_operation',
      `${path} is readable by others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  try {
    // The same forms the key file and POSTKASSE_MASTER_KEY take (base64 or hex, 32 bytes).
    return decodeKey(await readFile(path, 'utf8'), path);
  } catch (error) {
    throw new AppError('invalid_operation', (error as Error).message);
  }
}

export async function rotateMasterKey(
  config: Config,
  options: { newKeyFile?: string; now?: Date; onProgress?: (mailboxes: number) => void } = {},
): Promise<MasterKeyRotation> {
  const fromEnv = config.masterKey !== null;
  if (fromEnv && !options.newKeyFile) {
    throw new AppError(
      'invalid_operation',
      'The master key comes from POSTKASSE_MASTER_KEY: give the new one with --new-key-file <file> (32 random bytes, base64)',
    );
  }
  // Never made here: a key file missing (a keys mount not mounted) is refused, not replaced.
  if (!fromEnv && !(await stat(config.masterKeyFile).catch(() => null))) {
    throw new AppError(
      'invalid_operation',
      `No master key at ${config.masterKeyFile}: rotate with the key the data runs on`,
    );
  }
  const oldKeys: KeyProvider = config.masterKey
    ? envKeyProvider(config.masterKey)
    : fileKeyProvider(config.masterKeyFile);
  const nextFile = fromEnv ? (options.newKeyFile as string) : `${config.masterKeyFile}.next`;
  let store: Store | null = null;
  try {
    store = await openConfiguredStore(config);
    const installation = await store.read.installation.get();
    if (!installation)
      throw new AppError('invalid_operation', 'This database is not set up yet: start the server once');
    const oldKey = await oldKeys.masterKey();
    // The new key: the one a rotation cut short left (the operator's must be the same), the
    // operator's, or a new one. Everything is checked before anything is written.
    const pending = (await stat(nextFile).catch(() => null)) ? await readKey(nextFile) : null;
    const given = options.newKeyFile ? await readKey(options.newKeyFile) : null;
    if (pending && given && !Buffer.from(pending).equals(Buffer.from(given))) {
      throw new AppError(
        'invalid_operation',
        `A rotation to the key in ${nextFile} was begun: finish it with that key, not the one in ${options.newKeyFile}`,
      );
    }
    const newKey = pending ?? given ?? randomBytes(32);
    if (Buffer.from(newKey).equals(Buffer.from(oldKey))) {
      throw new AppError('invalid_operation', 'The new master key is the one in use');
    }
    const finished = installation.masterKeyCheck === masterKeyCheck(newKey);
    if (!finished && installation.masterKeyCheck !== masterKeyCheck(oldKey)) {
      throw new AppError(
        'invalid_operation',
        `The master key (${oldKeys.describe()}) is not this installation's: rotate with the key it runs on`,
      );
    }
    let mailboxes = 0;
    let rewrapped = 0;
    if (!finished) {
      const rotation = masterKeyRotation(
        oldKey,
        newKey,
        installation.platformKey ? Buffer.from(installation.platformKey, 'base64') : null,
      );
      const db = store;
      /** Each mailbox of a page with its key wrapped anew (none when the new key opens it already). */
      const rewrapPage = (page: Array<{ id: string; wrappedKey: Uint8Array }>) =>
        page.flatMap((m) => {
          let wrapped: Uint8Array | null;
          try {
            wrapped = rotation.rewrapMailboxKey(m.id, m.wrappedKey);
          } catch {
            throw new AppError(
              'invalid_operation',
              `The key of mailbox ${m.id} opens with neither the old nor the new master key: nothing more was changed`,
            );
          }
          return wrapped ? [{ id: m.id, wrapped }] : [];
        });
      // A read-only pass first: every mailbox key and the platform key open, or nothing is written.
      rotation.sealedPlatformKey();
      for (let after: string | null = null; ; ) {
        const page = await db.read.mailboxes.keyPage(after, PAGE);
        if (page.length === 0) break;
        rewrapPage(page);
        after = page[page.length - 1]?.id ?? null;
      }
      if (!pending) await writeKeyFile(nextFile, `${Buffer.from(newKey).toString('base64')}\n`, { exclusive: true });
      for (let after: string | null = null; ; ) {
        const page = await db.read.mailboxes.keyPage(after, PAGE);
        if (page.length === 0) break;
        const changes = rewrapPage(page);
        await db.write(async (repos) => {
          for (const c of changes) await repos.mailboxes.setWrappedKey(c.id, c.wrapped);
        });
        mailboxes += page.length;
        rewrapped += changes.length;
        options.onProgress?.(mailboxes);
        after = page[page.length - 1]?.id ?? null;
      }
      const sealed = Buffer.from(rotation.sealedPlatformKey()).toString('base64');
      await db.write((repos) => repos.installation.setMasterKey(masterKeyCheck(newKey), sealed));
    }
    if (fromEnv) return { mailboxes, rewrapped, keyFile: nextFile, retiredKeyFile: null };
    // The key file last: the old one kept beside it, the new one in its place.
    const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, '-');
    const retired = `${config.masterKeyFile}.retired-${stamp}`;
    // A second name for the old file, then the new one renamed over it: there is no moment
    // without a key file (a process would otherwise make a new key there).
    await link(config.masterKeyFile, retired);
    await rename(nextFile, config.masterKeyFile);
    await syncDirectory(config.masterKeyFile);
    return { mailboxes, rewrapped, keyFile: config.masterKeyFile, retiredKeyFile: retired };
  } finally {
    await store?.close();
  }
}
