/**
 * What ties the parts of one installation together: its database, the master key, the signing
 * key and the blob store. Every process checks them against each other before it writes
 * anything, so that a wrong `DATABASE_URL` or data dir, a second process started with keys of its
 * own, or a keys directory restored from another time is refused in one line instead of
 * splitting the data between keys or sweeping another installation's documents as orphans.
 *
 * - The database keeps an HMAC of a fixed text under the master key (the first process to start
 *   writes it): a process with another master key is refused, even before any mailbox exists.
 * - The blob store keeps the installation's id in `.installation` (a file, or an S3 object): a blob store of another
 *   installation is refused, and so is one holding documents of which this database knows none.
 * - The database keeps the signing key's id it last used: a key file that is neither it nor its
 *   successor (`admin signing-key rotate` records the new one) is refused.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { BlobStore, Installation, Store } from '@postkasse/core';
import type { PlatformKey } from '@postkasse/crypto';
import type { BlobBackend } from '@postkasse/storage';

export const masterKeyCheck = (masterKey: Uint8Array) =>
  createHmac('sha256', masterKey).update('postkasse:installation-check').digest('hex');

/** Refuses the start; the caller closes what it opened. */
function refuse(why: string): never {
  throw new Error(`${why}. Nothing was changed.`);
}

/** A few blob keys of the store, if it holds any. */
async function someBlobKeys(files: BlobStore, count: number): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of files.listOlderThan(new Date(Date.now() + 86_400_000))) {
    keys.push(key);
    if (keys.length === count) break;
  }
  return keys;
}

/** How many of these blobs the store holds. */
async function countHeld(files: BlobStore, keys: string[]): Promise<number> {
  const held = await Promise.all(keys.map((key) => files.has(key)));
  return held.filter(Boolean).length;
}

/**
 * The installation this database is, made on its first start; refused when the master key or the
 * blob store belong to another one.
 */
export async function bindInstallation(
  store: Store,
  parts: { masterKey: Uint8Array; keySource: string; files: BlobBackend; now: string },
): Promise<Installation> {
  const check = masterKeyCheck(parts.masterKey);
  await store.write((repos) =>
    repos.installation.createIfAbsent({
      id: randomUUID(),
      masterKeyCheck: check,
      signingKid: null,
      createdAt: parts.now,
      platformKey: null,
    }),
  );
  const installation = await store.read.installation.get();
  if (!installation) return refuse('The installation record could not be read back');
  if (installation.masterKeyCheck !== check) {
    refuse(
      `The master key (${parts.keySource}) is not the one this database (installation ${installation.id}) was set ` +
        'up with: every process of an installation needs the same master key (the same keys directory or ' +
        'POSTKASSE_MASTER_KEY)',
    );
  }
  const marker = await parts.files.readMarker();
  if (marker !== null && marker !== installation.id) {
    refuse(
      `The blob store at ${parts.files.location} belongs to installation ${marker}, but this database is installation ` +
        `${installation.id}: is DATABASE_URL (or POSTKASSE_DATA_DIR) the right one?`,
    );
  }
  if (marker === null) {
    // A store without the mark holds nothing, or the documents of a database from before it was
    // kept: some of them are then this database's. One whose documents this database does not
    // know at all belongs elsewhere, and its blobs must not be swept as orphans here.
    const sample = await someBlobKeys(parts.files, 50);
    if (sample.length > 0 && (await store.read.documents.referencedBlobKeys(sample)).size === 0) {
      refuse(
        `The blob store at ${parts.files.location} holds documents of which this database knows none: is DATABASE_URL ` +
          '(or POSTKASSE_DATA_DIR) the right one?',
      );
    }
    // The other way round: a database whose documents are not in the store (a blob store just
    // configured, with the documents still in the old one, or copied while letters still came)
    // would start and show those letters as unavailable, and a store that is not the
    // installation's must not be marked as its own. The newest documents are the ones a copy
    // made while serving would lack.
    const expected = await store.read.documents.newestOutsideBlobKeys(5);
    const held = await countHeld(parts.files, expected);
    if (held < expected.length) {
      refuse(
        `The blob store at ${parts.files.location} holds ${held === 0 ? 'none' : `only ${held}`} of the newest ` +
          `${expected.length} of this database's documents: copy them there first (postkasse admin blobs copy ` +
          '--from <the blob directory used so far> --all-processes-stopped), or point POSTKASSE_BLOB_STORE (or ' +
          'POSTKASSE_DATA_DIR) back at them',
      );
    }
    await parts.files.writeMarker(installation.id);
  }
  return installation;
}

/**
 * Refuses a signing key that is not the one this installation last used, nor its successor: a
 * keys directory from another installation, or restored from before a rotation (the receipts
 * signed since would no longer verify). The first key an installation uses is recorded.
 */
export async function bindSigningKey(store: Store, installation: Installation, key: PlatformKey, keyFile: string) {
  const known = installation.signingKid;
  if (known === key.kid) return;
  const successor = known !== null && key.retiredJwks.some((k) => k.kid === known);
  if (known !== null && !successor) {
    refuse(
      `The signing key at ${keyFile} (${key.kid}) is not the one this installation last signed with (${known}) ` +
        'nor a later one: restore the keys directory that goes with this database',
    );
  }
  await store.write((repos) => repos.installation.setSigningKid(key.kid));
}
