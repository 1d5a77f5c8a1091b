// SPDX-License-Identifier: Apache-2.0
#pragma once
// Commands that come with the skeleton: `info` and `validate`. Module commands live beside
// this file and register themselves the same way.

#include <fstream>
#include <iostream>
#include <memory>

#include <posttrain/core/config.hpp>
#include <posttrain/io.hpp>

#include "command.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace posttrain::cli {

inline const bool info_registered = add(command{
    "info",
    "print the version and the backends this build has",
    "usage: posttrain info\n\nPrints the library version, the backends compiled into this program and the\n"
    "number of threads the host backends use.\n",
    {},
    {},
    [](const arguments& args) {
      if (!args.positional().empty()) throw usage_error("info takes no arguments");
      std::cout << "posttrain " << POSTTRAIN_VERSION_STRING << "\nbackends: sequential";
#if defined(POSTTRAIN_HAVE_EIGEN)
      std::cout << " eigen";
#endif
#if defined(POSTTRAIN_HAVE_XTENSOR)
      std::cout << " xtensor";
#endif
      std::cout << "\nhost threads: ";
#if defined(_OPENMP)
      std::cout << omp_get_max_threads() << '\n';
#else
      std::cout << "1\n";
#endif
      return 0;
    }});

inline const bool validate_registered = add(command{
    "validate",
    "check that CSV, TSV or JSONL files parse; name the first malformed record",
    "usage: posttrain validate [--format csv|tsv|jsonl] FILE...\n\n"
    "Reads every record of each FILE ('-' is standard input). The format defaults to the file\n"
    "extension. CSV is RFC 4180 (quoted fields); TSV is the dialect every posttrain command\n"
    "reads and writes: tab-separated, no quoting (a quote is an ordinary character). Every record\n"
    "must have the first one's field count. Prints the record count per file; on a malformed\n"
    "record prints FILE:LINE:COLUMN: what is wrong, and exits with status 1.\n",
    {"format"},
    {},
    [](const arguments& args) {
      if (args.positional().empty()) throw usage_error("validate needs at least one FILE");
      int status = 0;
      for (const std::string& file : args.positional()) {
        std::string format = args.option("format").value_or("");
        if (format.empty()) {
          const auto dot = file.rfind('.');
          format = dot == std::string::npos ? "" : file.substr(dot + 1);
        }
        if (format != "csv" && format != "tsv" && format != "jsonl")
          throw usage_error("cannot tell the format of '" + file + "': use --format csv|tsv|jsonl");
        std::ifstream stream;
        std::istream& in = file == "-" ? std::cin : stream;
        const std::string name = file == "-" ? "<stdin>" : file;
        try {
          if (file != "-") stream = io::open_input_file(file, std::ios::binary);
          long records = 0;
          if (format == "jsonl") {
            io::jsonl_reader r(in, name);
            while (r.next()) ++records;
          } else {
            io::csv_reader r(in, name, format == "tsv" ? io::tsv_dialect : io::csv_options{});
            while (r.next()) ++records;
          }
          std::cout << name << ": " << records << " records\n";
        } catch (const parse_error& e) {
          std::cerr << e.what() << '\n';
          status = 1;
        } catch (const posttrain::runtime_error& e) {  // a directory, a file that cannot be opened
          std::cerr << e.what() << '\n';
          status = 1;
        }
      }
      return status;
    }});

}  // namespace posttrain::cli
