// SPDX-License-Identifier: Apache-2.0
#pragma once
// Embedding neighbours: the substitute generator of lexical simplification that proposes the
// words whose vectors are closest, in cosine, to the complex word's (Qiang et al., TASLP 2021).
//
//   unit_rows(be, x, out)                    out_i = x_i / max(‖x_i‖, 1e-12) (torch's F.normalize);
//                                            a NaN or ±inf in a row is a value_error naming the row
//   cosine_index<B, T>(be, table [V, d])     the table's unit rows, kept on the backend
//     .top_k(queries [n, d], scores [n, k], indices [n, k])
//                                            s_ij = q̂_i · ê_j; the k largest of each row in
//                                            descending order, ties to the lower index: GEMMs of
//                                            a tile of queries against a block of the table (2²⁰
//                                            scores at most), each block's ops::topk merged into
//                                            the running top k by a row kernel
//   word_vectors                             words and their vectors on the host; reads the
//                                            word2vec / GloVe text format
//   embedding_generator<B, T>                the k nearest words of each query word (itself
//                                            excluded), one batched GEMM for all the queries
//   hybrid_candidates(thesaurus, word, neighbours)
//                                            the thesaurus' synonyms when it has the word, else
//                                            the embedding neighbours (or both, thesaurus first)

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../core.hpp"
#include "../io/files.hpp"
#include "../text/words.hpp"
#include "thesaurus.hpp"

namespace posttrain::simplify {

namespace detail {

struct divide_by_norm {
  template <class T>
  POSTTRAIN_HOST_DEVICE T operator()(T x, T squared_norm) const {
    const T norm = std::sqrt(squared_norm);
    return x / (norm > T(1e-12) ? norm : T(1e-12));
  }
};

/// Merges a block's top k (scores and block-relative columns, descending) into the running top k
/// of row i (descending, from earlier blocks: lower columns, so they go first on ties), in place:
/// the running list is read backwards from its kept length while the merged list is written
/// backwards from position k − 1, which never overtakes an unread element.
struct merge_top_k {
  index_t offset;  // the block's first column
  template <class Team, class BS, class BI, class S, class I>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const BS& block_scores, const BI& block_columns,
                                        const S& scores, const I& indices) const {
    team.single([&] {
      const index_t k = scores.extent(1), kb = block_scores.extent(1);
      // How many of each list the merged top k takes: walk the two from the front.
      index_t from_running = 0, from_block = 0;
      while (from_running + from_block < k) {
        const bool take_block = from_block < kb && (from_running == k || block_scores(i, from_block) > scores(i, from_running));
        if (take_block) ++from_block;
        else ++from_running;
      }
      // Then fill from the back: position p takes the smaller of the two tails.
      index_t a = from_running - 1, b = from_block - 1;
      for (index_t p = k - 1; p >= 0; --p) {
        const bool take_block = a < 0 || (b >= 0 && !(block_scores(i, b) > scores(i, a)));
        if (take_block) {
          scores(i, p) = block_scores(i, b);
          indices(i, p) = static_cast<typename I::value_type>(block_columns(i, b) + offset);
          --b;
        } else {
          scores(i, p) = scores(i, a);
          indices(i, p) = indices(i, a);
          --a;
        }
      }
    });
  }
};

}  // namespace detail

/// out = the rows of x scaled to unit length (a zero row stays zero). x and out [R, d], same
/// element type; out may be x.
template <backend B, tensor_of_rank<2> X, tensor_of_rank<2> O>
  requires accessible_by<X, B> && accessible_by<O, B> && mutable_tensor<O> &&
           std::same_as<typename X::value_type, typename O::value_type> && std::floating_point<typename O::value_type>
void unit_rows(const B& be, const X& x, const O& out) {
  using T = typename O::value_type;
  posttrain::detail::check_same_shape("simplify::unit_rows", "x", x, "out", out);
  const auto xv = posttrain::detail::to_const_view(x);
  const index_t rows = xv.extent(0);
  auto squared = allocate<T>(be, {rows});
  ops::transform_reduce(be, reduction::sum<T>{}, fn::square{}, xv, squared.view());
  // A non-finite norm means a NaN or ±inf in the row: its cosines would be NaN, which top-k
  // ranks first. Checked on the host (R numbers).
  host_buffer<T, 1> host({rows});
  deep_copy(be, squared.view(), host.view());
  for (index_t r = 0; r < rows; ++r)
    if (!std::isfinite(static_cast<double>(host.view()(r))))
      throw value_error(posttrain::detail::message("posttrain::simplify::unit_rows: row ", r, " of x ",
                                                   posttrain::detail::to_view(x),
                                                   " has a NaN or infinite element (or overflows)"));
  const auto cols = broadcast_columns(tensor_view<const T, 1, typename B::memory_space>(squared.view()), xv.extent(1));
  ops::map(be, detail::divide_by_norm{}, xv, cols, posttrain::detail::to_view(out));
}

/// The unit rows of an embedding table on backend B, and cosine top-k queries against them.
template <backend B, std::floating_point T>
class cosine_index {
 public:
  template <tensor_of_rank<2> E>
    requires accessible_by<E, B> && std::same_as<typename E::value_type, T>
  cosine_index(const B& be, const E& table)
      : be_(be), rows_(table.extent(0)), width_(table.extent(1)), unit_(allocate<T>(be, {table.extent(0), table.extent(1)})) {
    unit_rows(be, table, unit_.view());
  }

  index_t size() const { return rows_; }
  index_t width() const { return width_; }
  /// The table's unit rows [V, d].
  auto unit_table() const { return tensor_view<const T, 2, typename B::memory_space>(unit_.view()); }

  /// scores and indices [n, k]: the k best cosines of each query row against the table, in
  /// descending order, ties to the lower row of the table. k ≤ V.
  template <tensor_of_rank<2> Q, mutable_tensor S, mutable_tensor I>
    requires accessible_by<Q, B> && accessible_by<S, B> && accessible_by<I, B> && (S::rank == 2) &&
             (I::rank == 2) && std::same_as<typename Q::value_type, T> && std::same_as<typename S::value_type, T> &&
             std::is_integral_v<typename I::value_type>
  void top_k(const Q& queries, const S& scores, const I& indices) const {
    constexpr std::string_view who = "simplify::cosine_index::top_k";
    posttrain::detail::check_extent(who, "queries", queries, 1, width_, "the table's width");
    posttrain::detail::check_same_shape(who, "scores", scores, "indices", indices);
    posttrain::detail::check_extent(who, "scores", scores, 0, queries.extent(0), "one row per query");
    if (scores.extent(1) > rows_)
      throw value_error(posttrain::detail::message("posttrain::", who, ": k = ", scores.extent(1),
                                                   " exceeds the table's ", rows_, " rows"));
    const index_t n = queries.extent(0), k = scores.extent(1);
    if (n == 0 || k == 0) return;
    auto unit_queries = allocate<T>(be_, {n, width_});
    unit_rows(be_, queries, unit_queries.view());
    const auto qv = tensor_view<const T, 2, typename B::memory_space>(unit_queries.view());
    const auto sv = posttrain::detail::to_view(scores);
    const auto iv = posttrain::detail::to_view(indices);
    // Streaming: the similarities of a tile of queries against a block of the table at a time
    // (at most 2²⁰ of them, a few MiB that stay in cache), the block's top k by ops::topk, merged
    // into the running top k of each query. No [queries × V] buffer is held.
    const index_t block = std::min(rows_, std::max<index_t>(k, 4096));
    const index_t tile = std::clamp<index_t>((index_t{1} << 20) / block, 1, n);
    auto similarity = allocate<T>(be_, {tile, block});
    auto block_scores = allocate<T>(be_, {tile, k});
    auto block_rows = allocate<index_t>(be_, {tile, k});
    using space = typename B::memory_space;
    for (index_t r = 0; r < n; r += tile) {
      const index_t count = std::min(tile, n - r);
      for (index_t c0 = 0; c0 < rows_; c0 += block) {
        const index_t width = std::min(block, rows_ - c0), kb = std::min(k, width);
        const auto s = similarity.view().rows(0, count).cols(0, width);
        ops::gemm(be_, qv.rows(r, count), unit_table().rows(c0, width), s, {.transpose_b = true});
        if (c0 == 0) {  // the first block's top k are the running ones (k ≤ width here)
          ops::topk(be_, tensor_view<const T, 2, space>(s), sv.rows(r, count), iv.rows(r, count));
          continue;
        }
        const auto bs = block_scores.view().rows(0, count).cols(0, kb);
        const auto bi = block_rows.view().rows(0, count).cols(0, kb);
        ops::topk(be_, tensor_view<const T, 2, space>(s), bs, bi);
        ops::for_each_row(be_, count, detail::merge_top_k{c0}, tensor_view<const T, 2, space>(bs),
                          tensor_view<const index_t, 2, space>(bi), sv.rows(r, count), iv.rows(r, count));
      }
    }
  }

 private:
  B be_;
  index_t rows_, width_;
  decltype(allocate<T>(std::declval<const B&>(), {index_t{}, index_t{}})) unit_;
};

/// Words and their vectors (one row each), on the host.
class word_vectors {
 public:
  word_vectors() = default;

  /// From words and a row-major [words.size(), width] array; repeated words are an error.
  word_vectors(std::vector<std::string> words, std::vector<float> values, index_t width)
      : words_(std::move(words)), values_(std::move(values)), width_(width) {
    if (width_ < 1) throw value_error("posttrain::simplify::word_vectors: width must be >= 1");
    if (values_.size() != words_.size() * static_cast<std::size_t>(width_))
      throw shape_error(posttrain::detail::message("posttrain::simplify::word_vectors: ", values_.size(),
                                                   " values for ", words_.size(), " words of width ", width_));
    for (std::size_t i = 0; i < words_.size(); ++i)
      if (!index_.emplace(words_[i], index_t(i)).second)
        throw value_error(posttrain::detail::message("posttrain::simplify::word_vectors: the word '", words_[i],
                                                     "' is repeated (row ", i, ")"));
  }

  /// The word2vec text format ("V d" on the first line, then "word x1 … xd") or GloVe's (no
  /// header). Errors name the line and column: a wrong count of numbers, a value that is not a
  /// finite number, a repeated word.
  static word_vectors load_text(const std::string& path) {
    std::ifstream in = io::open_input_file(path);
    return read_text(in, path);
  }
  /// The same from a stream (text in memory, a pipe); errors name `path`.
  static word_vectors read_text(std::istream& in, const std::string& path) {
    std::vector<std::string> words;
    std::vector<float> values;
    index_t width = 0;
    std::string line;
    std::vector<float> row;
    long line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      constexpr std::string_view blank = " \t";
      if (line.find_first_not_of(blank) == std::string::npos) continue;
      // Fields split on spaces and tabs and parsed in place (from_chars: no stream, no copy).
      const std::string_view view(line);
      std::size_t at = view.find_first_not_of(blank);
      std::size_t end = std::min(view.find_first_of(blank, at), view.size());
      std::string word(view.substr(at, end - at));
      row.clear();
      for (at = view.find_first_not_of(blank, end); at != std::string_view::npos; at = view.find_first_not_of(blank, end)) {
        end = std::min(view.find_first_of(blank, at), view.size());
        const std::string_view field = view.substr(at, end - at);
        const std::size_t sign = field.front() == '+' ? 1 : 0;
        float v = 0;
        const auto r = std::from_chars(field.data() + sign, field.data() + field.size(), v);
        if (r.ec != std::errc() || r.ptr != field.data() + field.size() || !std::isfinite(v))
          throw parse_error(path, line_no, long(at) + 1, "'" + std::string(field) + "' is not a finite number");
        row.push_back(v);
      }
      if (line_no == 1 && row.size() == 1 && !word.empty() &&
          word.find_first_not_of("0123456789") == std::string::npos)
        continue;  // word2vec's "V d" header
      if (width == 0) width = index_t(row.size());
      if (index_t(row.size()) != width || width == 0)
        throw parse_error(path, line_no, 1,
                          posttrain::detail::message("expected a word and ", width, " numbers, found ", row.size()));
      words.push_back(std::move(word));
      values.insert(values.end(), row.begin(), row.end());
    }
    if (words.empty()) throw parse_error(path, line_no, 1, "no vectors");
    return word_vectors(std::move(words), std::move(values), width);
  }

  std::size_t size() const { return words_.size(); }
  index_t width() const { return width_; }
  const std::vector<std::string>& words() const { return words_; }
  /// The [size(), width()] matrix.
  tensor_view<const float, 2> matrix() const { return {values_.data(), index_t(words_.size()), width_}; }
  /// The row of the word: an exact match, else its lowercase form; -1 when absent.
  index_t find(std::string_view word) const {
    if (const auto it = index_.find(std::string(word)); it != index_.end()) return it->second;
    if (const auto it = index_.find(posttrain::text::lowercase(word)); it != index_.end()) return it->second;
    return -1;
  }

 private:
  std::vector<std::string> words_;
  std::vector<float> values_;
  index_t width_ = 0;
  std::unordered_map<std::string, index_t> index_;
};

/// A proposed substitute and its cosine with the complex word.
struct neighbour {
  std::string word;
  double similarity = 0;
};

/// The k nearest words of query words, by cosine over word_vectors, the table on backend B.
template <backend B, std::floating_point T = float>
class embedding_generator {
 public:
  embedding_generator(const B& be, const word_vectors& vectors)
      : be_(be), vectors_(&vectors), index_(be, upload(be, vectors).view()) {}

  /// For each word, its k nearest other words, most similar first (ties to the earlier word of
  /// the table); empty for a word without a vector. One GEMM for all the words.
  std::vector<std::vector<neighbour>> candidates(std::span<const std::string> words, index_t k) const {
    if (k < 0) throw value_error("posttrain::simplify::embedding_generator: k < 0");
    std::vector<std::vector<neighbour>> out(words.size());
    std::vector<index_t> rows, which;
    for (std::size_t i = 0; i < words.size(); ++i)
      if (const index_t r = vectors_->find(words[i]); r >= 0) rows.push_back(r), which.push_back(index_t(i));
    const index_t n = index_t(rows.size()), d = vectors_->width();
    const index_t take = std::min<index_t>(k + 1, index_t(vectors_->size()));  // one more: the word itself
    if (n == 0 || k == 0) return out;
    host_buffer<T, 2> queries({n, d});
    for (index_t q = 0; q < n; ++q)
      for (index_t j = 0; j < d; ++j) queries.view()(q, j) = static_cast<T>(vectors_->matrix()(rows[std::size_t(q)], j));
    auto device_queries = allocate<T>(be_, {n, d});
    deep_copy(be_, queries.view(), device_queries.view());
    auto scores = allocate<T>(be_, {n, take});
    auto indices = allocate<index_t>(be_, {n, take});
    index_.top_k(device_queries.view(), scores.view(), indices.view());
    host_buffer<T, 2> host_scores({n, take});
    host_buffer<index_t, 2> host_indices({n, take});
    deep_copy(be_, scores.view(), host_scores.view());
    deep_copy(be_, indices.view(), host_indices.view());
    for (index_t q = 0; q < n; ++q) {
      auto& list = out[std::size_t(which[std::size_t(q)])];
      for (index_t j = 0; j < take && index_t(list.size()) < k; ++j) {
        const index_t row = host_indices.view()(q, j);
        if (row == rows[std::size_t(q)]) continue;
        list.push_back({vectors_->words()[std::size_t(row)], static_cast<double>(host_scores.view()(q, j))});
      }
    }
    return out;
  }

  std::vector<neighbour> candidates(const std::string& word, index_t k) const {
    return candidates(std::span<const std::string>(&word, 1), k).front();
  }

 private:
  static auto upload(const B& be, const word_vectors& vectors) {
    const index_t v = index_t(vectors.size()), d = vectors.width();
    host_buffer<T, 2> host({v, d});
    for (index_t i = 0; i < v; ++i)
      for (index_t j = 0; j < d; ++j) host.view()(i, j) = static_cast<T>(vectors.matrix()(i, j));
    auto table = allocate<T>(be, {v, d});
    deep_copy(be, host.view(), table.view());
    return table;
  }

  B be_;
  const word_vectors* vectors_;
  cosine_index<B, T> index_;
};

struct hybrid_options {
  bool merge = false;  // both lists, the thesaurus' first, instead of the thesaurus alone
};

/// The hybrid generator: the thesaurus' synonyms of `word` when it has the word, else the
/// embedding neighbours; with merge, the synonyms then the neighbours not already listed.
inline std::vector<std::string> hybrid_candidates(const thesaurus& synonyms, std::string_view word,
                                                  const std::vector<neighbour>& neighbours,
                                                  const hybrid_options& options = {}) {
  std::vector<std::string> out = synonyms.synonyms(word);
  if (!out.empty() && !options.merge) return out;
  std::unordered_set<std::string> seen;
  for (const auto& s : out) seen.insert(posttrain::text::lowercase(s));
  for (const auto& n : neighbours)
    if (seen.insert(posttrain::text::lowercase(n.word)).second) out.push_back(n.word);
  return out;
}

}  // namespace posttrain::simplify
