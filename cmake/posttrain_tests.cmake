# SPDX-License-Identifier: Apache-2.0
# Helpers for the test suite: Catch2 from its package or from POSTTRAIN_DEPS_DIR, one executable
# per (group of test sources, backend) generated from one list of sources, compile-fail tests, header checks.

if(POSTTRAIN_DEPS_DIR AND EXISTS "${POSTTRAIN_DEPS_DIR}/catch2/catch.hpp")
  add_library(posttrain_catch2 INTERFACE)
  target_include_directories(posttrain_catch2 SYSTEM INTERFACE "${POSTTRAIN_DEPS_DIR}")
  set(POSTTRAIN_CATCH_DISCOVER OFF)
else()
  find_package(Catch2 2 REQUIRED)
  include(Catch)
  add_library(posttrain_catch2 INTERFACE)
  target_link_libraries(posttrain_catch2 INTERFACE Catch2::Catch2)
  set(POSTTRAIN_CATCH_DISCOVER ON)
endif()

add_library(posttrain_catch_main STATIC "${PROJECT_SOURCE_DIR}/tests/support/catch_main.cpp")
target_link_libraries(posttrain_catch_main PUBLIC posttrain_catch2)
# The tests' standard: Catch defines its std::string_view printer only when compiled as C++17 or
# later (clang's default is C++14), and the tests use it.
target_compile_features(posttrain_catch_main PUBLIC cxx_std_20)
# Catch's runner: its speed does not matter, and at -O3 it takes 40 s to compile, instrumented
# 100 s. It is third-party code, built without the project's options: not instrumented in the
# sanitizer tree either (the tests linked with it are).
target_compile_options(posttrain_catch_main PRIVATE -O0)

# Whether CUDA test binaries are registered with ctest (they are always built when CUDA is on).
set(POSTTRAIN_CUDA_TESTS_REGISTERED OFF)
if(POSTTRAIN_ENABLE_CUDA)
  if(POSTTRAIN_RUN_CUDA_TESTS STREQUAL "auto")
    execute_process(COMMAND nvidia-smi -L RESULT_VARIABLE _smi OUTPUT_QUIET ERROR_QUIET)
    if(_smi EQUAL 0)
      set(POSTTRAIN_CUDA_TESTS_REGISTERED ON)
    endif()
  elseif(POSTTRAIN_RUN_CUDA_TESTS)
    set(POSTTRAIN_CUDA_TESTS_REGISTERED ON)
  endif()
  if(NOT POSTTRAIN_CUDA_TESTS_REGISTERED)
    message(STATUS "posttrain: CUDA tests are built but not registered with ctest (no GPU seen)")
  endif()
endif()

# Registers a Catch2 executable with ctest, one ctest test per Catch2 test case when possible.
# "-w NoTests" makes a ctest test whose filter matches no test case fail instead of passing with
# nothing run (a ';', '[' or ']' in a test case's name breaks CMake's list of names into such
# filters: names avoid them).
function(posttrain_register_catch target prefix)
  if(POSTTRAIN_CATCH_DISCOVER)
    catch_discover_tests(${target} TEST_PREFIX "${prefix}" EXTRA_ARGS -w NoTests PROPERTIES LABELS "${prefix}")
  else()
    add_test(NAME ${target} COMMAND ${target})
  endif()
endfunction()

# posttrain_add_backend_tests(<group> TESTS <dir/name>... [BACKENDS <backend>...]): the test
# sources tests/<dir>/<name>.hpp, each written once against the harness, compiled together into
# one program per backend, test_<group>_<backend>, for each backend in BACKENDS that is enabled
# (default: every backend in POSTTRAIN_TEST_BACKENDS). A test is named only for the backends it
# really checks. One translation unit per group and backend, not per source: the harness, Catch
# and the backend's headers (14 s of nvcc's time for a CUDA unit, 3-6 s for a host one) are
# compiled once for the group. The ctest names are the Catch names under "<backend>/", whatever
# the grouping. `emulation` is the team-emulation backend (host memory, row kernels on emulated
# GPU teams): its program is registered once per lane count, 1, 7, 32 and 256.
function(posttrain_add_backend_tests group)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "TESTS;BACKENDS")
  set(backends ${POSTTRAIN_TEST_BACKENDS})
  if(arg_BACKENDS)
    set(backends "")
    foreach(b IN LISTS arg_BACKENDS)
      if(b STREQUAL "emulation" OR b IN_LIST POSTTRAIN_TEST_BACKENDS)
        list(APPEND backends ${b})
      endif()
    endforeach()
  endif()
  # Under the sanitizers, a module's tests run on one backend: the team emulation where the
  # module runs there (its row kernels on emulated teams, its ops the generic host ones, which
  # are the sequential backend's), else the sequential backend. The module code is the same
  # template on every backend, and each backend's own code is instrumented by its op tests,
  # which keep every backend.
  set(module_tests ${arg_TESTS})
  list(FILTER module_tests EXCLUDE REGEX "^ops/")
  if(POSTTRAIN_SANITIZE AND module_tests)
    if("emulation" IN_LIST backends)
      set(backends emulation)
    else()
      list(FILTER backends INCLUDE REGEX "^sequential$")
    endif()
  endif()
  foreach(backend IN LISTS backends)
    set(ext cpp)
    posttrain_program_backend(target_lib ${backend})
    if(backend STREQUAL "cuda")
      set(ext cu)
    elseif(backend STREQUAL "sequential" OR backend STREQUAL "emulation")
      set(target_lib posttrain::posttrain)
    endif()
    set(content "// Generated: the ${group} tests for the ${backend} backend.\n#include \"support/backend_${backend}.hpp\"\n")
    foreach(t IN LISTS arg_TESTS)
      string(APPEND content "#include \"${t}.hpp\"\n")
    endforeach()
    set(src "${CMAKE_CURRENT_BINARY_DIR}/generated/test_${group}_${backend}.${ext}")
    file(CONFIGURE OUTPUT "${src}" CONTENT "${content}")
    set(target test_${group}_${backend})
    add_executable(${target} "${src}")
    target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
    target_link_libraries(${target} PRIVATE posttrain_catch_main ${target_lib} posttrain_project_options)
    if(backend STREQUAL "emulation")
      foreach(lanes 1 7 32 256)
        add_test(NAME emulation${lanes}/${target} COMMAND ${target})
        set_tests_properties(emulation${lanes}/${target} PROPERTIES
          ENVIRONMENT "POSTTRAIN_EMULATION_LANES=${lanes}" LABELS "emulation")
      endforeach()
    elseif(NOT backend STREQUAL "cuda" OR POSTTRAIN_CUDA_TESTS_REGISTERED)
      posttrain_register_catch(${target} "${backend}/")
    endif()
  endforeach()
endfunction()

# posttrain_add_compile_fail(<source> <regex> <libs...>): the source must compile as is and must
# fail to compile with POSTTRAIN_EXPECT_FAIL defined, with a diagnostic matching <regex>.
# Compile-time checks are the same with any flags: the sanitizer tree leaves them to the other.
function(posttrain_add_compile_fail source regex)
  if(POSTTRAIN_SANITIZE)
    return()
  endif()
  get_filename_component(name "${source}" NAME_WE)
  add_library(compile_ok_${name} OBJECT "${source}")
  target_link_libraries(compile_ok_${name} PRIVATE ${ARGN})
  add_library(compile_fail_${name} OBJECT EXCLUDE_FROM_ALL "${source}")
  target_link_libraries(compile_fail_${name} PRIVATE ${ARGN})
  target_compile_definitions(compile_fail_${name} PRIVATE POSTTRAIN_EXPECT_FAIL)
  add_test(NAME compile_fail/${name}
           COMMAND "${CMAKE_COMMAND}" --build "${CMAKE_BINARY_DIR}" --target compile_fail_${name})
  set_tests_properties(compile_fail/${name} PROPERTIES PASS_REGULAR_EXPRESSION "${regex}" LABELS compile_fail)
endfunction()

# posttrain_add_header_check(<target> <header root> <glob> <ext> <libs...>): one translation unit
# per header that includes it alone (twice, for the include guard), built as part of `all`.
function(posttrain_add_header_check target root glob ext)
  if(POSTTRAIN_SANITIZE)
    return()
  endif()
  file(GLOB_RECURSE headers RELATIVE "${root}" CONFIGURE_DEPENDS "${root}/${glob}")
  # default_backend.hpp needs posttrain::default; tests/core/default_backend.cpp compiles it.
  list(FILTER headers EXCLUDE REGEX "default_backend\\.hpp$")
  set(sources "")
  foreach(h IN LISTS headers)
    string(MAKE_C_IDENTIFIER "${h}" id)
    set(src "${CMAKE_CURRENT_BINARY_DIR}/header_check/${id}.${ext}")
    file(CONFIGURE OUTPUT "${src}" CONTENT "#include <${h}>\n#include <${h}>\n")
    list(APPEND sources "${src}")
  endforeach()
  add_library(${target} OBJECT ${sources})
  target_link_libraries(${target} PRIVATE ${ARGN})
endfunction()
