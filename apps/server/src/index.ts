// The operator rotates the key the server signs with (`postkasse admin signing-key rotate`).
export { rotatePlatformKey } from '@postkasse/crypto';
export { type AnchorCheck, checkAnchor, makeAnchor, type SignedAnchor } from './anchors.js';
export { buildApp } from './app.js';
export { type BackupResult, backupInstallation } from './backup.js';
export { type BlobCopyResult, copyBlobs } from './blob-copy.js';
export { type Config, loadConfig } from './config.js';
export { type AppContext, type ContextOverrides, createContext } from './context.js';
export { type MasterKeyRotation, rotateMasterKey } from './master-key-rotation.js';
export { spoolPrintProvider } from './print-spool.js';
export { signReceipt } from './receipts.js';
export { checkPublicJwk } from './routes/access.js';
export { type RunningServer, startServer } from './start.js';
