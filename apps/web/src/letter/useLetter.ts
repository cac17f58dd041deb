import {
  changeLetter,
  getLetter,
  type Letter,
  type LetterChange,
  restoreLetter,
  trashLetter,
} from '@postkasse/sdk/recipient';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client } from '../api.js';

export function useLetter(mailboxId: string, letterId: string) {
  return useQuery({
    queryKey: ['letter', mailboxId, letterId],
    queryFn: () => getLetter(client, mailboxId, letterId),
  });
}

/** Mark, move, delete and restore; the letter, the lists and the folder counts are read again. */
export function useLetterMutations(mailboxId: string, letterId: string) {
  const queryClient = useQueryClient();
  const refresh = (letter?: Letter) => {
    if (letter) queryClient.setQueryData(['letter', mailboxId, letterId], letter);
    void queryClient.invalidateQueries({ queryKey: ['letter', mailboxId, letterId] });
    void queryClient.invalidateQueries({ queryKey: ['letters', mailboxId] });
    void queryClient.invalidateQueries({ queryKey: ['folders', mailboxId] });
  };
  return {
    change: useMutation({
      mutationFn: (change: LetterChange) => changeLetter(client, mailboxId, letterId, change),
      onSuccess: refresh,
    }),
    trash: useMutation({ mutationFn: () => trashLetter(client, mailboxId, letterId), onSuccess: () => refresh() }),
    restore: useMutation({ mutationFn: () => restoreLetter(client, mailboxId, letterId), onSuccess: refresh }),
  };
}
