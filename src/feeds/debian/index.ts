/**
 * The debian feed type: .deb upload, parsing and policy checks, and an APT repository view
 * signed with the site's OpenPGP key (see router.ts for the URL layout, docs/feeds/debian.md
 * for client configuration).
 */
import type { FeedView } from '../types.js';
import { createDebianRouter, type DebianViewOptions } from './router.js';

export { createDebianRouter, storeDeb, type DebFile, type DebianViewOptions } from './router.js';
export { parseDeb, type ParsedDeb } from './deb.js';
export { parseControl, controlField, isValidPackageName, isValidVersion, type ControlFields } from './control.js';
export { renderStanza, poolDirectory, debFileName } from './stanza.js';
export { PackagesFile } from './packages-file.js';
export { DebianMediaType, DEFAULT_DIST, DIST_PATTERN, debianTagSource, type DebianMetadata } from './metadata.js';

/** The debian FeedView, mounted at `/feeds/<feed>/debian`. */
export function createDebianFeedView(options: DebianViewOptions = {}): FeedView {
  return { type: 'debian', mount: 'debian', createRouter: (deps) => createDebianRouter(deps, options) };
}

export const debianFeedView: FeedView = createDebianFeedView();
