#!/usr/bin/env bash
# What Debian provides: Java 17+ for DynamoDB Local, and Chromium (/usr/bin/chromium) that
# the browser tests drive with Playwright. Whatever is missing is installed in one apt run
# (`make test` runs this in the background while pip and npm install and the linters run).
# `ensure-system.sh java`: Java only, all `make run` needs (no browser on a deploy machine).
set -euo pipefail
only=${1:-all}
missing=()
major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
# A version it cannot read counts as too old.
if ! command -v java >/dev/null 2>&1 || ! [ "$(major)" -ge 17 ] 2>/dev/null; then missing+=(openjdk-17-jre-headless); fi
if [ "$only" != java ]; then
  if [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
  # The browser tests drive the headless shell (same Blink, a fifth less CPU); Lighthouse the browser.
  if [ ! -x /usr/lib/chromium/chromium-headless-shell ]; then missing+=(chromium-headless-shell); fi
fi
if [ ${#missing[@]} = 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing from Debian: ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "Missing: ${missing[*]}. Java 17+ runs DynamoDB Local and Chromium the browser tests;" >&2
echo "please install them (Debian's packages: ${missing[*]})." >&2
exit 1
