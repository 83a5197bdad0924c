/**
 * The guard that keeps `deletes: propagate` from emptying a target because a source suddenly
 * lists nothing (a wiped hub, a wrong feed, a broken upstream). The run then fails with
 * REPLICATION_DELETE_GUARD and deletes nothing; an operator who really means it removes the
 * content by hand.
 *
 * - `listing` (deletes inferred from absence in a tag listing, e.g. a plain upstream registry):
 *   a run may not delete ALL of the content this replication created at the target, nor more
 *   than half of it once it holds more than `smallSet` items.
 * - `events` (explicit delete events in a ferry change log, i.e. tombstones): single deletes are
 *   deliberate and pass, even of the last item; only a mass deletion (more than half of more
 *   than `smallSet` items in one run) is held back.
 */
import { FerryError, NextAction } from '../errors/index.js';
import { ReplicationErrorCode } from './errors.js';

export interface DeleteGuardInput {
  replication: string;
  /** Tags this run would delete. */
  planned: number;
  /** Tags at the target created by this replication before the run. */
  replicated: number;
  basis: 'listing' | 'events';
  smallSet?: number;
}

export function checkDeleteGuard({ replication, planned, replicated, basis, smallSet = 10 }: DeleteGuardInput): void {
  if (planned === 0) return;
  const all = basis === 'listing' && planned >= replicated;
  const most = replicated > smallSet && planned > replicated / 2;
  if (all || most) {
    throw new FerryError(
      ReplicationErrorCode.deleteGuard,
      `replication ${replication} would delete ${planned} of the ${replicated} tags it replicated here; refusing (the source may have been emptied by mistake). Nothing was deleted`,
      { data: { replication, planned, replicated }, next: NextAction.fix },
    );
  }
}
