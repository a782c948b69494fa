# tapstack_install_with_paths(SOURCE <file> DESTINATION <dir> [RENAME <name>] [PROGRAM]
#                             REPLACE <text> <installed path> [<text> <installed path>...])
#
# Installs <file> with every <text> replaced by where <installed path> ends up. The paths are
# resolved when `cmake --install` runs, not when CMake configures: `--prefix` may move the
# install tree, and files such as tapstack-run must name the library where it was installed.
# Relative paths (and DESTINATION) are taken from the install prefix, as install() does;
# DESTDIR is applied by file(INSTALL) and, as it should be, does not appear in the text.
function(tapstack_install_with_paths)
  cmake_parse_arguments(PARSE_ARGV 0 arg "PROGRAM" "SOURCE;DESTINATION;RENAME" "REPLACE")
  cmake_path(ABSOLUTE_PATH arg_SOURCE BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  cmake_path(GET arg_SOURCE FILENAME name)
  if(arg_RENAME)
    set(name ${arg_RENAME})
  endif()
  list(LENGTH arg_REPLACE count)
  math(EXPR odd "${count} % 2")
  if(count EQUAL 0 OR odd)
    message(FATAL_ERROR "tapstack_install_with_paths(${name}): REPLACE takes <text> <path> pairs")
  endif()
  set(type FILE)
  if(arg_PROGRAM)
    set(type PROGRAM)
  endif()
  # The install-time text is staged in the build tree, then installed like any other file.
  set(staged ${CMAKE_CURRENT_BINARY_DIR}/install-staged/${name})

  # Install-time code: tapstack_path is resolved against the prefix `cmake --install` uses.
  set(resolve "cmake_path(ABSOLUTE_PATH tapstack_path BASE_DIRECTORY \"\${CMAKE_INSTALL_PREFIX}\"")
  string(APPEND resolve " NORMALIZE)\n")
  set(code "file(READ [[${arg_SOURCE}]] tapstack_text)\n")
  while(arg_REPLACE)
    list(POP_FRONT arg_REPLACE text path)
    string(APPEND code "set(tapstack_path [[${path}]])\n" "${resolve}"
      "string(REPLACE [[${text}]] \"\${tapstack_path}\" tapstack_text \"\${tapstack_text}\")\n")
  endwhile()
  string(APPEND code "file(WRITE [[${staged}]] \"\${tapstack_text}\")\n"
    "set(tapstack_path [[${arg_DESTINATION}]])\n" "${resolve}"
    "file(INSTALL DESTINATION \"\${tapstack_path}\" TYPE ${type} FILES [[${staged}]])\n")
  install(CODE "${code}")
endfunction()
