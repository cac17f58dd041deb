/**
 * The web inbox's pages (apps/web, served at these paths): what notifications link to and where a
 * step-up login returns. One definition, so a link can never point at a page that is not there.
 */
export const webPaths = {
  mailbox: (mailboxId: string) => `/inbox/${mailboxId}`,
  letter: (mailboxId: string, letterId: string) => `/inbox/${mailboxId}/${letterId}`,
} as const;
