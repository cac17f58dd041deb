import { createFolder, deleteFolder, listFolders, renameFolder } from '@postkasse/sdk/recipient';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client } from '../api.js';
import { sortFolders } from './capabilities.js';

export function useFolders(mailboxId: string) {
  return useQuery({
    queryKey: ['folders', mailboxId],
    queryFn: async () => sortFolders(await listFolders(client, mailboxId)),
  });
}

/** Create, rename and delete folders; the lists and counts are read again afterwards. */
export function useFolderMutations(mailboxId: string) {
  const queryClient = useQueryClient();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['folders', mailboxId] });
    void queryClient.invalidateQueries({ queryKey: ['letters', mailboxId] });
  };
  return {
    create: useMutation({ mutationFn: (name: string) => createFolder(client, mailboxId, name), onSuccess: refresh }),
    rename: useMutation({
      mutationFn: ({ folderId, name }: { folderId: string; name: string }) =>
        renameFolder(client, mailboxId, folderId, name),
      onSuccess: refresh,
    }),
    remove: useMutation({
      mutationFn: (folderId: string) => deleteFolder(client, mailboxId, folderId),
      onSuccess: refresh,
    }),
  };
}
