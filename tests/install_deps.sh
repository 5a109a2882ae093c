#!/usr/bin/env bash
# Installs the Debian packages firn needs to build and test (run as root on
# Debian 12). Safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  g++ pkg-config cmake meson ninja-build \
  liblz4-dev libxxhash-dev libmimalloc-dev doctest-dev libedit-dev nlohmann-json3-dev \
  >/dev/null
