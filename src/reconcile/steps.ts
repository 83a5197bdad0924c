/**
 * The reconcile steps, in order. Each step compares the desired state (this site's plan at a
 * commit) with what it observes (feeds in the store, incoming rules in the server, scheduled
 * replication jobs) and converges one aspect. Steps are idempotent and return results; they do
 * not set conditions (see reconciler.ts).
 */
import type { Logger } from 'pino';
import type { AuthHolder } from '../server/index.js';
import type { Store } from '../store/store.js';
import type { SitePlan } from '../plan/types.js';
import type { Site } from '../topology/model.js';
import { errorMessage } from '../errors/index.js';
import { ResourceKind, type ResourceResult } from './conditions.js';
import type { ReplicationScheduler } from './scheduler.js';
import type { StateDb } from '../state/state-db.js';
import type { ReplicationTask } from '../replicate/types.js';
import { tasksForPlan } from './tasks.js';

export interface Desired {
  commit: string;
  plan: SitePlan;
  site: Site;
}

export interface StepContext {
  desired: Desired;
  store: Store;
  auth: AuthHolder;
  scheduler: ReplicationScheduler;
  state: StateDb;
  log: Logger;
}

export type Step = (ctx: StepContext) => Promise<ResourceResult[]>;

/** Creates (or un-retires) every feed this site hosts. */
export const ensureFeeds: Step = async ({ desired, store }) => {
  const results: ResourceResult[] = [];
  for (const feed of desired.plan.feeds) {
    try {
      await store.feedEnsure(feed.name, feed.type);
      results.push({ kind: ResourceKind.feed, name: feed.name, ok: true, reason: 'Serving', message: `${feed.type} feed served` });
    } catch (err) {
      results.push({ kind: ResourceKind.feed, name: feed.name, ok: false, reason: 'FeedFailed', message: errorMessage(err) });
    }
  }
  return results;
};

/** Stops serving feeds the plan no longer has; their content stays until pruned. */
export const retireFeeds: Step = async ({ desired, store, log }) => {
  const wanted = new Set(desired.plan.feeds.map((f) => f.name));
  for (const feed of await store.feedList()) {
    if (feed.retired || wanted.has(feed.name)) continue;
    await store.feedRetire(feed.name);
    log.info({ feed: feed.name }, 'feed retired (content kept until pruned)');
  }
  return [];
};

/** Swaps the server's incoming rules to the site's rules at this commit, without a restart. */
export const applyIncomingRules: Step = async ({ desired, auth }) => {
  auth.set({ incoming: desired.site.spec.incoming ?? [], anonymousRead: desired.site.spec.anonymousRead ?? false });
  return [];
};

/**
 * What a replication's cursors are positions in: when any of it changes (a renamed target feed,
 * a new filter, another source), the cursors restart at 0 so the new target gets everything;
 * copies skip what it already holds. Persisted, so a change made while the site was down counts.
 */
function cursorBasis(task: ReplicationTask): string {
  return JSON.stringify({ mode: task.mode, localFeed: task.localFeed, remoteFeed: task.remoteFeed, remoteFeedByPeer: task.remoteFeedByPeer ?? null, filter: task.filter ?? null, upstream: task.upstream?.url ?? null, repositories: task.upstream?.repositories ?? null });
}

/** Schedules, reschedules and unschedules replication jobs. */
export const scheduleReplications: Step = async ({ desired, scheduler, state, log }) => {
  const tasks = tasksForPlan(desired.plan);
  for (const task of tasks) {
    const basis = cursorBasis(task);
    const key = `cursor-basis:${task.name}`;
    const previous = state.getMeta(key);
    if (previous !== basis) {
      if (previous !== undefined) {
        state.resetCursors(task.name);
        log.info({ replication: task.name }, 'replication source, target or filter changed: cursors reset');
      }
      state.setMeta(key, basis);
    }
  }
  const change = scheduler.sync(tasks);
  if (change.added.length + change.removed.length + change.changed.length > 0) log.info(change, 'replication schedule updated');
  return tasks.map((t) => ({ kind: ResourceKind.replication, name: t.name, ok: true, reason: 'Scheduled', message: `runs on "${t.schedule}"` }));
};

export const reconcileSteps: readonly Step[] = [ensureFeeds, retireFeeds, applyIncomingRules, scheduleReplications];
