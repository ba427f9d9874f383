#!/usr/bin/env bash
# Installs Debian's chromium for the bench's screenshot test (bench/test/screenshot.e2e.test.ts).
# Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  /usr/bin/chromium --version
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# the package lists may be missing on a fresh image: update once, then install
if ! apt-cache show chromium >/dev/null 2>&1; then $SUDO apt-get update; fi
$SUDO apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
