# API documentation: `cmake --build build --target docs` writes HTML of the
# public headers (include/kvstore/) to build/docs/html. Doxygen is configured
# to fail on any public declaration without a doc comment, so the target is
# also the check CI runs (tests/package/doxygen_check.sh).
find_program(KVSTORE_DOXYGEN doxygen)
find_package(Python3 COMPONENTS Interpreter)
if(KVSTORE_DOXYGEN)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/Doxyfile.in ${PROJECT_BINARY_DIR}/docs/Doxyfile @ONLY)
  add_custom_target(docs
    COMMAND ${KVSTORE_DOXYGEN} ${PROJECT_BINARY_DIR}/docs/Doxyfile
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs
    COMMENT "Doxygen: API documentation of include/kvstore in docs/html"
    VERBATIM)
else()
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E echo "doxygen not found (apt install doxygen)"
    COMMAND ${CMAKE_COMMAND} -E false
    VERBATIM)
endif()
