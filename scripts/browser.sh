#!/usr/bin/env bash
# Debian's Chromium and its chromedriver, for the browser tests (tests/e2e/test_browser_*).
# Nothing is downloaded but Debian's packages; a machine that has both is left alone.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  echo "==> chromium and chromedriver present: $(chromedriver --version | cut -d' ' -f1-2)"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "no apt-get: install Chromium and its chromedriver, and set CHROMIUM and CHROMEDRIVER" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "==> installing Debian's chromium and chromium-driver (first run only, about a minute)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  chromium chromium-driver >/dev/null
echo "==> $(chromedriver --version | cut -d' ' -f1-2)"
