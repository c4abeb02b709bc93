# Writes OUTPUT from INPUT with @SUITE_VERSION@ and @SUITE_COMMIT@ filled in: the commit of the
# checkout in SOURCE_DIR, or "unknown" outside one (a tarball). Run at every build; the file is
# rewritten, and what includes it rebuilt, only when the commit changed.
execute_process(
  COMMAND git -C ${SOURCE_DIR} rev-parse --short=7 HEAD
  OUTPUT_VARIABLE SUITE_COMMIT
  OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET
  RESULT_VARIABLE status)
if(NOT status EQUAL 0 OR SUITE_COMMIT STREQUAL "")
  set(SUITE_COMMIT unknown)
endif()
configure_file(${INPUT} ${OUTPUT} @ONLY)
