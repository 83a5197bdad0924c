/** Shared helpers with no dependency on any ferry domain. */
export { sanitizeUrl } from './sanitize-url.js';
export { generateToken, hashToken, tokenMatches, tokenHint, isWellFormedToken, TOKEN_PREFIX } from './token.js';
export { writeBlobFile, BlobFileErrorCode, type BlobFileOptions } from './blob-file.js';
export { resolveSecret, credentialsFromSecret, type SecretRefLike, type SecretCredentials } from './secret.js';
export { parseDuration, parseBandwidth } from './units.js';
export { freeLoopbackPort } from './free-port.js';
