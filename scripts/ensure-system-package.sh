#!/usr/bin/env bash
# What a test needs from the system (Java for PySpark, Chromium for the browser tests): install
# Debian's package with apt-get when its command is absent.
# Usage: ensure-system-package.sh COMMAND PACKAGE WHAT-NEEDS-IT
set -euo pipefail
command_name=$1 package=$2 purpose=$3
if command -v "$command_name" >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  echo "installing $package for $purpose (apt-get)" >&2
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$package"
else
  echo "$purpose needs '$command_name': install $package (or its equivalent) and re-run" >&2
  exit 1
fi
