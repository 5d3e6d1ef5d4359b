#!/usr/bin/env bash
# Headless Chromium (Debian's package) and pdftotext for `make browser`. Idempotent; run as root.
set -euo pipefail

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/bin/pdftotext ]] || missing+=(poppler-utils)
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
