# Debian packages with CPack (`scripts/dev package`, i.e. configure with
# -DCMAKE_INSTALL_PREFIX=/usr, build, `cpack -G DEB`), one per install component:
#   kvstore-server   the server and the tool, man pages, systemd unit, config
#                    example, logrotate snippet; creates the kvstore user.
#                    Its binaries link the library statically: it depends on
#                    no library package of ours.
#   libkvstore<SOVERSION>  the shared library
#   libkvstore-dev   headers, libkvstore.a, libkvstore.so, CMake package, kvstore.pc
set(CPACK_PACKAGE_NAME kvstore)
set(CPACK_PACKAGE_VENDOR "the kvstore developers")
set(CPACK_PACKAGE_CONTACT "kvstore developers <kvstore@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Durable in-memory key-value store with a Redis-protocol server")
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server lib dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS OFF)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME kvstore-server)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION database)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "redis-tools, logrotate")
set(CPACK_COMPONENT_SERVER_DESCRIPTION
  "kvstore-server serves a durable in-memory key-value store over the Redis\n protocol; kvstore inspects, checks and edits its data directory.")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libkvstore${KVSTORE_SOVERSION})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_LIB_DESCRIPTION "kvstore: durable in-memory key-value store (shared library)")
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/packaging/triggers)
file(WRITE ${PROJECT_BINARY_DIR}/packaging/triggers "activate-noawait ldconfig\n")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libkvstore-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
# The shared library, and what linking the static one needs.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libkvstore${KVSTORE_SOVERSION} (= ${PROJECT_VERSION}-1), libabsl-dev, libsimdjson-dev, libmimalloc-dev, libspdlog-dev, pkg-config")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "kvstore: durable in-memory key-value store (development files)\n Headers, static library, CMake package (find_package(kvstore)) and\n pkg-config file.")

include(CPack)
