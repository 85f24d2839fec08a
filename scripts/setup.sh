#!/usr/bin/env bash
# Installs every Debian package the build and the tests need (including the reference
# MooseFS 3.0.117 programs), then builds MooseNG into build/ (and build-asan/ with --asan).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ccache pkg-config clang libclang-rt-14-dev
  libboost-dev libboost-system-dev libleveldb-dev libfuse3-dev fuse3 libisal-dev libssl-dev
  libgtest-dev libgmock-dev googletest
  python3 python3-pytest python3-pytest-xdist python3-hypothesis
  iproute2 util-linux procps psmisc acl attr faketime strace
  moosefs-master moosefs-chunkserver moosefs-client moosefs-cli moosefs-metalogger moosefs-netdump libmfsio1
)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages and the tests need network namespaces and FUSE)" >&2
  exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

bash scripts/build.sh build
if [ "${1:-}" = "--asan" ]; then
  bash scripts/build.sh build-asan -DMFSNG_SANITIZE=ON
fi
