#!/usr/bin/env bash
# Installs Debian's PostgreSQL server for the aggregator's PostgreSQL tests and benchmark, which
# start a cluster of their own (initdb + pg_ctl on a loopback port, in a temporary directory) from
# /usr/lib/postgresql/<version>/bin. Idempotent: installs only when those binaries are missing.
# initdb refuses to run as root: as root, the tests run it as the `postgres` system user, which
# the package creates (and this script, when the binaries came without it).
set -euo pipefail
find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  done
  return 1
}
if ! bin="$(find_bin)"; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # the package lists may be missing on a fresh image: update once, then install
  if ! apt-cache show postgresql >/dev/null 2>&1; then $SUDO apt-get update; fi
  $SUDO apt-get install -y --no-install-recommends postgresql
  bin="$(find_bin)"
fi
if [ "$(id -u)" -eq 0 ] && ! id -u postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
fi
echo "PostgreSQL server binaries: $bin ($("$bin/postgres" --version))"
