export { buildApp } from './app.js';
export { type Config, loadConfig } from './config.js';
export { type AppContext, createContext } from './context.js';
export { checkPublicJwk } from './routes/access.js';
export { type RunningServer, startServer } from './start.js';
