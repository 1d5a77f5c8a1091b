// SPDX-License-Identifier: Apache-2.0
#pragma once
// The argument parser of the `posttrain` tool and of the examples: `--name value` and
// `--name=value` options, `--flag` switches, positionals; unknown options are usage errors.

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <posttrain/io/numbers.hpp>

namespace posttrain::cli {

/// Bad usage: unknown option, missing value, wrong argument count. Exit code 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parsed arguments of one command: --name value options, --flag switches, positionals. An
/// option's underscores are hyphens (--best_of = --best-of).
class arguments {
 public:
  arguments(std::vector<std::string> args, std::vector<std::string> options, std::vector<std::string> flags) {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a.size() > 2 && a.rfind("--", 0) == 0) {
        std::string name = a.substr(2), value;
        const auto eq = name.find('=');
        const bool inline_value = eq != std::string::npos;
        if (inline_value) {
          value = name.substr(eq + 1);
          name.resize(eq);
        }
        // --best_of is --best-of: HF and OpenRLHF spell their options with underscores.
        std::replace(name.begin(), name.end(), '_', '-');
        if (contains(flags, name)) {
          if (inline_value) throw usage_error("option --" + name + " takes no value");
          flags_.push_back(name);
        } else if (contains(options, name)) {
          if (!inline_value) {
            if (i + 1 >= args.size()) throw usage_error("option --" + name + " needs a value");
            value = args[++i];
          }
          options_[name] = value;
        } else {
          throw usage_error("unknown option " + a);
        }
      } else if (a == "-" || a.empty() || a[0] != '-') {
        positional_.push_back(a);
      } else {
        throw usage_error("unknown option " + a);
      }
    }
  }
  bool flag(const std::string& name) const { return contains(flags_, name); }
  std::optional<std::string> option(const std::string& name) const {
    const auto it = options_.find(name);
    if (it == options_.end()) return std::nullopt;
    return it->second;
  }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  static bool contains(const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v)
      if (x == s) return true;
    return false;
  }
  std::map<std::string, std::string> options_;
  std::vector<std::string> flags_, positional_;
};

/// The finite number given to --name, or the fallback when the option is absent; a usage_error
/// when it is not one (NaN and infinity included: no option means them).
inline double number_option(const arguments& args, const std::string& name, double fallback) {
  const auto v = args.option(name);
  if (!v) return fallback;
  const auto x = io::read_number(*v);
  if (!x || !std::isfinite(*x)) throw usage_error("--" + name + " needs a finite number, not '" + *v + "'");
  return *x;
}

/// The whole number given to --name, within [min, max], or the fallback when it is absent; a
/// usage_error naming the range when it is not one ("1e300", "nan", "2.5" and "0x10" are not).
inline long long integer_option(const arguments& args, const std::string& name, long long fallback,
                                long long min = 0, long long max = std::numeric_limits<long long>::max()) {
  const auto v = args.option(name);
  if (!v) return fallback;
  const auto x = io::read_integer(*v);
  if (!x || *x < min || *x > max)
    throw usage_error("--" + name + " takes a whole number in [" + std::to_string(min) + ", " +
                      (max == std::numeric_limits<long long>::max() ? std::string("2^63)") : std::to_string(max) + "]") +
                      ", not '" + *v + "'");
  return *x;
}

}  // namespace posttrain::cli
