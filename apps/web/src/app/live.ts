/**
 * Live changes: one EventSource per open mailbox view (the server's /changes stream). Each change
 * makes the views that show it read again through the API; an arrival is announced; the end of
 * access (a revoked grant) sends the person back to their own mailbox with a notice.
 */
import { changesUrl } from '@postkasse/sdk/recipient';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { client } from '../api.js';

export type Change = {
  kind: 'letter.arrived' | 'letter.changed' | 'folders.changed' | 'access.changed';
  letterId?: string;
};

export function useLiveChanges(
  mailboxId: string | undefined,
  handlers: { onArrived?: () => void; onEnded?: () => void },
): void {
  const queryClient = useQueryClient();
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  useEffect(() => {
    if (!mailboxId || typeof EventSource === 'undefined') return;
    const source = new EventSource(changesUrl(client, mailboxId));
    let pending: Set<string> | null = null;
    // Changes that come together (a burst of arrivals) are read once.
    const flush = () => {
      const kinds = pending ?? new Set<string>();
      pending = null;
      void queryClient.invalidateQueries({ queryKey: ['letters', mailboxId] });
      void queryClient.invalidateQueries({ queryKey: ['folders', mailboxId] });
      if (kinds.has('letter')) void queryClient.invalidateQueries({ queryKey: ['letter', mailboxId] });
      if (kinds.has('access.changed')) void queryClient.invalidateQueries({ queryKey: ['mailboxes'] });
      if (kinds.has('letter.arrived')) handlersRef.current.onArrived?.();
    };
    source.addEventListener('change', (event) => {
      let change: Change;
      try {
        change = JSON.parse((event as MessageEvent<string>).data) as Change;
      } catch {
        return;
      }
      if (!pending) {
        pending = new Set();
        setTimeout(flush, 50);
      }
      pending.add(change.kind);
      if (change.kind.startsWith('letter.')) pending.add('letter');
    });
    source.addEventListener('end', () => {
      source.close();
      void queryClient.invalidateQueries({ queryKey: ['mailboxes'] });
      handlersRef.current.onEnded?.();
    });
    return () => source.close();
  }, [mailboxId, queryClient]);
}
