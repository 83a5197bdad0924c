/**
 * The chocolatey feed view: the NuGet v2 OData API that `choco` and `nuget` speak, over package
 * versions stored as OCI artifacts. See router.ts for the endpoints and docs/feeds/chocolatey.md
 * for client configuration.
 */
import type { FeedView } from '../types.js';
import { createChocolateyRouter, type ChocolateyRouterOptions } from './router.js';

export { createChocolateyRouter, storeNupkg, type ChocolateyRouterOptions } from './router.js';
export { inspectNupkg, parseNuspec, CHOCOLATEY_ARTIFACT_TYPE, CHOCOLATEY_CONFIG_MEDIA_TYPE, NUPKG_MEDIA_TYPE, type NupkgMeta } from './nuspec.js';
export { inspectZip, isSafeEntryName, type ZipEntry, type ZipLimits } from './zip.js';
export { compileFilter, compileOrderBy } from './filter.js';
export { isValidPackageId, normalize as normalizeNuGetVersion, parseVersion as parseNuGetVersion, compareVersions as compareNuGetVersions } from './version.js';

/** A chocolatey FeedView (mount `api/v2`) with options (size cap, zip limits). */
export function createChocolateyFeedView(options: ChocolateyRouterOptions = {}): FeedView {
  return { type: 'chocolatey', mount: 'api/v2', createRouter: (deps) => createChocolateyRouter(deps, options) };
}

/** The chocolatey FeedView with defaults. */
export const chocolateyFeedView: FeedView = createChocolateyFeedView();
