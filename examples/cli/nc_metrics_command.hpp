// SPDX-License-Identifier: Apache-2.0
#pragma once
// posttrain nc-metrics: neural-collapse metrics NC1–NC4 of a feature file (.npy or CSV) with its
// labels, streamed in batches (two passes, memory independent of the number of rows), as JSON.

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <posttrain/collapse.hpp>
#include <posttrain/io/csv.hpp>
#include <posttrain/io/npy.hpp>

#include "command.hpp"
#include "json_writer.hpp"
#include "settings.hpp"
#include "host_backend.hpp"

namespace posttrain::cli {
namespace nc_metrics_cmd {

/// Rows of numbers from a .npy file (by its magic bytes) or a CSV file (a first record that is
/// not all numbers is a header and skipped), read in batches, rewindable.
class matrix_source {
 public:
  explicit matrix_source(std::string path) : path_(std::move(path)) {
    std::ifstream probe = io::open_input_file(path_, std::ios::binary);
    char magic[6] = {};
    probe.read(magic, 6);
    npy_ = probe.gcount() == 6 && std::string(magic, 6) == "\x93NUMPY";
    open();
  }

  const std::string& path() const { return path_; }
  bool npy() const { return npy_; }
  /// The .npy element kind and size ('f', 8 for float64); CSV reads as 'f', 8.
  char kind() const { return npy_ ? npy_reader_->kind() : 'f'; }
  int item_size() const { return npy_ ? npy_reader_->item_size() : 8; }
  index_t cols() const { return cols_; }

  /// Up to `rows` next rows into out (rows·cols values); the number read, 0 at the end.
  template <class T>
  index_t read(index_t rows, std::vector<T>& out) {
    if (npy_) return npy_reader_->read_rows(rows, out);
    out.clear();
    index_t n = 0;
    while (n < rows) {
      std::optional<io::record> rec = pending_ ? std::move(pending_) : csv_->next();
      pending_.reset();
      if (!rec) break;
      for (std::size_t f = 0; f < rec->fields.size(); ++f)
        out.push_back(static_cast<T>(io::parse_number(*rec, f, path_)));
      ++n;
    }
    return n;
  }

  void rewind() {
    if (npy_)
      npy_reader_->rewind();
    else
      open();
  }

 private:
  void open() {
    if (npy_) {
      npy_reader_ = std::make_unique<io::npy_reader>(path_);
      cols_ = npy_reader_->cols();
      return;
    }
    stream_ = std::make_unique<std::ifstream>(io::open_input_file(path_, std::ios::binary));
    csv_ = std::make_unique<io::csv_reader>(*stream_, path_);
    pending_ = csv_->next();
    cols_ = pending_ ? static_cast<index_t>(pending_->fields.size()) : 0;
    if (pending_) {
      bool numbers = true;
      for (const auto& f : pending_->fields) {
        numbers = numbers && io::read_number(f).has_value();
      }
      if (!numbers) pending_ = csv_->next();  // a header
    }
  }

  std::string path_;
  bool npy_ = false;
  index_t cols_ = 0;
  std::unique_ptr<io::npy_reader> npy_reader_;
  std::unique_ptr<std::ifstream> stream_;
  std::unique_ptr<io::csv_reader> csv_;
  std::optional<io::record> pending_;
};

/// Labels as integers: every value must be a whole number.
inline index_t read_labels(matrix_source& src, index_t rows, index_t first_row, std::vector<std::int64_t>& out) {
  std::vector<double> raw;
  const index_t n = src.read(rows, raw);
  out.resize(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (!std::isfinite(raw[i]) || raw[i] != std::floor(raw[i]) || std::abs(raw[i]) > 9e15)
      throw std::runtime_error(src.path() + ": label of row " + std::to_string(first_row + index_t(i)) + " is " +
                               std::to_string(raw[i]) + ", not a whole number");
    out[i] = static_cast<std::int64_t>(raw[i]);
  }
  return n;
}

inline std::vector<double> read_all(const std::string& path, index_t& rows, index_t& cols) {
  matrix_source src(path);
  std::vector<double> all, batch;
  rows = 0;
  while (const index_t n = src.read(4096, batch)) {
    all.insert(all.end(), batch.begin(), batch.end());
    rows += n;
  }
  cols = src.cols();
  return all;
}

template <class T>
collapse::nc_result run_typed(const arguments& args, matrix_source& features, matrix_source& labels, index_t classes,
                      const collapse::nc_options& opt) {
  std::optional<collapse::linear_classifier> clf;
  if (const auto w = args.option("classifier")) {
    index_t rows = 0, cols = 0;
    const auto weight = read_all(*w, rows, cols);
    std::vector<double> bias;
    if (const auto b = args.option("bias")) {
      index_t br = 0, bc = 0;
      bias = read_all(*b, br, bc);
    }
    clf.emplace(tensor_view<const double, 2>(weight.data(), rows, cols),
                tensor_view<const double, 1>(bias.data(), static_cast<index_t>(bias.size())));
  } else if (args.option("bias")) {
    throw usage_error("--bias needs --classifier");
  }
  const auto be = host_backend_for_cli{};
  collapse::class_statistics stats(classes, features.cols(), opt.route);
  std::vector<T> h;
  std::vector<std::int64_t> y;
  // Progress on a terminal: the rows of each pass, about once a second.
  const bool progress = isatty(2) != 0;
  int pass_number = 0;
  bool progress_shown = false;
  const auto pass = [&](auto&& add) {
    features.rewind();
    labels.rewind();
    index_t seen = 0;
    ++pass_number;
    auto shown = std::chrono::steady_clock::now();
    while (true) {
      const index_t n = features.read(opt.batch_rows, h);
      const index_t m = read_labels(labels, opt.batch_rows, seen, y);
      if (n != m)
        throw std::runtime_error("the features (" + features.path() + ") and the labels (" + labels.path() +
                                 ") have different numbers of rows: " + std::to_string(seen + n) + " and " +
                                 std::to_string(seen + m) + " at least");
      if (n == 0) break;
      add(tensor_view<const T, 2>(h.data(), n, features.cols()), tensor_view<const std::int64_t, 1>(y.data(), n));
      seen += n;
      if (progress && std::chrono::steady_clock::now() - shown > std::chrono::seconds(1)) {
        shown = std::chrono::steady_clock::now();
        progress_shown = true;
        std::fprintf(stderr, "\rposttrain nc-metrics: pass %d of 2, %lld rows", pass_number, static_cast<long long>(seen));
      }
    }
    if (progress_shown && pass_number == 2) std::fprintf(stderr, "\n");
    if (seen == 0) throw std::runtime_error(features.path() + ": no rows");
  };
  pass([&](auto hv, auto yv) { stats.add(be, hv, yv); });
  collapse::second_pass_statistics<T> second(be, stats, opt.mean, clf ? &*clf : nullptr);
  pass([&](auto hv, auto yv) { second.add(be, hv, yv); });
  return collapse::nc_metrics(be, stats, second, opt, clf ? &*clf : nullptr);
}

/// The result's fields, in the order and with the names of nc_result::to_json.
inline void write_result(json_writer& w, const collapse::nc_result& r) {
  const auto geometry = [&](const char* name, const collapse::simplex_geometry* g) {
    w.key(name);
    if (!g) {
      w.null();
      return;
    }
    w.begin_object().field("equinorm", g->equinorm).field("equiangularity", g->equiangularity);
    w.field("cosine_std", g->cosine_std).field("etf_error", g->etf_error).end_object();
  };
  const auto optional = [&](const char* name, const std::optional<double>& v) {
    if (v) w.field(name, *v);
    else w.key(name).null();
  };
  w.field("samples", static_cast<long long>(r.samples)).field("classes", static_cast<long long>(r.classes));
  w.field("dim", static_cast<long long>(r.dim)).field("nc1", r.nc1).field("within_trace", r.within_trace);
  w.field("between_trace", r.between_trace).field("trace_ratio", r.trace_ratio).field("cdnv", r.cdnv);
  w.field("between_rank", static_cast<long long>(r.between_rank));
  geometry("nc2_means", &r.means);
  geometry("nc2_classifier", r.classifier ? &*r.classifier : nullptr);
  optional("nc3_self_duality", r.self_duality);
  optional("nc3_classifier_means_etf_error", r.classifier_means_etf_error);
  optional("nc4_ncc_accuracy", r.ncc_accuracy);
  optional("nc4_ncc_mismatch", r.ncc_mismatch);
}

inline int run(const arguments& args) {
  if (!args.positional().empty())
    throw usage_error("nc-metrics takes --features F --labels L, no positional arguments");
  const auto features_path = args.option("features"), labels_path = args.option("labels");
  if (!features_path || !labels_path) throw usage_error("--features and --labels are required");
  collapse::nc_options opt;
  opt.batch_rows = integer_option(args, "batch", 8192, 1, index_t(1) << 31);
  const auto mean = args.option("global-mean").value_or("sample");
  if (mean == "class-means")
    opt.mean = collapse::global_mean::class_means;
  else if (mean != "sample")
    throw usage_error("--global-mean must be sample or class-means, not '" + mean + "'");
  const auto route = args.option("route").value_or("auto");
  if (route == "projected")
    opt.route = collapse::scatter_route::projected;
  else if (route == "gram")
    opt.route = collapse::scatter_route::gram;
  else if (route != "auto")
    throw usage_error("--route must be auto, projected or gram, not '" + route + "'");
  opt.divide_by_classes = !args.flag("no-divide");
  if (args.option("pinv-rtol")) {
    opt.pinv_rtol = number_option(args, "pinv-rtol", opt.pinv_rtol);
    if (!(opt.pinv_rtol >= 0)) throw usage_error("--pinv-rtol takes a number ≥ 0");
  }
  opt.max_rank = integer_option(args, "max-rank", opt.max_rank, 0);

  matrix_source features(*features_path), labels(*labels_path);
  if (features.cols() < 1) throw std::runtime_error(*features_path + ": no rows");
  if (labels.cols() != 1)
    throw std::runtime_error(*labels_path + ": labels need one column (or a 1-d .npy), found " +
                             std::to_string(labels.cols()));
  index_t classes = 0;
  if (args.option("classes")) {
    classes = integer_option(args, "classes", 0, 2, index_t(1) << 31);
  } else {  // K = the largest label + 1, from a pass over the labels alone
    std::vector<std::int64_t> y;
    std::unordered_set<std::int64_t> distinct;
    index_t seen = 0;
    while (const index_t n = read_labels(labels, opt.batch_rows, seen, y)) {
      for (auto v : y) classes = std::max<index_t>(classes, v + 1), distinct.insert(v);
      seen += n;
    }
    // One stray label (10^8, say) would make K = 10^8 + 1 classes of statistics, gigabytes of
    // them, almost all empty: K far beyond the labels seen must be asked for with --classes.
    const auto present = static_cast<index_t>(distinct.size());
    if (classes > 4 * present + 1024)
      throw std::runtime_error(*labels_path + ": the largest label is " + std::to_string(classes - 1) + ", so K would be " +
                               std::to_string(classes) + ", but only " + std::to_string(present) +
                               " distinct labels occur; give --classes K if that many classes are meant");
  }
  const bool single = features.npy() && features.kind() == 'f' && features.item_size() == 4;
  const collapse::nc_result r = single ? run_typed<float>(args, features, labels, classes, opt)
                                       : run_typed<double>(args, features, labels, classes, opt);
  json_writer w(std::cout);
  w.begin_object();
  w.provenance(settings{}
                   .add("classes", static_cast<long long>(classes))
                   .add("global-mean", mean)
                   .add("divide-by-classes", opt.divide_by_classes)
                   .add("route", route == "auto" ? (collapse::class_statistics::chosen_route(opt.route, classes, features.cols()) ==
                                                                collapse::scatter_route::gram
                                                            ? "auto:gram"
                                                            : "auto:projected")
                                                     : route)
                   .add("pinv-rtol", opt.pinv_rtol < 0 ? std::string("auto") : shortest_text(opt.pinv_rtol))
                   .add("max-rank", opt.max_rank < 0 ? std::string("auto") : std::to_string(opt.max_rank))
                   .add("classifier", args.option("classifier") ? (args.option("bias") ? "w+b" : "w") : "none")
                   .add("precision", single ? "f32-with-f64-sums" : "f64"));
  w.field("features", *features_path).field("labels", *labels_path);
  write_result(w, r);
  w.end_object();
  w.finish();
  return 0;
}

inline const bool registered = add(command{
    "nc-metrics",
    "neural-collapse metrics NC1–NC4 of features (.npy or CSV) and labels",
    "usage: posttrain nc-metrics --features F --labels L [--classes K] [--classifier W [--bias B]]\n"
    "                            [--global-mean sample|class-means] [--no-divide]\n"
    "                            [--route auto|projected|gram] [--pinv-rtol R] [--max-rank M]\n"
    "                            [--batch ROWS]\n\n"
    "F is a .npy file (float32 or float64, C order, [N, d]) or CSV of N rows of d numbers (a\n"
    "first line that is not all numbers is a header). L holds N whole-number labels in\n"
    "0..K−1 (.npy of any integer or float type, or one per line); K defaults to the largest\n"
    "label + 1. W is a [K, d] classifier and B its [K] bias, .npy or CSV. The files are read in\n"
    "batches of ROWS (default 8192), twice; float32 features are computed in float32 with\n"
    "double accumulation. Prints one JSON object: NC1 (tr(Σ_W Σ_B⁺)/K, or without /K with\n"
    "--no-divide), tr Σ_W, tr Σ_B, their ratio, CDNV; NC2 of the class means (and of W); NC3\n"
    "(with W); NC4: the nearest-class-centre accuracy (and its mismatch with W's argmax).\n"
    "A label outside 0..K−1, a class with no sample, a non-finite feature or different row\n"
    "counts are errors naming the file and row (exit code 1).\n",
    {"features", "labels", "classes", "classifier", "bias", "global-mean", "route", "pinv-rtol", "max-rank", "batch"},
    {"no-divide"},
    run});

}  // namespace nc_metrics_cmd
}  // namespace posttrain::cli
