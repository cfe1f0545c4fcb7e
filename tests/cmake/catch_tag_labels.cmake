# Run after a Catch2 v2 test executable is built (POST_BUILD): writes LABELS for the tests
# catch_discover_tests found in it, so that `ctest -L proxy` or `ctest -L slow` picks an area.
# Each test gets its folder's label and one label per Catch tag (without the brackets).
# Catch2 v2 cannot list a test's tags in a form safe to parse (its --list-tests wraps long
# names), so it is asked per tag: --list-test-names-only "[tag]" prints one whole name per line.
#
# In: TEST_EXECUTABLE, TEST_PREFIX, FOLDER, LABELS_FILE.
execute_process(COMMAND "${TEST_EXECUTABLE}" --list-tags OUTPUT_VARIABLE tag_listing RESULT_VARIABLE status)
if(status LESS 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --list-tags failed: ${status}")
endif()
string(REGEX MATCHALL "\\[[^]\n]+\\]" tags "${tag_listing}")
list(REMOVE_DUPLICATES tags)

set(labelled "")
# Adds `label` to each test named in `listing` (one name per line).
macro(label_tests label listing)
  string(REPLACE ";" "\\;" names "${listing}")  # names may hold semicolons
  string(REPLACE "\n" ";" names "${names}")
  foreach(name IN LISTS names)
    if(name STREQUAL "")
      continue()
    endif()
    # One variable per test, named by its hash: names hold brackets, commas and quotes.
    string(SHA1 key "${name}")
    if(NOT DEFINED labels_${key})
      set(name_${key} "${name}")
      list(APPEND labelled "${key}")
    endif()
    list(APPEND labels_${key} "${label}")
  endforeach()
endmacro()

execute_process(COMMAND "${TEST_EXECUTABLE}" --list-test-names-only OUTPUT_VARIABLE all_names)
label_tests("${FOLDER}" "${all_names}")
foreach(tag IN LISTS tags)
  string(REGEX REPLACE "^\\[\\.?(.*)\\]$" "\\1" label "${tag}")  # a hidden tag's label is its name
  execute_process(COMMAND "${TEST_EXECUTABLE}" "${tag}" --list-test-names-only OUTPUT_VARIABLE tagged)
  if(NOT label STREQUAL "")
    label_tests("${label}" "${tagged}")
  endif()
endforeach()

set(script "")
foreach(key IN LISTS labelled)
  list(REMOVE_DUPLICATES labels_${key})
  string(APPEND script "set_tests_properties([==[${TEST_PREFIX}${name_${key}}]==] PROPERTIES LABELS \"${labels_${key}}\")\n")
endforeach()
file(WRITE "${LABELS_FILE}" "${script}")
