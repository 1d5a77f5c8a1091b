// SPDX-License-Identifier: Apache-2.0
#pragma once
// The skeleton every `posttrain <command>` shares: a registry of commands, the argument parser
// (examples/common/arguments.hpp, which the examples use too), and the exit-code convention
// (0 done, 1 bad data or a failure, 2 bad usage with a one-line message on stderr).

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <posttrain/io/files.hpp>

#include "../common/arguments.hpp"

namespace posttrain::cli {

/// Standard output has failed (a full disk, a closed descriptor): an error naming it, so that no
/// command exits 0 having lost its results. Streaming commands call this after each batch, so a
/// long run stops soon after the first failed write; main calls flush_stdout at the end.
inline void check_stdout(int code = 0) {
  if (std::ferror(stdout) || !std::cout)
    throw std::runtime_error(std::string("writing to standard output failed") +
                             (code != 0 ? std::string(" (") + std::strerror(code) + ")" : std::string()));
}

inline void flush_stdout() {
  errno = 0;
  std::cout.flush();  // with stdio synchronised, this is fflush(stdout)
  std::fflush(stdout);
  check_stdout(errno);
}

/// The cap on one input line's size, --max-line-bytes (default 16 MiB): what one record may cost
/// in memory is a small multiple of it, so a stray 100 MB line is an error, not gigabytes.
inline std::size_t max_line_bytes(const arguments& args) {
  return static_cast<std::size_t>(integer_option(args, "max-line-bytes", 16 << 20, 1, 1LL << 40));
}

/// The file `name`, or standard input for "-"; `file` keeps the stream open.
inline std::istream& open_or_stdin(const std::string& name, std::unique_ptr<std::ifstream>& file) {
  if (name == "-") return std::cin;
  file = std::make_unique<std::ifstream>(io::open_input_file(name));
  return *file;
}

struct command {
  std::string name;
  std::string summary;                  // one line, for `posttrain --help`
  std::string usage;                    // the full help text of `posttrain <name> --help`
  std::vector<std::string> options;     // --name value
  std::vector<std::string> flags;       // --name
  std::function<int(const arguments&)> run;
};

/// The commands, in the order `posttrain --help` lists them.
inline std::vector<command>& registry() {
  static std::vector<command> commands;
  return commands;
}

/// Registers a command at static-initialisation time: `static const bool r = add(command{...});`
inline bool add(command c) {
  registry().push_back(std::move(c));
  return true;
}

}  // namespace posttrain::cli
