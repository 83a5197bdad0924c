/**
 * The generic feed type: plain files with versions, Range and ETag, served at
 * `/feeds/<feed>/files/` (see router.ts; docs/feeds/generic.md for clients).
 */
import type { FeedView } from '../types.js';
import { createGenericRouter, type GenericViewOptions } from './router.js';

export { createGenericRouter, type GenericViewOptions } from './router.js';
export { normalisePath, fileRepository, versionTag, tagVersion, MAX_PATH_BYTES, MAX_SEGMENT_BYTES, MAX_SEGMENTS } from './paths.js';
export { FileMediaType, type FileMetadata } from './metadata.js';

/** The generic FeedView, mounted at `/feeds/<feed>/files`. */
export function createGenericFeedView(options: GenericViewOptions = {}): FeedView {
  return { type: 'generic', mount: 'files', createRouter: (deps) => createGenericRouter(deps, options) };
}

export const genericFeedView: FeedView = createGenericFeedView();
