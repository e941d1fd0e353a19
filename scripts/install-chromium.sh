#!/usr/bin/env bash
# Installs the headless browser the report test renders report.html in: Debian's
# chromium package (/usr/bin/chromium). Needs root (or sudo) and Debian's package
# mirrors; prints what is missing and exits non-zero otherwise.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: apt-get not found; install Chromium (the chromium package) by hand" >&2
  exit 1
fi
run_as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run_as_root=(sudo -n)
  else
    echo "install-chromium: installing the chromium package needs root or passwordless sudo" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${run_as_root[@]}" apt-get update -qq
"${run_as_root[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "install-chromium: chromium is still not on the PATH" >&2; exit 1; }
