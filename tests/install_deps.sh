#!/usr/bin/env bash
# Installs the Debian packages firn needs to build and test (run as root on
# Debian 12). Safe to run again.
#   build and unit tests:  g++ meson ninja lz4 xxhash mimalloc doctest
#   kvtool:                libedit, nlohmann-json
#   fuzzing (libFuzzer):   clang + libclang-rt-14-dev
#   kvbench peers, plots:  librocksdb-dev libleveldb-dev gnuplot-nox
#   ARM cross builds:      the Debian cross toolchains, qemu-user and the
#                          :arm64 / :armhf -dev packages (multiarch)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
dpkg --add-architecture arm64
dpkg --add-architecture armhf
# A mirror caught mid-sync can fail one index (seen for armhf security
# updates); the packages below are still found in the indexes that loaded.
apt-get update -qq || echo "install_deps: apt-get update reported errors; continuing"
apt-get install -y -qq --no-install-recommends \
  g++ pkg-config cmake meson ninja-build \
  liblz4-dev libxxhash-dev libmimalloc-dev doctest-dev libedit-dev nlohmann-json3-dev \
  clang libclang-rt-14-dev \
  librocksdb-dev libleveldb-dev gnuplot-nox \
  g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user \
  liblz4-dev:arm64 libxxhash-dev:arm64 liblz4-dev:armhf libxxhash-dev:armhf \
  >/dev/null
