import {
  AppError,
  type NotificationLanguage,
  type NotifiedLetter,
  notificationLanguages,
  renderEmail,
  renderSms,
} from '@postkasse/core';
import type { Command } from 'commander';
import { fail, print } from '../output.js';

/** Commands for developers of Postkasse itself. */
export function devCommands(program: Command): void {
  const dev = program.command('dev').description('tools for developing Postkasse');
  dev
    .command('notifications')
    .description('notification templates')
    .command('preview')
    .description('print the e-mail and SMS a citizen would get, without sending anything')
    .option('--language <language>', `one of ${notificationLanguages.join(', ')}`, 'nb')
    .option('--letters <n>', 'how many letters the notification tells of', '1')
    .option('--sender <name>', "the sender's name", 'Skatteetaten')
    .option('--title <title>', "the letter's non-sensitive title", 'Skattemelding for 2026')
    .option('--sensitive', 'the letter is sensitive: the sender is not named')
    .option('--legal', 'the letter is a legal notification')
    .option('--reminder', 'a repetition for an unopened letter')
    .option('--email-text <text>', "the sender's own opening line (e-mail)")
    .option('--sms-text <text>', "the sender's own SMS text")
    .option('--html', 'print the HTML version of the e-mail too')
    .option('--json', 'print JSON')
    .action(
      (opts: {
        language: string;
        letters: string;
        sender: string;
        title: string;
        sensitive?: boolean;
        legal?: boolean;
        reminder?: boolean;
        emailText?: string;
        smsText?: string;
        html?: boolean;
        json?: boolean;
      }) => {
        const json = Boolean(opts.json);
        try {
          if (!(notificationLanguages as readonly string[]).includes(opts.language)) {
            throw new AppError('validation_failed', `--language is one of ${notificationLanguages.join(', ')}`);
          }
          const count = Number(opts.letters);
          if (!Number.isInteger(count) || count < 1 || count > 1000) {
            throw new AppError('validation_failed', '--letters is a whole number from 1 to 1000');
          }
          const base = 'https://postkasse.example';
          const letters: NotifiedLetter[] = Array.from({ length: count }, (_, i) => ({
            senderName: opts.sensitive ? null : opts.sender,
            nonSensitiveTitle: count === 1 ? opts.title : `${opts.title} (${i + 1})`,
            link: `${base}/inbox/00000000-0000-4000-8000-000000000000/00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
            legalNotification: Boolean(opts.legal),
            reminder: Boolean(opts.reminder),
          }));
          const language = opts.language as NotificationLanguage;
          const inboxLink = `${base}/inbox/00000000-0000-4000-8000-000000000000`;
          const email = renderEmail(language, letters, { overrideText: opts.emailText, inboxLink });
          const sms = renderSms(language, letters, { overrideText: opts.smsText, inboxLink });
          print(json, { email, sms }, () =>
            [
              '--- e-mail ---',
              `Subject: ${email.subject}`,
              '',
              email.text,
              ...(opts.html ? ['', '--- e-mail (HTML) ---', email.html] : []),
              '',
              `--- SMS (${sms.text.length} characters) ---`,
              sms.text,
            ].join('\n'),
          );
        } catch (error) {
          fail(error, json);
        }
      },
    );
}
