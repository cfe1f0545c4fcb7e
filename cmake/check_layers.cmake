# The layering check: fails when a file includes a header from a folder its layer may not use.
#   cmake -D ROOT=<source tree> -D RULES=<rules file> [-D STAMP=<file>] -P check_layers.cmake
# RULES holds one line per checked folder, "folder: allowed-folder ...", e.g.
#   decoder/sip: decoder/model decoder/base
# A file belongs to the longest rule folder its path starts with, and so does an included
# path ("decoder/sinks/text_sink.hpp" is in decoder/sinks). An include is allowed within the
# same folder, into an allowed folder or a folder under one ("decoder" allows decoder/sip),
# and always when it names no rule folder (system and library headers). Each violation is one
# line naming the file, the include and the rule; STAMP is touched only when none is found,
# so the build runs the check again until it passes.
cmake_minimum_required(VERSION 3.25)
if(NOT ROOT OR NOT RULES)
  message(FATAL_ERROR "usage: cmake -D ROOT=<tree> -D RULES=<file> [-D STAMP=<file>] -P check_layers.cmake")
endif()

# Relative to the working directory, as the caller means it; a wrong root must not pass.
get_filename_component(ROOT "${ROOT}" ABSOLUTE)
file(STRINGS "${RULES}" rule_lines REGEX "^[^#].*:")
set(folders "")
foreach(line IN LISTS rule_lines)
  string(REGEX MATCH "^([^:]+):(.*)$" _ "${line}")
  string(STRIP "${CMAKE_MATCH_1}" folder)
  string(STRIP "${CMAKE_MATCH_2}" allowed)
  string(REGEX REPLACE "[ \t]+" ";" allowed "${allowed}")
  list(APPEND folders "${folder}")
  set("allows_${folder}" "${allowed}")
endforeach()
# Longest first, so the first folder a path starts with is its own.
list(SORT folders COMPARE STRING ORDER DESCENDING)

# Sets ${out} to the rule folder `path` lies in, or "" when it lies in none.
function(folder_of path out)
  foreach(folder IN LISTS folders)
    string(FIND "${path}" "${folder}/" at)
    if(at EQUAL 0)
      set(${out} "${folder}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

set(violations 0)
set(checked 0)
foreach(folder IN LISTS folders)
  file(GLOB_RECURSE files RELATIVE "${ROOT}" "${ROOT}/${folder}/*.cpp" "${ROOT}/${folder}/*.hpp" "${ROOT}/${folder}/*.h")
  foreach(file IN LISTS files)
    folder_of("${file}" own)
    if(NOT own STREQUAL folder)
      continue()  # checked with its deeper folder
    endif()
    math(EXPR checked "${checked} + 1")
    file(STRINGS "${ROOT}/${file}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]+\"")
    foreach(include IN LISTS includes)
      string(REGEX MATCH "\"([^\"]+)\"" _ "${include}")
      set(path "${CMAKE_MATCH_1}")
      folder_of("${path}" target)
      if(target STREQUAL "" OR target STREQUAL folder)
        continue()
      endif()
      set(ok FALSE)
      foreach(allowed IN LISTS "allows_${folder}")
        if(target STREQUAL allowed OR target MATCHES "^${allowed}/")
          set(ok TRUE)
        endif()
      endforeach()
      if(NOT ok)
        list(JOIN "allows_${folder}" ", " rule)
        if(rule STREQUAL "")
          set(rule "nothing outside itself")
        endif()
        message(NOTICE "${file}: #include \"${path}\" goes against the layering: ${folder}/ may include only ${rule}")
        math(EXPR violations "${violations} + 1")
      endif()
    endforeach()
  endforeach()
endforeach()

if(checked EQUAL 0)
  message(FATAL_ERROR "layering check: no file found under ${ROOT} in the folders of ${RULES}")
endif()
if(violations GREATER 0)
  message(NOTICE "layering check: ${violations} include(s) against the grain (rules: ${RULES})")
  message(FATAL_ERROR "layering check failed")
endif()
if(STAMP)
  file(TOUCH "${STAMP}")
endif()
