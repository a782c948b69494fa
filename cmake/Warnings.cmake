# Project-wide warning and sanitizer flags, applied through one interface target.
add_library(tapstack_options INTERFACE)
target_compile_options(tapstack_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough)
if(TAPSTACK_WERROR)
  target_compile_options(tapstack_options INTERFACE -Werror)
endif()
if(TAPSTACK_SANITIZE)
  target_compile_options(tapstack_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(tapstack_options INTERFACE -fsanitize=address,undefined)
endif()
