/** Sync-token authentication and feed authorisation of the server. */
export { AuthErrorCode } from './errors.js';
export { createAuthHolder, authGetter, type AuthConfig, type AuthHolder, type AuthSource, type Access, type IncomingRule } from './types.js';
export { createAuthorizer, type Authorizer } from './authorizer.js';
export { presentedToken, type Identity } from './identify.js';
export { readIncomingFile, parseIncomingFile, type IncomingFile } from './incoming-file.js';
