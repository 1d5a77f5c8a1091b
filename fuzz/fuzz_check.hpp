// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the harnesses share: an invariant that aborts (so libFuzzer records the input), and the
// UTF-8 validity check of an output.

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <posttrain/text/utf8.hpp>

#define POSTTRAIN_FUZZ_CHECK(condition)                                                              \
  do {                                                                                               \
    if (!(condition)) {                                                                              \
      std::fprintf(stderr, "invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #condition);       \
      std::abort();                                                                                  \
    }                                                                                                \
  } while (false)

inline bool valid_utf8(std::string_view s) { return posttrain::text::decode_utf8(s).invalid_bytes == 0; }
