#!/usr/bin/env bash
# PySpark (the second engine of the test matrix) needs a Java runtime; install one if absent.
set -euo pipefail
if command -v java >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  echo "installing a Java runtime for PySpark (apt-get)" >&2
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless
else
  echo "PySpark needs Java 17: install a JRE and re-run" >&2
  exit 1
fi
