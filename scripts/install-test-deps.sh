#!/usr/bin/env bash
# Installs the real peers the test-suite talks to (PEERS.md): the CNCF distribution registry,
# skopeo, git, htpasswd. Idempotent; needs root (or sudo) and Debian's package archive.
set -euo pipefail
need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v git >/dev/null || need+=(git)
command -v htpasswd >/dev/null || need+=(apache2-utils)
# rpm / chocolatey feeds (src/feeds/rpm, src/feeds/chocolatey): real dnf, reference createrepo_c,
# rpmbuild + rpmsign to build signed test RPMs, and the nuget 2.8 client (mono) for NuGet v2.
command -v rpmbuild >/dev/null || need+=(rpm)
command -v rpmsign >/dev/null || need+=(rpm)
command -v dnf >/dev/null || need+=(dnf)
command -v createrepo_c >/dev/null || need+=(createrepo-c)
command -v nuget >/dev/null || need+=(nuget)
# ferry graph --format dot output is checked by Graphviz itself (test/cli/graph.test.ts).
command -v dot >/dev/null || need+=(graphviz)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
