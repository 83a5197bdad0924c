/**
 * Checks of package upstreams (docs/feeds/upstream.md): a debian or rpm Upstream must say which
 * OpenPGP key signs its indexes (`signedBy`), or opt out loudly with `insecureSkipVerify: true`;
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
      ctx.error(IssueCode.upstreamUnverified, `upstream "${name}" of type ${type} needs spec.signedBy (the armored public key that signs its indexes), or insecureSkipVerify: true`, u, ['spec', 'type']);
    }
  }
}
