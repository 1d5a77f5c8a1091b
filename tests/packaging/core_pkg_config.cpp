// SPDX-License-Identifier: Apache-2.0
// Built with only `pkg-config --cflags posttrain`: the core headers, no CMake.
#include <cstdio>
#include <cstring>

#include <posttrain/core.hpp>

int main(int argc, char** argv) {
  std::printf("pkg-config consumer: posttrain %s\n", POSTTRAIN_VERSION_STRING);
  return (argc == 2 && std::strcmp(argv[1], POSTTRAIN_VERSION_STRING) == 0) ? 0 : 1;
}
