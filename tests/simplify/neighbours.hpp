// SPDX-License-Identifier: Apache-2.0
// Embedding neighbours on every backend: cosine top-k against a double reference, ties, zero
// and non-finite rows, and the word-level generator.
#include "../support/harness.hpp"

#include <posttrain/simplify/neighbours.hpp>

using namespace pt_test;
namespace sp = posttrain::simplify;

namespace {

double cosine(const ref::matrix& a, std::int64_t i, const ref::matrix& b, std::int64_t j) {
  double dot = 0, na = 0, nb = 0;
  for (std::int64_t c = 0; c < a.cols; ++c) dot += a(i, c) * b(j, c), na += a(i, c) * a(i, c), nb += b(j, c) * b(j, c);
  return dot / (std::max(std::sqrt(na), 1e-12) * std::max(std::sqrt(nb), 1e-12));
}

/// Each query's scores are the k best cosines in descending order (against the double
/// reference), and each returned row's own cosine is its score (robust to near-ties).
void check_top_k(const ref::matrix& table, const ref::matrix& queries, const ref::matrix& got_s,
                 const ref::matrix& got_i, double margin) {
  for (std::int64_t q = 0; q < queries.rows; ++q) {
    std::vector<double> all;
    for (std::int64_t j = 0; j < table.rows; ++j) all.push_back(cosine(queries, q, table, j));
    std::vector<double> sorted = all;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    for (std::int64_t j = 0; j < got_s.cols; ++j) {
      INFO("query " << q << ", rank " << j);
      CHECK(got_s(q, j) == Approx(sorted[std::size_t(j)]).margin(margin));
      CHECK(all[std::size_t(got_i(q, j))] == Approx(got_s(q, j)).margin(margin));
      if (j > 0) CHECK(got_s(q, j) <= got_s(q, j - 1));
    }
  }
}

}  // namespace

PT_TEMPLATE_TEST("simplify: cosine top-k against a double reference", float, double) {
  const ref::matrix table = ref::random_matrix(300, 17, 5), queries = ref::random_matrix(9, 17, 6);
  const std::int64_t k = 5;
  for (layout lt : {layout::dense, layout::strided})
    for (layout lq : all_layouts) {
      INFO(name(lt) << " table, " << name(lq) << " queries");
      auto dt = upload<TestType>(table, lt), dq = upload<TestType>(queries, lq);
      const sp::cosine_index<test_backend, TestType> index(backend(), dt.view);
      CHECK(index.size() == 300);
      auto scores = output<TestType>(queries.rows, k, lq);
      auto indices = output<std::int64_t>(queries.rows, k);
      index.top_k(dq.view, scores.view, indices.view);
      check_top_k(table, queries, download(scores.view), download(indices.view), tolerance<TestType>() * 10);
    }
}

PT_TEMPLATE_TEST("simplify: cosine top-k streams over blocks of the table", float, double) {
  // 9000 rows: three blocks of the table (4096, 4096, 808), so the running top k is merged twice.
  const ref::matrix table = ref::random_matrix(9000, 17, 8), queries = ref::random_matrix(7, 17, 9);
  for (std::int64_t k : {1, 6}) {
    auto dt = upload<TestType>(table), dq = upload<TestType>(queries, layout::transposed);
    const sp::cosine_index<test_backend, TestType> index(backend(), dt.view);
    auto scores = output<TestType>(queries.rows, k, layout::padded);
    auto indices = output<std::int64_t>(queries.rows, k);
    index.top_k(dq.view, scores.view, indices.view);
    INFO("k " << k);
    check_top_k(table, queries, download(scores.view), download(indices.view), tolerance<TestType>() * 10);
  }
  // Exact ties across blocks: axis-aligned rows (their cosines are exactly 0, 1 or 1/√2 in any
  // order of summation). Query e1 meets e1 at rows 5000, 8200 and 8300 (blocks 2 and 3), e0 + e1
  // at row 7 (block 1); every other row is along e0 (cosine 0): the ties at 1 come in row order,
  // then row 7, then the zeros from row 0 on.
  ref::matrix axes(9000, 4, 0.0), e1(1, 4, 0.0);
  for (std::int64_t j = 0; j < 9000; ++j) axes(j, 0) = double(1 + j % 5);
  for (std::int64_t j : {5000, 8200, 8300}) axes(j, 0) = 0, axes(j, 1) = 3;
  axes(7, 1) = axes(7, 0);
  e1(0, 1) = 2;
  auto dt = upload<TestType>(axes), dq = upload<TestType>(e1);
  const sp::cosine_index<test_backend, TestType> index(backend(), dt.view);
  auto scores = output<TestType>(1, 6);
  auto indices = output<std::int32_t>(1, 6);
  index.top_k(dq.view, scores.view, indices.view);
  const auto s = download(scores.view), i = download(indices.view);
  const int expected[] = {5000, 8200, 8300, 7, 0, 1};
  for (int j = 0; j < 6; ++j) CHECK(i(0, j) == expected[j]);
  CHECK(s(0, 0) == 1);
  CHECK(s(0, 2) == 1);
  CHECK(s(0, 3) == Approx(std::sqrt(0.5)));
  CHECK(s(0, 5) == 0);
}

PT_TEMPLATE_TEST("simplify: cosine ties go to the lower row, zero rows score 0", float, double) {
  ref::matrix table(6, 3, 0.0), queries(2, 3, 0.0);
  table(0, 1) = 1, table(1, 0) = 3, table(2, 0) = 1, table(3, 2) = 2, table(4, 0) = 7;  // row 5 is zero
  queries(0, 0) = 2;                                                                     // query 1 is zero
  auto dt = upload<TestType>(table), dq = upload<TestType>(queries);
  const sp::cosine_index<test_backend, TestType> index(backend(), dt.view);
  auto scores = output<TestType>(2, 4);
  auto indices = output<std::int32_t>(2, 4);
  index.top_k(dq.view, scores.view, indices.view);
  const auto s = download(scores.view), i = download(indices.view);
  CHECK(i(0, 0) == 1);
  CHECK(i(0, 1) == 2);
  CHECK(i(0, 2) == 4);
  CHECK(s(0, 0) == 1);
  CHECK(s(0, 2) == 1);
  CHECK(s(0, 3) == 0);
  for (int j = 0; j < 4; ++j) CHECK(i(1, j) == j);  // all zero: ties, in row order
  for (int j = 0; j < 4; ++j) CHECK(s(1, j) == 0);
  // unit_rows in place.
  auto x = upload<TestType>(table);
  sp::unit_rows(backend(), x.view, x.view);
  const auto u = download(x.view);
  CHECK(u(1, 0) == 1);
  CHECK(u(3, 2) == 1);
  CHECK(u(5, 0) == 0);
}

PT_TEMPLATE_TEST("simplify: cosine top-k errors name the argument", float, double) {
  ref::matrix table = ref::random_matrix(4, 3, 1);
  auto dt = upload<TestType>(table);
  const sp::cosine_index<test_backend, TestType> index(backend(), dt.view);
  auto q = upload<TestType>(ref::random_matrix(2, 3, 2));
  auto wide = upload<TestType>(ref::random_matrix(2, 4, 2));
  auto s5 = output<TestType>(2, 5);
  auto i5 = output<std::int64_t>(2, 5);
  CHECK_THROWS_AS(index.top_k(q.view, s5.view, i5.view), posttrain::value_error);  // k > V
  auto s2 = output<TestType>(2, 2);
  auto i2 = output<std::int64_t>(2, 2);
  CHECK_THROWS_AS(index.top_k(wide.view, s2.view, i2.view), posttrain::shape_error);
  auto i3 = output<std::int64_t>(3, 2);
  CHECK_THROWS_AS(index.top_k(q.view, s2.view, i3.view), posttrain::shape_error);
  table(2, 1) = ref::nan;
  auto bad = upload<TestType>(table);
  CHECK_THROWS_WITH((sp::cosine_index<test_backend, TestType>(backend(), bad.view)),
                    Catch::Contains("row 2") && Catch::Contains("NaN"));
  table(2, 1) = ref::inf;
  auto worse = upload<TestType>(table);
  CHECK_THROWS_AS((sp::cosine_index<test_backend, TestType>(backend(), worse.view)), posttrain::value_error);
  // No query, or k = 0: nothing to do.
  auto none = output<TestType>(0, 3);
  auto s0 = output<TestType>(0, 2);
  auto i0 = output<std::int64_t>(0, 2);
  index.top_k(none.view, s0.view, i0.view);
}

PT_TEST("simplify: the embedding generator and the hybrid") {
  // Directions: big ≈ large ≈ huge, small ≈ tiny.
  const sp::word_vectors vectors({"big", "large", "huge", "small", "tiny", "Paris"},
                                 {1.0f, 0.1f, 0.0f, 0.9f, 0.2f, 0.0f, 1.0f, 0.3f, 0.0f,  //
                                  -1.0f, 0.1f, 0.0f, -0.9f, 0.0f, 0.1f, 0.0f, 0.0f, 1.0f},
                                 3);
  CHECK(vectors.find("BIG") == 0);
  CHECK(vectors.find("Paris") == 5);
  CHECK(vectors.find("paris") == -1);  // the lowercase of "paris" is "paris": absent
  const sp::embedding_generator<test_backend> generator(backend(), vectors);
  const std::vector<std::string> words{"big", "unknown", "small"};
  const auto c = generator.candidates(words, 2);
  REQUIRE(c.size() == 3);
  REQUIRE(c[0].size() == 2);
  CHECK(c[0][0].word == "large");
  CHECK(c[0][1].word == "huge");
  CHECK(c[0][0].similarity > c[0][1].similarity);
  CHECK(c[1].empty());
  REQUIRE(c[2].size() == 2);
  CHECK(c[2][0].word == "tiny");
  CHECK(generator.candidates("big", 10).size() == 5);  // every other word, never itself
  CHECK(generator.candidates("big", 0).empty());
  CHECK_THROWS_AS(generator.candidates("big", -1), posttrain::value_error);

  sp::thesaurus thesaurus;
  thesaurus.add("big", {"great", "large"});
  const auto from_thesaurus = sp::hybrid_candidates(thesaurus, "Big", c[0]);
  CHECK(from_thesaurus == std::vector<std::string>{"great", "large"});
  CHECK(sp::hybrid_candidates(thesaurus, "small", c[2]) == std::vector<std::string>{"tiny", "Paris"});  // cos 0 > cos(small, big) < 0
  CHECK(sp::hybrid_candidates(thesaurus, "big", c[0], {.merge = true}) ==
        std::vector<std::string>{"great", "large", "huge"});
}
