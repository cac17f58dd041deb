export { type BlobBackend, BlobStoreUnavailable } from './blob-backend.js';
export { type DatabaseBlobStoreOptions, databaseBlobStore } from './database-blob-store.js';
export { openFsBlobStore } from './fs-blob-store.js';
export { migrateToLatest } from './migrate.js';
export { openPostgresStore } from './postgres-store.js';
export { openS3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export type { Database, Dialect } from './schema/index.js';
export {
  describeSqliteSnapshot,
  openSqliteSnapshot,
  type SqliteSnapshotFacts,
  snapshotSqliteDatabase,
  sqliteInstallationId,
} from './sqlite-backup.js';
export { openSqliteStore } from './sqlite-store.js';
