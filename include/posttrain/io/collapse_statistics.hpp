// SPDX-License-Identifier: Apache-2.0
#pragma once
// The text files of the neural-collapse statistics (collapse/stats.hpp), for shards computed on
// other machines or kept between runs. Numbers are hexadecimal floats, so a round trip is exact.
//
//   save(out, stats)                      "posttrain-class-statistics 1": counts, within-class
//                                         sums of squares, sums, and the scatter on the gram route
//   load_class_statistics(in, name)       reads it back
//   save(out, pass2)                      "posttrain-second-pass 1": the sums of a second pass and
//                                         the fingerprint of what they were built from
//   merge_saved(pass2, in, name)          adds such a shard to pass2: a shape_error when the
//                                         fingerprints differ
//
// A malformed file is a parse_error naming the line. Host-only by nature: text I/O.

#include <cmath>
#include <cstdint>
#include <istream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "../collapse/stats.hpp"
#include "numbers.hpp"

namespace posttrain::io {

/// Writes pass-1 statistics as text.
inline void save(std::ostream& out, const collapse::class_statistics& s) {
  const bool gram = s.route() == collapse::scatter_route::gram;
  const index_t K = s.classes(), d = s.dim();
  out << "posttrain-class-statistics 1\n"
      << "classes " << K << " dim " << d << " route " << (gram ? "gram" : "projected") << "\n"
      << std::hexfloat;
  const auto line = [&](const char* name, auto first, std::size_t count) {
    out << name;
    for (std::size_t k = 0; k < count; ++k) out << ' ' << first[k];
    out << '\n';
  };
  line("counts", s.counts().begin(), s.counts().size());
  line("within_ss", s.within_sum_squares().begin(), s.within_sum_squares().size());
  for (index_t c = 0; c < K; ++c) line("sums", s.sums().begin() + c * d, std::size_t(d));
  if (gram)
    for (index_t j = 0; j < d; ++j) line("scatter", s.within_scatter().begin() + j * d, std::size_t(d));
  out << std::defaultfloat;
}

/// Reads what save(out, class_statistics) wrote.
inline collapse::class_statistics load_class_statistics(std::istream& in, const std::string& name = "<stream>") {
  using posttrain::detail::message;
  long line_no = 0;
  std::string line;
  const auto next = [&](const char* expected) {
    ++line_no;
    if (!std::getline(in, line)) throw parse_error(name, line_no, 1, message("expected '", expected, "', found the end"));
    std::istringstream is(line);
    std::string key;
    is >> key;
    if (key != expected) throw parse_error(name, line_no, 1, message("expected '", expected, "', found '", key, "'"));
    return is;
  };
  const auto fail = [&](const std::string& what) { throw parse_error(name, line_no, 1, what); };
  {
    auto is = next("posttrain-class-statistics");
    int version = 0;
    if (!(is >> version) || version != 1) fail("unsupported version");
  }
  index_t classes = 0, dim = 0;
  std::string k1, k2, route;
  {
    auto is = next("classes");
    if (!(is >> classes >> k1 >> dim >> k2 >> route) || k1 != "dim" || k2 != "route" ||
        (route != "gram" && route != "projected"))
      fail("expected 'classes K dim d route gram|projected'");
  }
  // The sizes the constructor would allocate: it checks K and d before anything is read.
  const collapse::class_statistics shape(classes, dim, route == "gram" ? collapse::scatter_route::gram
                                                                      : collapse::scatter_route::projected);
  const auto numbers = [&](const char* key, auto& dest, std::size_t count) {
    auto is = next(key);
    std::string token;
    for (std::size_t k = 0; k < count; ++k) {
      if (!(is >> token)) fail(message("expected ", count, " numbers after '", key, "', found ", k));
      const auto v = read_hex_or_decimal_number(token);
      if (!v || !std::isfinite(*v)) fail(message("'", token, "' is not a finite number"));
      dest.push_back(static_cast<typename std::remove_reference_t<decltype(dest)>::value_type>(*v));
    }
    if (is >> token) fail(message("more than ", count, " numbers after '", key, "'"));
  };
  std::vector<std::int64_t> counts;
  std::vector<double> within_ss, sums, scatter;
  numbers("counts", counts, std::size_t(classes));
  for (std::size_t c = 0; c < counts.size(); ++c)
    if (counts[c] < 0) fail(message("count ", c, " is negative"));
  numbers("within_ss", within_ss, std::size_t(classes));
  for (index_t c = 0; c < classes; ++c) numbers("sums", sums, std::size_t(dim));
  if (shape.route() == collapse::scatter_route::gram)
    for (index_t j = 0; j < dim; ++j) numbers("scatter", scatter, std::size_t(dim));
  return collapse::class_statistics::from_parts(classes, dim, shape.route(), std::move(counts), std::move(sums),
                                                std::move(within_ss), std::move(scatter));
}

/// Writes a second pass's sums as text, with the fingerprint of the pass-1 statistics,
/// convention, classifier and feature type they were built with.
template <class T>
void save(std::ostream& out, const collapse::second_pass_statistics<T>& p) {
  const index_t K = p.classes();
  out << "posttrain-second-pass 1\n"
      << "classes " << K << " dim " << p.dim() << " route " << (p.projected() ? "projected" : "gram")
      << " classifier " << p.has_classifier() << " fingerprint " << std::hex << p.fingerprint() << std::dec << "\n"
      << "samples " << p.samples() << " correct " << p.ncc_correct() << " mismatch " << p.ncc_mismatches() << "\n"
      << std::hexfloat;
  const auto scatter = p.projected_scatter();
  for (index_t r = 0; r < (p.projected() ? K : 0); ++r) {
    out << "scatter";
    for (index_t c = 0; c < K; ++c) out << ' ' << scatter[std::size_t(r * K + c)];
    out << '\n';
  }
  out << std::defaultfloat;
}

/// Adds a shard that save(out, second_pass_statistics) wrote (on another machine, say) to p. It
/// must come from the same pass-1 statistics, convention, classifier and T: else a shape_error.
template <class T>
void merge_saved(collapse::second_pass_statistics<T>& p, std::istream& in, const std::string& name = "<stream>") {
  using posttrain::detail::message;
  long line_no = 0;
  std::string line;
  const auto fail = [&](const std::string& what) { throw parse_error(name, line_no, 1, what); };
  const auto next = [&]() {
    ++line_no;
    if (!std::getline(in, line)) fail("the file ends early");
    return std::istringstream(line);
  };
  std::string key, k1, k2, k3, k4, route;
  int version = 0, classifier = 0;
  index_t K = 0, d = 0, samples = 0;
  std::int64_t correct = 0, mismatch = 0;
  std::uint64_t print = 0;
  if (auto is = next(); !(is >> key >> version) || key != "posttrain-second-pass" || version != 1)
    fail("not a posttrain-second-pass 1 file");
  if (auto is = next(); !(is >> key >> K >> k1 >> d >> k2 >> route >> k3 >> classifier >> k4 >> std::hex >> print) ||
                        key != "classes" || k1 != "dim" || k2 != "route" || k3 != "classifier" || k4 != "fingerprint")
    fail("expected 'classes K dim d route R classifier 0|1 fingerprint F'");
  if (auto is = next(); !(is >> key >> samples >> k1 >> correct >> k2 >> mismatch) || key != "samples" ||
                        k1 != "correct" || k2 != "mismatch" || samples < 0 || correct < 0 || mismatch < 0)
    fail("expected 'samples N correct C mismatch M'");
  if (K != p.classes() || d != p.dim() || (route == "projected") != p.projected() ||
      (classifier != 0) != p.has_classifier() || print != p.fingerprint())
    throw shape_error(message("posttrain::io::merge_saved: ", name,
                              " was not built from the same class statistics, convention, classifier and feature "
                              "type as this pass"));
  std::vector<double> scatter(p.projected_scatter().size());
  for (index_t r = 0; r < (p.projected() ? K : 0); ++r) {
    auto is = next();
    std::string token;
    if (!(is >> key) || key != "scatter") fail("expected a 'scatter' row");
    for (index_t c = 0; c < K; ++c) {
      if (!(is >> token)) fail(message("expected ", K, " numbers after 'scatter'"));
      const auto v = read_hex_or_decimal_number(token);
      if (!v || !std::isfinite(*v)) fail("'" + token + "' is not a finite number");
      scatter[std::size_t(r * K + c)] = *v;
    }
  }
  if (correct > samples || mismatch > samples) fail("more correct or mismatched rows than samples");
  p.merge_sums(samples, correct, mismatch, scatter);
}

}  // namespace posttrain::io
