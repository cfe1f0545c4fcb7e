# Included by the top-level CMakeLists.txt once decoder/, capture, proxy and siptap exist.
# Writes the layering rules (decoder/'s from its layer declarations, the rest here) to
# <build>/layers.txt and checks every include against them whenever a checked file changes;
# every library and siptap depend on the check, so an include against the grain fails the
# build with a line naming the file, the include and the rule (cmake/check_layers.cmake).
get_property(layer_rules GLOBAL PROPERTY SIPTAP_LAYER_RULES)
list(APPEND layer_rules
  "capture: decoder"               # capture and proxy never include each other
  "proxy: decoder"
  "cli: decoder capture proxy")    # decoder/ includes none of these three
list(JOIN layer_rules "\n" layer_rules_text)
set(SIPTAP_LAYER_RULES_FILE ${PROJECT_BINARY_DIR}/layers.txt)
# Rewritten only when the rules change, so an unchanged tree is not checked again.
file(CONFIGURE OUTPUT ${SIPTAP_LAYER_RULES_FILE}
     CONTENT "# folder: folders it may include (written by cmake/layering.cmake)\n${layer_rules_text}\n")

file(GLOB_RECURSE layered_files CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/decoder/*.?pp ${PROJECT_SOURCE_DIR}/capture/*.?pp
     ${PROJECT_SOURCE_DIR}/proxy/*.?pp ${PROJECT_SOURCE_DIR}/cli/*.?pp)
set(layering_stamp ${PROJECT_BINARY_DIR}/layering.stamp)
add_custom_command(OUTPUT ${layering_stamp}
  COMMAND ${CMAKE_COMMAND} -D ROOT=${PROJECT_SOURCE_DIR} -D RULES=${SIPTAP_LAYER_RULES_FILE}
          -D STAMP=${layering_stamp} -P ${PROJECT_SOURCE_DIR}/cmake/check_layers.cmake
  DEPENDS ${layered_files} ${SIPTAP_LAYER_RULES_FILE} ${PROJECT_SOURCE_DIR}/cmake/check_layers.cmake
  COMMENT "Checking includes against the layering (${SIPTAP_LAYER_RULES_FILE})"
  VERBATIM)
add_custom_target(layering_check DEPENDS ${layering_stamp})
foreach(target capture proxy siptap)
  if(TARGET ${target})
    add_dependencies(${target} layering_check)
  endif()
endforeach()
