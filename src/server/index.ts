/** The server's public face: createServer, auth for the feed views and the site controller. */
export { createServer, DEFAULT_MAX_MANIFEST_BYTES, type ServerDeps } from './create-server.js';
export {
  AuthErrorCode,
  createAuthHolder,
  createAuthorizer,
  parseIncomingFile,
  readIncomingFile,
  type AuthConfig,
  type AuthHolder,
  type AuthSource,
  type Authorizer,
  type IncomingFile,
  type IncomingRule,
} from './auth/index.js';
export { ServerErrorCode, httpMapping } from './errors.js';
export { CHANGES_DEFAULT_LIMIT, CHANGES_MAX_LIMIT } from './api/router.js';
