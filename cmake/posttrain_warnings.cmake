# Flags for the project's own targets (tests, examples, benchmarks); never exported.
add_library(posttrain_project_options INTERFACE)
target_compile_options(posttrain_project_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-maybe-uninitialized -Wno-uninitialized -march=native>
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall --expt-relaxed-constexpr>)
if(POSTTRAIN_SANITIZE)
  target_compile_options(posttrain_project_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer>)
  target_link_options(posttrain_project_options INTERFACE -fsanitize=address,undefined)
endif()
