/**
 * Live changes: one EventSource per open mailbox view (the server's /changes stream). Changes that
 * come together are read once: the list (back to its first pages, so a long scrolled list is not
 * read again page by page), the folder counts, the open letter. After a lost connection the views
 * are read again; a stream refused for good (the session ended) sends the person to the login.
 * `end` means access ended: the mailbox list is read again and the view decides.
 */
import { changesUrl, type LetterPage } from '@postkasse/sdk/recipient';
import { type InfiniteData, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { client } from '../api.js';

export type Change = {
  kind: 'letter.arrived' | 'letter.changed' | 'folders.changed' | 'access.changed';
  letterId?: string;
};

/** How many pages of a list a live change reads again; rows further down load as the person scrolls. */
const KEEP_PAGES = 3;

export function useLiveChanges(mailboxId: string | undefined, handlers: { onArrived?: (count: number) => void }): void {
  const queryClient = useQueryClient();
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  useEffect(() => {
    if (!mailboxId || typeof EventSource === 'undefined') return;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let pending: { kinds: Set<string>; arrived: number } | null = null;
    let opened = false;
    let closed = false;

    const refresh = (kinds: Set<string>) => {
      const lists = { queryKey: ['letters', mailboxId] };
      if (kinds.has('letter') || kinds.has('all')) {
        queryClient.setQueriesData<InfiniteData<LetterPage, string>>(lists, (data) =>
          data && data.pages.length > KEEP_PAGES
            ? { pages: data.pages.slice(0, KEEP_PAGES), pageParams: data.pageParams.slice(0, KEEP_PAGES) }
            : data,
        );
        void queryClient.invalidateQueries(lists, { cancelRefetch: false });
        void queryClient.invalidateQueries({ queryKey: ['letter', mailboxId] }, { cancelRefetch: false });
      }
      void queryClient.invalidateQueries({ queryKey: ['folders', mailboxId] }, { cancelRefetch: false });
      if (kinds.has('access.changed') || kinds.has('all'))
        void queryClient.invalidateQueries({ queryKey: ['mailboxes'] });
    };
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = null;
      if (!batch) return;
      refresh(batch.kinds);
      if (batch.arrived > 0) handlersRef.current.onArrived?.(batch.arrived);
    };

    const connect = () => {
      source = new EventSource(changesUrl(client, mailboxId));
      source.addEventListener('open', () => {
        // A reconnection: whatever changed meanwhile was not streamed; read everything again.
        if (opened) refresh(new Set(['all']));
        opened = true;
      });
      source.addEventListener('change', (event) => {
        let change: Change;
        try {
          change = JSON.parse((event as MessageEvent<string>).data) as Change;
        } catch {
          return;
        }
        pending ??= { kinds: new Set(), arrived: 0 };
        pending.kinds.add(change.kind);
        if (change.kind.startsWith('letter.')) pending.kinds.add('letter');
        if (change.kind === 'letter.arrived') pending.arrived++;
        timer ??= setTimeout(flush, 50);
      });
      source.addEventListener('end', () => {
        source?.close();
        void queryClient.invalidateQueries({ queryKey: ['mailboxes'] });
      });
      source.addEventListener('error', () => {
        // The browser reconnects by itself unless the server refused the stream (401, 404 …).
        if (closed || source?.readyState !== EventSource.CLOSED) return;
        void queryClient.invalidateQueries({ queryKey: ['session'] });
        retry = setTimeout(connect, 5000);
      });
    };
    connect();

    return () => {
      closed = true;
      source?.close();
      clearTimeout(timer);
      clearTimeout(retry);
    };
  }, [mailboxId, queryClient]);
}
