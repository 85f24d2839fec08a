// libFuzzer target for the mount's decoders of master replies (master_reply_decoders.h).
#include "mfsmount/fuzz/master_reply_decoders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mfs::mount::decode_as_every_master_reply(mfs::mount::Body(data, size));
  return 0;
}
