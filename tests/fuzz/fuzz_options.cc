// Copyright (c) the kvstore developers.
//
// Default sanitizer options baked into the fuzz targets, so that running one
// by hand behaves like scripts/fuzz.sh: a UBSan report stops the run (it is a
// finding), except for the third-party report listed in ubsan.supp.
// UBSAN_OPTIONS / ASAN_OPTIONS in the environment still override these.
// A 16 MiB ASan quarantine (default 256) keeps use-after-free detection
// within an execution while halving the cost of the many small stores each
// execution opens and closes.

extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" KVSTORE_FUZZ_UBSAN_SUPP;
}

extern "C" const char* __asan_default_options() {
  return "detect_leaks=1:quarantine_size_mb=16";
}
