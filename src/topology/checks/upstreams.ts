/**
 * Checks of package upstreams (docs/feeds/upstream.md): a debian or rpm Upstream should say which
 * OpenPGP key signs its indexes (`signedBy`; without it the replication refuses to run), or opt
 * out loudly with `insecureSkipVerify: true`; both cases are warnings;
 * `signedBy` holds public keys only (a private key block there is a leaked secret).
 */
import { IssueCode } from '../codes.js';
import type { CheckContext } from './context.js';

const PACKAGE_TYPES = new Set(['debian', 'rpm']);

export function checkUpstreams(ctx: CheckContext): void {
  for (const u of ctx.topology.upstreams) {
    const { type, signedBy, insecureSkipVerify } = u.spec;
    const name = u.metadata.name;
    if (signedBy !== undefined && /PRIVATE KEY/.test(signedBy)) {
      ctx.error(IssueCode.plaintextSecret, `upstream "${name}": signedBy holds a PRIVATE key block; it takes the repository's PUBLIC key only (remove the private key and rotate it)`, u, ['spec', 'signedBy']);
    }
    if (!PACKAGE_TYPES.has(type)) continue;
    if (insecureSkipVerify === true) {
      ctx.warn(IssueCode.upstreamUnverified, `upstream "${name}": insecureSkipVerify is set, so packages are taken from ${type} indexes WITHOUT checking their signature; anyone between this site and the upstream can feed it packages`, u, ['spec', 'insecureSkipVerify']);
    } else if (signedBy === undefined || signedBy.trim() === '') {
      // A warning, not an error: the topology stays valid, but the replication refuses to import
      // anything until the key is given (or verification is waived explicitly).
      ctx.warn(IssueCode.upstreamUnverified, `upstream "${name}" of type ${type} has no spec.signedBy (the armored public key that signs its indexes): replications from it will refuse to run until it is set (or insecureSkipVerify: true)`, u, ['spec', 'type']);
    }
  }
}
