#pragma once
// The examples' command lines: `--name value` options and `--help`.

#include <cstdio>
#include <string>

namespace examples {

/// The value after `--name`, or the fallback.
inline std::string option(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return argv[i + 1];
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
