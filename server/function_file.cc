// Copyright (c) the kvstore developers.
//
// The function libraries' encoding and file (see function_file.h).

#include "function_file.h"

#include <cstdint>

#include "durable_file.h"  // the library's (src/): write-rename-fsync
#include "error.h"
#include "kvstore/filesystem.h"
#include "lua_engine.h"  // Sha1Hex

namespace kvstore::server {

namespace {

constexpr std::string_view kMagic = "KVFN\x01";
constexpr std::size_t kChecksumLength = 16;

std::string Checksum(std::string_view data) { return Sha1Hex(data).substr(0, kChecksumLength); }

std::string FilePath(const std::string& dir) { return dir + "/" + kFunctionFileName; }

}  // namespace

std::string EncodeLibraries(const std::vector<std::string>& codes) {
  std::string out(kMagic);
  for (const auto& code : codes) {
    const auto n = static_cast<uint32_t>(code.size());
    for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
    out += code;
  }
  out += Checksum(out);
  return out;
}

bool DecodeLibraries(std::string_view payload, std::vector<std::string>* codes) {
  if (payload.size() < kMagic.size() + kChecksumLength || !payload.starts_with(kMagic)) {
    return false;
  }
  const std::string_view body = payload.substr(0, payload.size() - kChecksumLength);
  if (Checksum(body) != payload.substr(body.size())) return false;
  std::vector<std::string> out;
  for (std::string_view rest = body.substr(kMagic.size()); !rest.empty();) {
    if (rest.size() < 4) return false;
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i)
      n |= static_cast<uint32_t>(static_cast<unsigned char>(rest[i])) << (8 * i);
    rest.remove_prefix(4);
    if (rest.size() < n) return false;
    out.emplace_back(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  *codes = std::move(out);
  return true;
}

Result<void> SaveFunctionFile(const std::string& dir, const std::vector<std::string>& codes) {
  auto fs = FileSystem::Default();
  const std::string path = FilePath(dir);
  const std::string payload = EncodeLibraries(codes);
  return WriteFileDurably(*fs, path, [&](WritableFile* f) { return f->Append(payload); });
}

Result<std::vector<std::string>> LoadFunctionFile(const std::string& dir) {
  auto fs = FileSystem::Default();
  const std::string path = FilePath(dir);
  KV_RETURN_IF_ERROR(RemoveLeftover(*fs, path + ".tmp"));
  auto exists = fs->FileExists(path);
  if (!exists) return std::move(exists).error();
  std::vector<std::string> codes;
  if (!*exists) return codes;
  std::string payload;
  KV_RETURN_IF_ERROR(fs->ReadFile(path, &payload));
  if (!DecodeLibraries(payload, &codes)) {
    return Corruption("function library file '" + path +
                      "' is damaged (bad header, length or checksum); restore it from a "
                      "backup or FUNCTION DUMP, or move it away to start without functions");
  }
  return codes;
}

}  // namespace kvstore::server
