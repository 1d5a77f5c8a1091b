// SPDX-License-Identifier: Apache-2.0
// The .npy reader on arbitrary files: rows read, or a parse_error naming the file; never more
// elements than the file holds.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <posttrain/io/npy.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/posttrain_fuzz_npy_" + std::to_string(::getpid()) + ".npy";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    posttrain::io::npy_reader reader(path);
    std::vector<double> rows;
    std::size_t elements = 0;
    while (const auto n = reader.read_rows(64, rows)) {
      POSTTRAIN_FUZZ_CHECK(rows.size() == std::size_t(n) * std::size_t(reader.cols()));
      elements += rows.size();
    }
    POSTTRAIN_FUZZ_CHECK(elements * std::size_t(reader.item_size()) <= size);
  } catch (const posttrain::parse_error&) {
  }
  return 0;
}
