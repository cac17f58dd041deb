export * from './envelope.js';
export { replaceKeyFile, syncDirectory, writeKeyFile } from './key-file.js';
export * from './master-key.js';
export * from './platform-key.js';
export { secureRandomBytes } from './random-pool.js';
export * from './test-issuer.js';
export * from './vault.js';
