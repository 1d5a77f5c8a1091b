// SPDX-License-Identifier: Apache-2.0
// posttrain: the command-line tool. `posttrain --help` lists the commands.
#include <algorithm>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>

#include "builtin_commands.hpp"
#include "nc_metrics_command.hpp"
#include "reward_commands.hpp"
#include "simplify_commands.hpp"
#include "lexical_command.hpp"
#include "rm_eval_command.hpp"
#include "command.hpp"

namespace {

void print_help() {
  std::cout << "usage: posttrain <command> [options] [arguments]\n"
               "       posttrain <command> --help\n"
               "       posttrain --version\n\n"
               "commands:\n";
  std::size_t width = 0;
  for (const auto& c : posttrain::cli::registry()) width = std::max(width, c.name.size());
  for (const auto& c : posttrain::cli::registry())
    std::cout << "  " << c.name << std::string(width + 3 - c.name.size(), ' ') << c.summary << '\n';
}

int usage_failure(const std::string& message) {
  std::cerr << "posttrain: " << message << " (see posttrain --help)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace posttrain::cli;
  if (argc < 2) return usage_failure("no command given");
  const std::string first = argv[1];
  const auto finish = [](const std::string& who, int status) {
    try {
      flush_stdout();
    } catch (const std::exception& e) {
      std::cerr << who << ": " << e.what() << '\n';
      return 1;
    }
    return status;
  };
  if (first == "--help" || first == "-h" || first == "help") {
    print_help();
    return finish("posttrain", 0);
  }
  if (first == "--version") {
    std::cout << "posttrain " << POSTTRAIN_VERSION_STRING << '\n';
    return finish("posttrain", 0);
  }
  for (const auto& c : registry()) {
    if (c.name != first) continue;
    const std::string who = "posttrain " + c.name;
    std::vector<std::string> rest(argv + 2, argv + argc);
    for (const auto& a : rest)
      if (a == "--help" || a == "-h") {
        std::cout << c.usage;
        return finish(who, 0);
      }
    try {
      return finish(who, c.run(arguments(rest, c.options, c.flags)));
    } catch (const usage_error& e) {
      std::cerr << who << ": " << e.what() << " (see posttrain " << c.name << " --help)\n";
      return 2;
    } catch (const std::bad_alloc&) {
      std::cerr << who << ": out of memory (a very long line, or a huge class count? see " << c.name
                << " --help for the limits)\n";
      return 1;
    } catch (const posttrain::error& e) {  // the library's checks and the readers' errors
      std::cerr << who << ": " << e.what() << '\n';
      return 1;
    } catch (const std::runtime_error& e) {  // failures the commands report
      std::cerr << who << ": " << e.what() << '\n';
      return 1;
    } catch (const std::exception& e) {  // anything else is a defect, and says so
      std::cerr << who << ": internal error: " << e.what() << '\n';
      return 1;
    }
  }
  return usage_failure("unknown command '" + first + "'");
}
