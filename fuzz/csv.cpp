// SPDX-License-Identifier: Apache-2.0
// The CSV/TSV reader and its number parsing on arbitrary bytes: a record or a parse_error, never
// a crash; every field of a record comes from the input.
#include <cstdint>
#include <sstream>
#include <string>

#include <posttrain/io/csv.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char delimiter : {',', '\t'}) {
    std::istringstream in(text);
    posttrain::io::csv_reader reader(in, "fuzz.csv", {.delimiter = delimiter});
    try {
      std::size_t fields = 0;
      while (auto rec = reader.next()) {
        POSTTRAIN_FUZZ_CHECK(rec->fields.size() == rec->columns.size());
        for (std::size_t f = 0; f < rec->fields.size(); ++f) {
          fields += rec->fields[f].size();
          try {
            (void)posttrain::io::parse_number(*rec, f, "fuzz.csv");
          } catch (const posttrain::parse_error&) {
          }
        }
      }
      POSTTRAIN_FUZZ_CHECK(fields <= size);  // fields hold input bytes, unquoted
    } catch (const posttrain::parse_error&) {
    }
  }
  return 0;
}
