#!/usr/bin/env bash
# The browser tests (tests/test_web_browser.py) drive Debian's Chromium; install it if absent.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  echo "installing Chromium for the browser tests (apt-get)" >&2
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
else
  echo "the browser tests need Chromium: install it (a 'chromium' on PATH) and re-run" >&2
  exit 1
fi
