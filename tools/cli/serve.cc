// Copyright (c) the kvstore developers.

#include "serve.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace kvstore::cli {

std::string ServerCandidate(const std::string& self) {
  const std::filesystem::path beside = std::filesystem::path(self).parent_path() / "kvstore-server";
  if (!self.empty() && ::access(beside.c_str(), X_OK) == 0) return beside.string();
  return "kvstore-server";
}

int ServeCommand(const GlobalFlags& flags, const std::vector<std::string>& server_args) {
  std::error_code ec;
  // /proc/self/exe rather than argv[0]: the tool may have been found on PATH.
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  const std::string server = ServerCandidate(ec ? "" : self);
  std::vector<std::string> args = {server, "--dir", flags.dir};
  args.insert(args.end(), server_args.begin(), server_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // execvp searches PATH only for a bare name; a path is executed as is.
  ::execvp(argv[0], argv.data());
  const int err = errno;
  if (err == ENOENT) {
    return Fail(
        "kvstore-server not found beside this kvstore binary or on PATH (build the "
        "server target, or put it on PATH)");
  }
  return Fail("cannot run '" + server + "': " + std::strerror(err));
}

}  // namespace kvstore::cli
