// SPDX-License-Identifier: Apache-2.0
#pragma once
// Error types. Every check at an API boundary throws one of these with the operation, the
// argument, the shapes and, where it applies, the position in the message.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace posttrain {

/// Base of every exception the library throws on bad input.
struct error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// Extents that do not fit together (or an unsupported layout).
struct shape_error : error {
  using error::error;
};

/// A value outside its domain: a label outside [0, V), k > V, a NaN where none is allowed.
struct value_error : error {
  using error::error;
};

/// A failure of the runtime underneath (a CUDA or cuBLAS call, an allocation).
struct runtime_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A malformed record in an input file: file, line and column (1-based) are in the message.
struct parse_error : error {
  /// line = 0: the error concerns the whole file (a binary header, say) and only the file is named.
  parse_error(std::string file, long line, long column, const std::string& what)
      : error(line > 0 ? file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what
                       : file + ": " + what),
        file_(std::move(file)), line_(line), column_(column) {}
  const std::string& file() const noexcept { return file_; }
  long line() const noexcept { return line_; }
  long column() const noexcept { return column_; }

 private:
  std::string file_;
  long line_;
  long column_;
};

namespace detail {

/// Concatenates streamable pieces into one message.
template <class... Parts>
std::string message(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

}  // namespace detail
}  // namespace posttrain
