#!/usr/bin/env bash
# Installs wrk (Debian's package) if it is missing; prints its path.
set -euo pipefail
if ! command -v wrk >/dev/null; then
    echo "installing wrk (Debian package)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq wrk >&2 || { apt-get update -qq >&2 && apt-get install -y -qq wrk >&2; }
fi
command -v wrk
