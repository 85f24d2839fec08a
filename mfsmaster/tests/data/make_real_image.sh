#!/usr/bin/env bash
# Regenerates metadata_3_0_117.mfs, a small metadata image written by the real MooseFS
# 3.0.117 master, used by metadata_image_test.cpp (RealImage tests).
#
# How: start from the packaged "MFSM NEW" file, put a hand-written changelog next to it
# (every line in the syntax of spec 30 §4.2-4.3) and let the real master replay it in
# restore-only mode (`mfsmaster -a restore`): it loads the empty image, applies the
# changes and writes metadata.mfs, then exits. No network traffic: the master does not
# start its listeners in restore mode (the config still names 127.0.0.1 ports).
#
# Content: directory d (eattr noowner, ACL, quota), file small (12 bytes, chunk 1, class
# myclass, two xattrs, open by session 1 with a flock and a POSIX lock), hard link d/hl,
# file d/f (length 128 MiB + 5, chunks 2 and 3 with a hole at index 1), symlink d/sl,
# fifo, char and block devices, socket, trash files t (chunk 4) and tmp, a sustained file
# gone (deleted while open), one session, one chunkserver, storage class 10 "myclass".
# The final AMTIME makes the root's times (otherwise "now" at load) reproducible, so the
# output is byte-for-byte the same on every run of the same binary.
#
# Usage: make_real_image.sh [output]   (needs /usr/sbin/mfsmaster 3.0.117 and root)
set -euo pipefail
out="${1:-$(cd "$(dirname "$0")" && pwd)/metadata_3_0_117.mfs}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/data"
cp /var/lib/mfs/metadata.mfs.empty "$work/data/metadata.mfs"
cat > "$work/mfsmaster.cfg" <<CFG
WORKING_USER = root
WORKING_GROUP = root
DATA_PATH = $work/data
EXPORTS_FILENAME = $work/mfsexports.cfg
TOPOLOGY_FILENAME = $work/mfstopology.cfg
MATOML_LISTEN_HOST = 127.0.0.1
MATOML_LISTEN_PORT = 19419
MATOCS_LISTEN_HOST = 127.0.0.1
MATOCS_LISTEN_PORT = 19420
MATOCL_LISTEN_HOST = 127.0.0.1
MATOCL_LISTEN_PORT = 19421
SYSLOG_IDENT = mfsmaster-image
CFG
echo "127.0.0.1 / rw,alldirs,maproot=0" > "$work/mfsexports.cfg"
touch "$work/mfstopology.cfg"
cat > "$work/data/changelog.0.mfs" <<'LOG'
1: 1700000001|SETMETAID(7711911556688881406)
2: 1700000002|CSDBOP(0,2130706433,9522,0)
3: 1700000002|CSDBOP(3,2130706433,9522,1)
4: 1700000003|SESADD(#18432386147808961246,1,8,0000,0,0,999,999,1,9,0,4294967295,0x00000000,2130706433,/mnt/mfs):1
5: 1700000004|CREATE(1,d,2,511,18,0,0,0):2
6: 1700000004|CREATE(1,small,1,438,18,0,0,0):3
7: 1700000004|ACQUIRE(1,3)
8: 1700000004|WRITE(3,0,1,0):1
9: 1700000005|LENGTH(3,12,0)
10: 1700000005|UNLOCK(1)
11: 1700000006|CREATE(2,f,1,438,18,0,0,0):4
12: 1700000006|WRITE(4,0,1,0):2
13: 1700000006|WRITE(4,2,1,0):3
14: 1700000006|LENGTH(4,134217733,0)
15: 1700000006|UNLOCK(2)
16: 1700000006|UNLOCK(3)
17: 1700000007|SYMLINK(2,sl,../small,0,0):5
18: 1700000007|LINK(3,2,hl)
19: 1700000008|SETXATTR(3,user.color,blue,0)
20: 1700000008|SETXATTR(3,user.b,x%00y,0)
21: 1700000009|SETACL(2,420,1,1,6,4,4,7,1,1,%00%00%03%E8%00%07%00%00%07%D0%00%05)
22: 1700000009|QUOTA(2,0,51,0,10,20,1000000,2000000,0,0,0,0,0)
23: 1700000010|CREATE(1,t,1,438,18,0,0,0):6
24: 1700000010|WRITE(6,0,1,0):4
25: 1700000010|LENGTH(6,6,0)
26: 1700000010|UNLOCK(4)
27: 1700000010|SETTRASHTIME(6,0,5,0):1,0,0
28: 1700000011|UNLINK(1,t):6
29: 1700000011|CREATE(1,fifo,4,420,18,0,0,0):7
30: 1700000011|CREATE(1,cdev,6,438,18,0,0,259):8
31: 1700000012|SCSET(myclass,1,W2,K2,A1,1,3,0,1,0,0,0,2,0,0,0,1,0,0,0,2,0,0,0,4,0,0,0):10
32: 1700000012|SETSCLASS(3,0,1,10,0):1,0,0
33: 1700000012|SETEATTR(2,0,1,1):1,0,0
34: 1700000013|FLOCK(3,1,14120335232279428967,R)
35: 1700000013|POSIXLOCK(3,1,2022209948430184688,W,5,15,31832)
36: 1700000014|CREATE(1,gone,1,438,18,0,0,0):9
37: 1700000014|ACQUIRE(1,9)
38: 1700000014|SETTRASHTIME(9,0,0,0):1,0,0
39: 1700000015|UNLINK(1,gone):9
40: 1700000015|CREATE(1,sock,7,438,18,0,0,0):10
41: 1700000015|CREATE(1,bdev,5,432,18,1000,1000,2049):11
42: 1700000016|CREATE(1,tmp,1,438,18,0,0,0):12
43: 1700000016|UNLINK(1,tmp):12
44: 1700000017|AMTIME(1,1700000017,1700000016,1700000016)
LOG
# Restore-only mode: replays the changelog, writes metadata.mfs and exits by itself.
timeout 60 /usr/sbin/mfsmaster -c "$work/mfsmaster.cfg" -a restore > "$work/restore.log" 2>&1 || {
  cat "$work/restore.log" >&2
  exit 1
}
cp "$work/data/metadata.mfs" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
