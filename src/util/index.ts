/** Shared helpers with no dependency on any ferry domain. */
export { sanitizeUrl } from './sanitize-url.js';
