/**
 * The feed views' public face: every native view the server mounts at `/feeds/:feed/<mount>`.
 * Feed engineers add their view here (one import and one array entry each).
 */
import type { FeedView } from './types.js';
import { debianFeedView } from './debian/index.js';
import { genericFeedView } from './generic/index.js';
import { rpmFeedView } from './rpm/index.js';
import { chocolateyFeedView } from './chocolatey/index.js';

export type { Access, Authorize, FeedView, FeedViewDeps } from './types.js';

export const feedViews: FeedView[] = [
  debianFeedView,
  genericFeedView,
  rpmFeedView,
  chocolateyFeedView,
];
