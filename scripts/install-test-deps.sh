#!/usr/bin/env bash
# Installs the real peers the test-suite talks to (PEERS.md): the CNCF distribution registry,
# skopeo, git, htpasswd. Idempotent; needs root (or sudo) and Debian's package archive.
set -euo pipefail
need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v git >/dev/null || need+=(git)
command -v htpasswd >/dev/null || need+=(apache2-utils)
# ferry serve TLS test (test/server/serve-tls.test.ts) makes a self-signed certificate.
command -v openssl >/dev/null || need+=(openssl)
# rpm / chocolatey feeds (src/feeds/rpm, src/feeds/chocolatey): real dnf, reference createrepo_c,
# rpmbuild + rpmsign to build signed test RPMs, and the nuget 2.8 client (mono) for NuGet v2.
command -v rpmbuild >/dev/null || need+=(rpm)
command -v rpmsign >/dev/null || need+=(rpm)
command -v dnf >/dev/null || need+=(dnf)
command -v createrepo_c >/dev/null || need+=(createrepo-c)
command -v nuget >/dev/null || need+=(nuget)
# ferry graph --format dot output is checked by Graphviz itself (test/cli/graph.test.ts).
command -v dot >/dev/null || need+=(graphviz)
# debian / generic feeds (src/feeds/debian, src/feeds/generic): dpkg-deb builds test .debs,
# dpkg-scanpackages (dpkg-dev) is the reference Packages producer, gpg dearmors the repository key
# for apt's signed-by, apt-get is the real client, curl the real files client.
command -v dpkg-scanpackages >/dev/null || need+=(dpkg-dev)
command -v gpg >/dev/null || need+=(gnupg)
command -v apt-get >/dev/null || need+=(apt)
command -v curl >/dev/null || need+=(curl)
# git source (test/git): git http-backend ships with git; gpg-agent makes the keys for signed commits.
command -v gpg-agent >/dev/null || need+=(gpg-agent)
command -v xz >/dev/null || need+=(xz-utils)
command -v zstd >/dev/null || need+=(zstd)
# deploy/systemd unit is checked with systemd-analyze verify (test/deploy).
command -v systemd-analyze >/dev/null || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
