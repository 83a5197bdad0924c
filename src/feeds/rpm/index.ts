/**
 * The rpm feed view (DNF/YUM): `.rpm` upload, createrepo_c-compatible repodata rendered
 * incrementally from the change log, packages streamed from the store, optional signed repomd.
 * See router.ts for the endpoints and docs/feeds/rpm.md for client configuration.
 */
import type { FeedView } from '../types.js';
import { createRpmRouter, type RpmRouterOptions } from './router.js';

export { createRpmRouter, storeRpm, type RpmRouterOptions } from './router.js';
export {
  inspectRpm,
  rpmVersionKey,
  RPM_ARTIFACT_TYPE,
  RPM_CONFIG_MEDIA_TYPE,
  RPM_FILE_MEDIA_TYPE,
  type RpmPackageMeta,
  type RpmDependency,
  type RpmFileEntry,
} from './metadata.js';
export { renderPackage, renderRepomd, buildRepodataFile } from './repodata.js';
export { readRpmHeaders } from './header.js';

/** An rpm FeedView (mount `rpm`) with options (signing key file, size cap). */
export function createRpmFeedView(options: RpmRouterOptions = {}): FeedView {
  return { type: 'rpm', mount: 'rpm', createRouter: (deps) => createRpmRouter(deps, options) };
}

/** The rpm FeedView with defaults: repomd.xml signed with the site's (generated) key. */
export const rpmFeedView: FeedView = createRpmFeedView();
