export const blobContentsTable = 'blob_contents';
/** Small blobs (sealed document bytes) kept in the database; larger ones are files. */
export type BlobContentRow = {
  key: string;
  data: Buffer;
  created_at: string;
};
