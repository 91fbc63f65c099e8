#!/usr/bin/env bash
# Installs a built tree into a temporary prefix and builds examples/basic.cc
# and examples/data_dir.cc as a separate project against it, three ways, then
# runs each program:
#   1. CMake, find_package(kvstore CONFIG), target kvstore::kvstore (shared)
#   2. CMake, target kvstore::kvstore_static
#   3. pkg-config (shared), plain g++ command line
#   4. pkg-config --static, against libkvstore.a
#   5. add_subdirectory() of the source tree from a parent project that uses
#      CTest: kvstore's tests, benchmarks, examples and programs stay out
#
#   tests/package/consumer_test.sh [BUILD_DIR]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
export KVSTORE_LOG_LEVEL=warn

cmake --build "$build" --target kvstore kvstore_shared kvstore_cli kvstore-server >/dev/null
cmake --install "$build" --prefix "$prefix" >/dev/null
echo "installed into $prefix:"
(cd "$prefix" && find . -type f -o -type l | sort | sed 's/^/  /')
libdir=$(dirname "$(dirname "$(find "$prefix" -name kvstore.pc)")")

# Each example must do its job, not only start: basic prints the value it set,
# data_dir counts visits across two runs of the same directory.
run_examples() {  # directory holding example_basic and example_data_dir
  mkdir -p "$work/run"
  rm -rf "$work/run"/*
  "$1/example_basic" "$work/run" | grep -q 'key = value'
  "$1/example_data_dir" "$work/run/data" >/dev/null
  "$1/example_data_dir" "$work/run/data" | grep -q 'visits = 6'
}

# 1 and 2: a CMake project of its own.
mkdir -p "$work/cmake-project"
cat >"$work/cmake-project/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(kvstore_consumer LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(kvstore 0.1 CONFIG REQUIRED)
if(NOT DEFINED KVSTORE_TARGET)
  set(KVSTORE_TARGET kvstore::kvstore)
endif()
add_executable(example_basic $src/examples/basic.cc)
target_link_libraries(example_basic PRIVATE \${KVSTORE_TARGET})
add_executable(example_data_dir $src/examples/data_dir.cc)
target_link_libraries(example_data_dir PRIVATE \${KVSTORE_TARGET})
CMAKE
for target in kvstore::kvstore kvstore::kvstore_static; do
  b=$work/cmake-build-${target#kvstore::}
  cmake -S "$work/cmake-project" -B "$b" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
    -DKVSTORE_TARGET=$target >/dev/null
  cmake --build "$b" >/dev/null
  if [ $target = kvstore::kvstore ]; then
    # Linked against the installed shared library, found through its RUNPATH-free
    # path only when told: prove it is the installed one.
    LD_LIBRARY_PATH=$libdir ldd "$b/example_basic" | grep -q "$libdir/libkvstore.so.0"
    LD_LIBRARY_PATH=$libdir run_examples "$b"
  else
    ! ldd "$b/example_basic" | grep -q libkvstore
    run_examples "$b"
  fi
  echo "ok   find_package(kvstore CONFIG), $target"
done

# 3: pkg-config.
b=$work/pkg-config-build
mkdir -p "$b"
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --modversion kvstore)" = "$(sed -n 's/.*KVSTORE_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/kvstore/version.h")" ]
for ex in basic data_dir; do
  # shellcheck disable=SC2046  # pkg-config's output is a list of words
  ${CXX:-g++} -std=c++20 -o "$b/example_$ex" "$src/examples/$ex.cc" $(pkg-config --cflags --libs kvstore)
done
LD_LIBRARY_PATH=$libdir run_examples "$b"
echo "ok   pkg-config kvstore"

# 4: pkg-config --static against libkvstore.a: Requires.private and
# Libs.private must name everything the static library needs.
b=$work/pkg-config-static
mkdir -p "$b"
for ex in basic data_dir; do
  # shellcheck disable=SC2046
  ${CXX:-g++} -std=c++20 -o "$b/example_$ex" "$src/examples/$ex.cc" \
    $(pkg-config --static --cflags --libs kvstore | sed "s|-lkvstore |$libdir/libkvstore.a |")
done
! ldd "$b/example_basic" | grep -q libkvstore
run_examples "$b"
echo "ok   pkg-config --static kvstore"

# 5: add_subdirectory() from a parent project with BUILD_TESTING on: only the
# library is configured and built.
mkdir -p "$work/parent"
cat >"$work/parent/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(parent LANGUAGES CXX)
include(CTest)
set(CMAKE_CXX_STANDARD 20)
add_subdirectory($src kvstore)
add_executable(example_basic $src/examples/basic.cc)
target_link_libraries(example_basic PRIVATE kvstore::kvstore)
add_executable(example_data_dir $src/examples/data_dir.cc)
target_link_libraries(example_data_dir PRIVATE kvstore::kvstore)
CMAKE
b=$work/parent-build
cmake -S "$work/parent" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
targets=$(cmake --build "$b" --target help)
for t in kvstore_tests kvstore_bench kvstore-server kvstore_cli; do
  if grep -q "^$t:" <<<"$targets"; then
    echo "FAIL add_subdirectory: the parent gets kvstore's target $t"; exit 1
  fi
done
cmake --build "$b" >/dev/null
run_examples "$b"
echo "ok   add_subdirectory() from a parent project: library only"
