/**
 * The local store seen as a copy destination that records who wrote what: every manifest put
 * through it is recorded with `origin` in the store's change log and tag records, which is how
 * `deletes: propagate` later knows which content a replication (and not a local user) created.
 */
import type { ContentTarget } from '../oci/content.js';
import type { Store } from '../store/store.js';

export function storeTargetWithOrigin(store: Store, origin: string): ContentTarget {
  return {
    description: `${store.description} (${origin})`,
    manifestGet: (r, ref) => store.manifestGet(r, ref),
    manifestHead: (r, ref) => store.manifestHead(r, ref),
    blobHead: (r, d) => store.blobHead(r, d),
    blobGet: (r, d, o) => store.blobGet(r, d, o),
    tagList: (r, o) => store.tagList(r, o),
    referrers: (r, d, o) => store.referrers(r, d, o),
    blobPut: (r, desc, open, o) => store.blobPut(r, desc, open, o),
    blobMount: (r, from, d) => store.blobMount(r, from, d),
    manifestPut: (r, ref, mediaType, body) => store.manifestPutWithContext(r, ref, mediaType, body, { origin }),
  };
}
