#pragma once
// The skeleton every `posttrain <command>` shares: a registry of commands, a small argument
// parser, and the exit-code convention (0 done, 1 bad data or a failure, 2 bad usage with a
// one-line message on stderr).

#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace posttrain::cli {

/// Bad usage: unknown option, missing value, wrong argument count. Exit code 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parsed arguments of one command: --name value options, --flag switches, positionals.
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

/// The number given to --name, or the fallback when the option is absent; a usage_error when it
/// is not a number.
inline double number_option(const arguments& args, const std::string& name, double fallback) {
  const auto v = args.option(name);
  if (!v) return fallback;
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v->size() || v->empty()) throw usage_error("--" + name + " needs a number, not '" + *v + "'");
  return x;
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
