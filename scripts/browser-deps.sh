#!/usr/bin/env bash
# Debian chromium and a CJK font for the real-browser UI tests. Never `playwright install`:
# this machine reaches package registries only, so playwright drives the system chromium.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need+=(fonts-wqy-zenhei)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "browser-deps: missing ${need[*]}; install them (apt-get install ${need[*]}) or the browser tests are skipped" >&2
  exit 0
fi
echo "browser-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null || \
  echo "browser-deps: apt-get failed; browser tests will be skipped" >&2
