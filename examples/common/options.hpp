#pragma once
// The examples' command lines: `--name value` options and `--help`.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <posttrain/io/numbers.hpp>

namespace examples {

/// The value after `--name`, or the fallback.
inline std::string option(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return argv[i + 1];
  return fallback;
}

/// A bad option: one line on stderr, exit status 2.
[[noreturn]] inline void usage_failure(const char* program, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program, message.c_str());
  std::exit(2);
}

/// --name as a finite number (posttrain::io::read_number: the whole value, no locale), or the
/// fallback; a usage failure naming the option otherwise.
inline double number_option(int argc, char** argv, const std::string& name, double fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) {
      const auto v = posttrain::io::read_number(argv[i + 1]);
      if (!v || !std::isfinite(*v)) usage_failure(argv[0], "--" + name + " needs a finite number, not '" + argv[i + 1] + "'");
      return *v;
    }
  return fallback;
}

/// --name as a whole number ≥ min, or the fallback; a usage failure naming the option otherwise.
inline long long whole_option(int argc, char** argv, const std::string& name, long long fallback, long long min = 0) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) {
      const auto v = posttrain::io::read_integer(argv[i + 1]);
      if (!v || *v < min)
        usage_failure(argv[0], "--" + name + " needs a whole number >= " + std::to_string(min) + ", not '" + argv[i + 1] + "'");
      return *v;
    }
  return fallback;
}

/// Prints the usage line and returns true when `--help` is among the arguments.
inline bool help_requested(int argc, char** argv, const char* usage) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help") {
      std::puts(usage);
      return true;
    }
  return false;
}

}  // namespace examples
