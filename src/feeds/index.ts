/**
 * The feed views' public face: every native view the server mounts at `/feeds/:feed/<mount>`.
 * Feed engineers add their view here (one import and one array entry each).
 */
import type { FeedView } from './types.js';
import { createDebianFeedView, debianFeedView } from './debian/index.js';
import { genericFeedView } from './generic/index.js';
import { createRpmFeedView, rpmFeedView } from './rpm/index.js';
import { chocolateyFeedView } from './chocolatey/index.js';

export type { Access, Authorize, FeedView, FeedViewDeps } from './types.js';

export const feedViews: FeedView[] = [
  debianFeedView,
  genericFeedView,
  rpmFeedView,
  chocolateyFeedView,
];

/**
 * The feed views of a site whose repository signing key comes from its config
 * (`signingKey.secretRef`, the armored private key); without one, the views generate a key once
 * under their data directory.
 */
export function createFeedViews(options: { signingKeyArmored?: string } = {}): FeedView[] {
  if (!options.signingKeyArmored) return feedViews;
  return [
    createDebianFeedView({ signingKeyArmored: options.signingKeyArmored }),
    genericFeedView,
    createRpmFeedView({ signingKeyArmored: options.signingKeyArmored }),
    chocolateyFeedView,
  ];
}
