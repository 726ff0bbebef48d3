#!/bin/sh
# Sets up a fresh Debian machine (as root) and builds kaplac.
#   sh tools/bootstrap.sh        install packages, build build/kaplac
#   sh tools/bootstrap.sh test   also build the sanitizer configuration
#                                (build-asan/) and run every test
set -eu
cd "$(dirname "$0")/.."

packages="build-essential cmake flex bison libz3-dev libcmocka-dev pkg-config python3"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "bootstrap: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
if [ "${1:-}" = test ]; then
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKPL_SANITIZE=ON \
        -DKPL_WERROR=ON >/dev/null
    cmake --build build-asan -j "$jobs"
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
else
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j "$jobs"
fi
