import { backupInstallation, loadConfig } from '@postkasse/server';
import type { Command } from 'commander';
import { fail, print, progressBar } from '../output.js';

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/** `postkasse admin backup --to <dir>`: the embedded database and the blobs, while serving. */
export function backupCommand(admin: Command): void {
  admin
    .command('backup')
    .description(
      'back up the SQLite database (one consistent snapshot, taken while serving) and every blob into a new ' +
        'directory laid out as a data dir without keys/ (back up keys/ apart); says whether every document is in it',
    )
    .requiredOption('--to <directory>', 'a new or empty directory outside the data dir')
    .option('--json', 'print JSON')
    .action(async (opts: { to: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      const bar = progressBar(json, 'blobs |{bar}| {value}/{total}');
      try {
        const result = await backupInstallation(loadConfig(), opts.to, bar.report);
        bar.stop();
        print(json, result, () =>
          [
            `backup of installation ${result.installation} as of ${result.at} in ${result.to} (${result.seconds.toFixed(1)} s)`,
            `database: ${result.database.letters} letters, ${result.database.documents} documents, ${mib(result.database.bytes)}`,
            `blobs: ${result.blobs.found} from ${result.blobs.from} (${result.blobs.copied} copied, ${mib(result.blobs.bytes)})` +
              (result.blobs.vanished ? `, ${result.blobs.vanished} gone meanwhile` : ''),
            result.missing.count === 0
              ? 'every document of the snapshot is in the backup. Back up keys/ apart; to restore, see README: Backups.'
              : `${result.missing.count} documents of the snapshot have no blob in the backup (letters: ${result.missing.letters.join(', ')})`,
          ].join('\n'),
        );
        if (result.missing.count > 0) process.exitCode = 1;
      } catch (error) {
        bar.stop();
        fail(error, json);
      }
    });
}
