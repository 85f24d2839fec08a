// Loading the master's metadata image (metadata.mfs and its .back / metalogger copies,
// spec 30 §3). Accepts "MFSM NEW" (a fresh file system) and "MFSM 2.0" with the section
// versions MooseFS 3.0.117 writes, plus the cheap older versions (SESS 1.0-1.4, QUOT 1.0,
// PACL 1.0, CSDB 1.0-1.2, CHNK 1.0). The input is treated as hostile: every count and
// length is checked against the bytes that remain before anything is allocated, so a
// damaged file gives an error Status, never a crash or an absurd allocation.
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "mfscommon/status.h"
#include "mfsmaster/metadata.h"

namespace mfs::master {

// One section body kept verbatim.
struct ImageSection {
  uint8_t version = 0;  // section version "major.minor" as major<<4 | minor (0x16 = 1.6)
  std::string body;     // the body bytes, without the 16-byte section header
};

// Sections of the image that the master's state does not model yet: flock and POSIX locks
// (FLCK, PLCK) and
// the chunkserver database (CSDB). The reader parses and validates them
// fully (bounds, counts, terminators) but keeps them only as opaque raw section bytes, so
// that the writer can write them back unchanged (with their original section version).
// Once one of them is modelled in Metadata, it moves out of here.
struct ImageExtras {
  std::map<std::string, ImageSection> sections;  // key: the 4-letter tag
};

// Things the loader repaired or dropped, as the 3.0.117 master does (for logging).
struct ImageLoadReport {
  uint64_t chunk_references_cleared = 0;  // file slots naming a chunk absent from CHNK
  uint64_t open_files_dropped = 0;        // OPEN pairs of an unknown session or i-node
  uint64_t xattrs_skipped = 0;            // XATR records of non-existent i-nodes
  uint64_t acls_skipped = 0;              // PACL records of non-existent i-nodes
  uint64_t names_truncated = 0;           // EDGE names longer than 255 bytes
  uint64_t symlinks_too_long = 0;         // symlink targets over 4096 bytes (replaced)
  // Edge ids not strictly increasing within some directory: the 3.0.117 master then
  // renumbers all edges (logging RENUMERATEEDGES); this loader keeps the stored ids.
  bool edge_ids_unordered = false;
  bool was_new = false;  // the file was "MFSM NEW"
};

// What the validity check of master start-up / -a selection / metalogger reads (§3.2).
struct ImageHeader {
  bool is_new = false;         // "MFSM NEW"
  uint8_t format_version = 0;  // fver: 0x20 for "MFSM 2.0", 0x16, 0x15 ...; 0 for NEW
  uint64_t metaversion = 1;    // next change id the image expects
  uint64_t metaid = 0;         // 0 when not assigned (and for fver < 0x20)
};

// Signature + end marker check and header fields, without loading anything.
Result<ImageHeader> probe_metadata_image(const std::string& path);

// Replaces the whole content of `into` by the image at `path`. "MFSM NEW" gives
// into.init_empty(now). Checks the load-time rules of §3.18 (root i-node is a directory,
// every other node has an entry; chunk slots naming a chunk absent from CHNK become
// holes), then derives what is not stored with into.rebuild_derived_state(): chunk
// reference counts and goals, open counts of the OPEN pairs (kept in
// Session::open_inodes), reusable i-node numbers. On success `extras` (if given) holds
// the opaque sections of the image; on failure the content of `into` and `extras` is
// unspecified and must not be used. `now` is only used for "MFSM NEW".
// Known sections must come in the writer's order (§3.3), each at most once; 3.0.117
// accepts any order, but it never writes another one.
Status load_metadata_image(const std::string& path, Metadata& into, ImageExtras* extras, uint32_t now,
                           ImageLoadReport* report = nullptr);
// The same from an image held in memory (a metadata download, tests).
Status load_metadata_image_bytes(std::span<const uint8_t> image, Metadata& into, ImageExtras* extras, uint32_t now,
                                 ImageLoadReport* report = nullptr);

// Validates one opaque section body (as kept in ImageExtras) the way the loader does.
Status validate_image_section(const std::string& tag, uint8_t version, std::string_view body);

}  // namespace mfs::master
