/** An event's place in the chain of all events (migration 017). */
export type EventChainRow = { position: number; event_id: string; prev_hash: string; hash: string };
