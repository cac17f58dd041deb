import type { ListQuery } from '@postkasse/sdk/recipient';

/** The list's URL parameters: ?folder=inbox|archive|trash|<id>&q=&sender=&from=&to=&unread=1 */
export type ListParams = { folder: string; q: string; sender: string; from: string; to: string; unread: boolean };

export function readParams(search: string): ListParams {
  const p = new URLSearchParams(search);
  return {
    folder: p.get('folder') || 'inbox',
    q: p.get('q') ?? '',
    sender: p.get('sender') ?? '',
    from: p.get('from') ?? '',
    to: p.get('to') ?? '',
    unread: p.get('unread') === '1',
  };
}

export const isSearch = (p: ListParams) => Boolean(p.q || p.sender || p.from || p.to || p.unread);

export function writeParams(p: Partial<ListParams>): string {
  const out = new URLSearchParams();
  if (p.folder && p.folder !== 'inbox') out.set('folder', p.folder);
  if (p.q) out.set('q', p.q);
  if (p.sender) out.set('sender', p.sender);
  if (p.from) out.set('from', p.from);
  if (p.to) out.set('to', p.to);
  if (p.unread) out.set('unread', '1');
  const text = out.toString();
  return text ? `?${text}` : '';
}

/** The API query: a search looks in every folder but the trash. */
export function apiQuery(p: ListParams): ListQuery {
  // inbox, archive, trash or a folder id: the API takes each as it is, so the list need not wait
  // for the folder list.
  if (!isSearch(p)) return { folder: p.folder };
  return {
    ...(p.q ? { q: p.q } : {}),
    ...(p.sender ? { sender: p.sender } : {}),
    ...(p.from ? { from: p.from } : {}),
    ...(p.to ? { to: p.to } : {}),
    ...(p.unread ? { unread: true } : {}),
  };
}
