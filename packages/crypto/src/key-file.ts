/**
 * Key files are written durably: the file's bytes and then its directory entry are synced before
 * the key is used. A power cut just after a key was made must not leave an empty or missing file
 * beside data written under that key (which would then be unreadable for good).
 */
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Syncs the directory that holds `path`, so a file created or renamed there survives a power cut. */
export async function syncDirectory(path: string): Promise<void> {
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Writes a new key file (mode 0600); `exclusive` fails with EEXIST when another process made it first. */
export async function writeKeyFile(path: string, text: string, options: { exclusive: boolean }): Promise<void> {
  const file = await open(path, options.exclusive ? 'wx' : 'w', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await syncDirectory(path);
}

/** Replaces a key file whole: a synced copy renamed over it, so a reader sees the old or the new. */
export async function replaceKeyFile(path: string, text: string): Promise<void> {
  await writeKeyFile(`${path}.tmp`, text, { exclusive: false });
  await rename(`${path}.tmp`, path);
  await syncDirectory(path);
}
