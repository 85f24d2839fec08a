#!/usr/bin/env bash
# Installs, builds and starts a local cluster: our mfsmaster, 3 chunkservers and a mount
# at MOUNTPOINT, inside a private network namespace (the MooseFS chunkserver refuses a
# loopback master address, and the real tools work inside it). All daemons are ours. Usage:
#   scripts/local-cluster.sh up [MOUNTPOINT]     (default /mnt/mfsng)
#   scripts/local-cluster.sh down
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
STATE=/var/lib/mfsng-local
NS=mfsng-local
MASTER_IP=198.18.0.1

start() {  # start NAME COMMAND...: runs in the namespace, log and pid in $STATE
  local name=$1
  shift
  nsenter --net=/var/run/netns/$NS "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}

up() {
  local mountpoint=${1:-/mnt/mfsng}
  bash scripts/setup.sh
  if [ -e "$STATE/master.pid" ]; then
    echo "a local cluster is already running (scripts/local-cluster.sh down first)" >&2
    exit 1
  fi
  mkdir -p "$STATE" "$mountpoint"
  ip netns add $NS
  ip -n $NS link set lo up
  for i in 1 2 3 4; do ip -n $NS addr add 198.18.0.$i/32 dev lo; done

  install -d -o mfs -g mfs "$STATE/master"
  [ -e "$STATE/master/metadata.mfs" ] || [ -e "$STATE/master/metadata.ng" ] ||
    install -o mfs -g mfs /var/lib/mfs/metadata.mfs.empty "$STATE/master/metadata.mfs"
  printf '* / rw,alldirs,maproot=0\n* . rw\n' >"$STATE/mfsexports.cfg"
  : >"$STATE/mfstopology.cfg"
  cat >"$STATE/mfsmaster.cfg" <<CFG
DATA_PATH = $STATE/master
EXPORTS_FILENAME = $STATE/mfsexports.cfg
TOPOLOGY_FILENAME = $STATE/mfstopology.cfg
MATOML_LISTEN_HOST = $MASTER_IP
MATOCS_LISTEN_HOST = $MASTER_IP
MATOCL_LISTEN_HOST = $MASTER_IP
CFG
  start master "$REPO/build/mfsmaster/mfsmaster" -f -c "$STATE/mfsmaster.cfg"
  sleep 2
  for i in 1 2 3; do
    install -d -o mfs -g mfs "$STATE/cs$i" "$STATE/hdd$i"
    echo "$STATE/hdd$i" >"$STATE/mfshdd$i.cfg"
    cat >"$STATE/mfschunkserver$i.cfg" <<CFG
DATA_PATH = $STATE/cs$i
HDD_CONF_FILENAME = $STATE/mfshdd$i.cfg
MASTER_HOST = $MASTER_IP
CSSERV_LISTEN_HOST = 198.18.0.$((i + 1))
HDD_LEAVE_SPACE_DEFAULT = 256MiB
CFG
    start "chunkserver$i" "$REPO/build/mfschunkserver/mfschunkserver" -f -c "$STATE/mfschunkserver$i.cfg"
  done
  start mount "$REPO/build/mfsmount/mfsmount" "$mountpoint" -f -o "mfsmaster=$MASTER_IP,mfsport=9421"
  echo "$mountpoint" >"$STATE/mountpoint"
  for _ in $(seq 50); do
    grep -q " $mountpoint fuse" /proc/mounts && break
    sleep 0.2
  done
  grep -q " $mountpoint fuse" /proc/mounts || { echo "mount failed, see $STATE/*.log" >&2; exit 1; }
  echo "MooseNG is mounted at $mountpoint (logs in $STATE). Tools: nsenter --net=/var/run/netns/$NS mfsfileinfo FILE"
}

down() {
  [ -e "$STATE/mountpoint" ] && { fusermount3 -u "$(cat "$STATE/mountpoint")" || umount -l "$(cat "$STATE/mountpoint")" || true; }
  for name in mount chunkserver1 chunkserver2 chunkserver3 master; do
    if [ -e "$STATE/$name.pid" ]; then
      kill "$(cat "$STATE/$name.pid")" 2>/dev/null || true
      rm -f "$STATE/$name.pid"
    fi
  done
  sleep 2
  ip netns delete $NS 2>/dev/null || true
  rm -f "$STATE/mountpoint"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  *) echo "usage: $0 up [MOUNTPOINT] | down" >&2; exit 1 ;;
esac
