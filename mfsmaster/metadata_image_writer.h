// Writing the master's metadata image (spec 30 §3) as MooseFS 3.0.117 does: "MFSM 2.0",
// sections SESS 1.5, SCLA 1.6, NODE 1.4, EDGE 1.1, FREE 1.0, QUOT 1.1, XATR 1.0, PACL 1.1,
// OPEN 1.0, FLCK 1.0, PLCK 1.0, CSDB 1.3, CHNK 1.1 in that order, then the end marker, so
// that the original master can load it (rollback) and mfsmetadump can read it. The
// sections kept opaque by the reader (ImageExtras) are written back unchanged; missing
// ones are written empty.
// Output is deterministic: nodes in tree order, directory entries by edge id, chunks by id.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/metadata_image_reader.h"

namespace mfs::master {

// Writes the image to `path` + ".tmp", fsyncs it, renames it to `path` and fsyncs the
// directory. On failure `path` is untouched and the temporary file removed.
Status write_metadata_image(const std::string& path, const Metadata& metadata, const ImageExtras* extras);

// The same byte stream in memory (tests).
Result<std::vector<uint8_t>> serialize_metadata_image(const Metadata& metadata, const ImageExtras* extras);

}  // namespace mfs::master
