#!/usr/bin/env bash
# Reference data the tests compare against, fetched from the package registry at install time
# (never at run time) into .cache/ (gitignored):
# - ChannelAttribution's example paths, Data.csv (10,000 aggregated paths), which ship only in
#   its source distribution.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
dest=.cache/channelattribution
version=2.2.5
if [ ! -s "$dest/Data.csv" ]; then
    mkdir -p "$dest"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    "$PY" -m pip download --quiet --no-deps --no-binary channelattribution \
        "channelattribution==$version" -d "$tmp"
    tar -xzf "$tmp/channelattribution-$version.tar.gz" -C "$tmp"
    cp "$tmp/channelattribution-$version/src/cypack/data/Data.csv" "$dest/Data.csv.part"
    mv "$dest/Data.csv.part" "$dest/Data.csv"
fi
