/**
 * A stored document's bytes, read from the blob store and decrypted. A document whose ciphertext
 * is gone from the store, or fails its authentication (changed or truncated at rest), is
 * `content_unavailable`: a fault of the platform's storage that asking again does not mend, and
 * that the operator must see (it is logged as an error with its cause), not a retryable 500.
 */
import { AppError } from './errors.js';
import type { Deps, Keyholder, StoredDocument } from './ports.js';

export async function documentContent(
  deps: Pick<Deps, 'blobs' | 'vault'>,
  keyholder: Keyholder,
  document: Pick<StoredDocument, 'id' | 'blobKey' | 'contentId' | 'wrappedKey'>,
): Promise<Uint8Array> {
  let ciphertext: Uint8Array;
  try {
    ciphertext = await deps.blobs.get(document.blobKey);
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'ENOENT') throw error;
    throw new AppError('content_unavailable', `The content of document ${document.id} is missing from storage`, {
      cause: error,
    });
  }
  try {
    return await deps.vault.open(keyholder, document.contentId, document.wrappedKey, ciphertext);
  } catch (error) {
    throw new AppError('content_unavailable', `The content of document ${document.id} fails its integrity check`, {
      cause: error,
    });
  }
}
