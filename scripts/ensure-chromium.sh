#!/usr/bin/env bash
# Install Debian's Chromium (and CJK fonts for the Chinese pages) for the browser tests, if missing.
# Failure is not fatal: the browser tests then skip with the reason printed.
set -uo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "ensure-chromium: installing Debian's chromium and fonts-noto-cjk"
( $SUDO apt-get update -q >/dev/null && \
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium fonts-noto-cjk >/dev/null ) \
  || echo "ensure-chromium: could not install chromium; browser tests will be skipped"
