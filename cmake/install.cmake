# Install rules (included from the top-level CMakeLists.txt when KVSTORE_INSTALL):
#   bin/kvstore, bin/kvstore-server                       component server
#   lib/libkvstore.so.<SOVERSION>                          component lib
#   include/kvstore/*.h (with the generated version.h),
#   lib/libkvstore.a, lib/libkvstore.so,
#   lib/cmake/kvstore/, lib/pkgconfig/kvstore.pc          component dev
#   share/man/man1/kvstore.1, kvstore-server.1            component server
# cmake/packaging.cmake turns the components into Debian packages.
include(CMakePackageConfigHelpers)

if(KVSTORE_BUILD_PROGRAMS)
  install(TARGETS kvstore_cli kvstore-server
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
  install(FILES docs/man/kvstore.1 docs/man/kvstore-server.1
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT server)
endif()

set(_kvstore_lib_targets kvstore)
if(TARGET kvstore_shared)
  list(APPEND _kvstore_lib_targets kvstore_shared)
endif()
install(TARGETS ${_kvstore_lib_targets} EXPORT kvstoreTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/kvstore DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/kvstore/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kvstore COMPONENT dev)

set(KVSTORE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/kvstore)
install(EXPORT kvstoreTargets NAMESPACE kvstore:: DESTINATION ${KVSTORE_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(cmake/kvstoreConfig.cmake.in
  ${PROJECT_BINARY_DIR}/kvstoreConfig.cmake INSTALL_DESTINATION ${KVSTORE_CMAKE_DIR})
# 0.x releases are not compatible with each other; from 1.0 on, SameMajorVersion.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_kvstore_compat SameMinorVersion)
else()
  set(_kvstore_compat SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/kvstoreConfigVersion.cmake
  COMPATIBILITY ${_kvstore_compat})
install(FILES ${PROJECT_BINARY_DIR}/kvstoreConfig.cmake ${PROJECT_BINARY_DIR}/kvstoreConfigVersion.cmake
  DESTINATION ${KVSTORE_CMAKE_DIR} COMPONENT dev)

# The .pc file finds the prefix relative to itself, so that the tree can be
# installed anywhere (cmake --install --prefix DIR, DESTDIR).
file(RELATIVE_PATH KVSTORE_PC_TO_PREFIX
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" KVSTORE_PC_TO_PREFIX "${KVSTORE_PC_TO_PREFIX}")
configure_file(cmake/kvstore.pc.in ${PROJECT_BINARY_DIR}/kvstore.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/kvstore.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The service: systemd unit, example config, logrotate snippet (packaging/).
configure_file(packaging/kvstore-server.service.in ${PROJECT_BINARY_DIR}/kvstore-server.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/kvstore-server.service
  DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system COMPONENT server)
install(FILES packaging/kvstore.conf
  DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/kvstore COMPONENT server)
install(FILES packaging/kvstore-server.logrotate
  DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d RENAME kvstore-server COMPONENT server)

include(cmake/packaging.cmake)
