// SPDX-License-Identifier: Apache-2.0
#pragma once
// Opening an input file the same way everywhere. A directory, a missing file or an unreadable
// one is a posttrain::runtime_error naming the path; without the check a directory opens and
// reads as empty.
//   std::ifstream in = io::open_input_file(path);               text
//   std::ifstream in = io::open_input_file(path, std::ios::binary);

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "../core/error.hpp"

namespace posttrain::io {

inline std::ifstream open_input_file(const std::string& path, std::ios::openmode mode = std::ios::in) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(status)) throw runtime_error(path + ": is a directory, not a file");
  std::ifstream in(path, mode | std::ios::in);
  if (!in)
    throw runtime_error(path + (std::filesystem::exists(status) ? ": cannot open the file (no permission to read it?)"
                                                                : ": cannot open the file (no such file)"));
  return in;
}

/// Drops a line's CR (CRLF files) and, on line 1, a UTF-8 byte-order mark.
inline void strip_line_end(std::string& line, long line_no) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
}

/// The size in bytes of a regular file; -1 for anything else (a pipe, a device).
inline long long regular_file_size(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return -1;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<long long>(size);
}

}  // namespace posttrain::io
