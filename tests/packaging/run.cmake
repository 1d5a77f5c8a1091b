# SPDX-License-Identifier: Apache-2.0
# Installs the build tree into a scratch prefix, then checks what a user of the package gets: the
# licence and changelog, pkg-config (a core-only program built with its flags alone), and two
# CMake consumers (tests/packaging/CMakeLists.txt) that only know find_package(posttrain ...).
set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok ${out}")
  set(out "${out}" PARENT_SCOPE)
endfunction()

run("install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(f share/doc/posttrain/LICENSE share/doc/posttrain/CHANGELOG.md share/pkgconfig/posttrain.pc)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "the install has no ${f}")
  endif()
endforeach()

set(ENV{PKG_CONFIG_PATH} "${prefix}/share/pkgconfig")
run("pkg-config --modversion" pkg-config --modversion posttrain)
string(STRIP "${out}" modversion)
if(NOT modversion STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config says version '${modversion}', the project is ${VERSION}")
endif()
run("pkg-config --cflags" pkg-config --cflags posttrain)
string(STRIP "${out}" cflags)
separate_arguments(cflags UNIX_COMMAND "${cflags}")
run("compile with pkg-config's flags" "${CXX}" -std=c++20 ${cflags} "${SOURCE_DIR}/core_pkg_config.cpp"
    -o "${WORK_DIR}/core_pkg_config")
run("run the pkg-config consumer" "${WORK_DIR}/core_pkg_config" "${VERSION}")

foreach(consumer eigen xtensor_default)
  set(build "${WORK_DIR}/build-${consumer}")
  run("configure the ${consumer} consumer" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${build}" -G Ninja
      "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release -DCONSUMER=${consumer})
  run("build the ${consumer} consumer" "${CMAKE_COMMAND}" --build "${build}")
  run("run the ${consumer} consumer" "${build}/app")
endforeach()
