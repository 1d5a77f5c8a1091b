// SPDX-License-Identifier: Apache-2.0
#pragma once
// The examples' command lines, parsed as the `posttrain` tool parses its own
// (examples/common/arguments.hpp): `--name value` or `--name=value`, underscores as hyphens,
// `--help`. An unknown option, a stray argument or a bad value is one line on stderr and exit
// status 2, as in the tool.

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "arguments.hpp"

namespace examples {

class command_line {
 public:
  /// Parses argv against the options the example takes; prints `usage` and exits 0 on --help.
  command_line(int argc, char** argv, std::string usage, std::vector<std::string> options,
               std::vector<std::string> flags = {})
      : program_(argc > 0 ? argv[0] : "example"), usage_(std::move(usage)) {
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    for (const auto& a : args)
      if (a == "--help" || a == "-h") {
        std::puts(usage_.c_str());
        std::exit(0);
      }
    try {
      parsed_.emplace(args, std::move(options), std::move(flags));
    } catch (const posttrain::cli::usage_error& e) {
      fail(e.what());
    }
    if (!parsed_->positional().empty()) fail("unexpected argument '" + parsed_->positional().front() + "'");
  }

  /// --name's value as given, or the fallback.
  std::string text(const std::string& name, const std::string& fallback) const {
    return parsed_->option(name).value_or(fallback);
  }
  /// --name as a finite number, or the fallback.
  double number(const std::string& name, double fallback) const {
    try {
      return posttrain::cli::number_option(*parsed_, name, fallback);
    } catch (const posttrain::cli::usage_error& e) {
      fail(e.what());
    }
  }
  /// --name as a whole number in [min, max], or the fallback.
  long long whole(const std::string& name, long long fallback, long long min = 0,
                  long long max = std::numeric_limits<long long>::max()) const {
    try {
      return posttrain::cli::integer_option(*parsed_, name, fallback, min, max);
    } catch (const posttrain::cli::usage_error& e) {
      fail(e.what());
    }
  }
  bool flag(const std::string& name) const { return parsed_->flag(name); }

  /// A bad option or value: "program: message (see program --help)" on stderr, exit status 2.
  [[noreturn]] void fail(const std::string& message) const {
    std::fprintf(stderr, "%s: %s (see %s --help)\n", program_.c_str(), message.c_str(), program_.c_str());
    std::exit(2);
  }

 private:
  std::string program_, usage_;
  std::optional<posttrain::cli::arguments> parsed_;
};

}  // namespace examples
