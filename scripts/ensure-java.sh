#!/usr/bin/env bash
# DynamoDB Local needs Java 17+. Install a headless JRE from Debian when it is missing.
set -euo pipefail
major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if command -v java >/dev/null 2>&1 && [ "$(major)" -ge 17 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Java 17+ not found; installing openjdk-17-jre-headless" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  exit 0
fi
echo "Java 17+ is required for DynamoDB Local; please install it (e.g. openjdk-17-jre-headless)." >&2
exit 1
