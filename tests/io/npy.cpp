// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <posttrain/io/npy.hpp>

using posttrain::io::npy_reader;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("posttrain_npy_test_" + name)).string();
}

/// A .npy written byte by byte: version, header text, then the payload.
std::string raw_npy(const std::string& name, int version, const std::string& dict, const std::string& payload) {
  std::string header = dict;
  const std::size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = std::string("\x93NUMPY", 6) + char(version) + '\0';
  const auto len = header.size();
  bytes += char(len & 0xff);
  bytes += char((len >> 8) & 0xff);
  if (version != 1) bytes += std::string(2, '\0');
  bytes += header + payload;
  const auto path = temp_path(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

template <class T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

std::string error_of(const std::string& path) {
  try {
    npy_reader r(path);
    std::vector<double> out;
    while (r.read_rows(2, out) > 0) {
    }
  } catch (const posttrain::parse_error& e) {
    return e.what();
  } catch (const posttrain::runtime_error& e) {  // the file cannot be opened
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("npy: write and read back float32, float64, int64, uint8 in batches") {
  const std::vector<float> f = {1.5f, -2, 3, 4, 5, 6.25f, 7, 8, 9};
  const auto path = temp_path("f32.npy");
  posttrain::io::write_npy(path, f.data(), 3, 3);
  npy_reader r(path);
  CHECK(r.shape() == std::vector<posttrain::index_t>{3, 3});
  CHECK(r.kind() == 'f');
  CHECK(r.item_size() == 4);
  std::vector<double> out;
  CHECK(r.read_rows(2, out) == 2);
  CHECK(out == std::vector<double>{1.5, -2, 3, 4, 5, 6.25});
  CHECK(r.read_rows(2, out) == 1);
  CHECK(out == std::vector<double>{7, 8, 9});
  CHECK(r.read_rows(2, out) == 0);
  r.rewind();
  CHECK(r.read_rows(10, out) == 3);
  CHECK(out.size() == 9);

  const std::vector<std::int64_t> labels = {0, 3, -1, 7};
  const auto lpath = temp_path("i64.npy");
  posttrain::io::write_npy(lpath, labels.data(), 4);
  npy_reader l(lpath);
  CHECK(l.shape() == std::vector<posttrain::index_t>{4});
  CHECK(l.cols() == 1);
  std::vector<std::int64_t> back;
  CHECK(l.read_rows(10, back) == 4);
  CHECK(back == labels);

  const std::vector<double> d = {0.1, 1e300};
  const auto dpath = temp_path("f64.npy");
  posttrain::io::write_npy(dpath, d.data(), 1, 2);
  npy_reader dr(dpath);
  std::vector<double> dback;
  dr.read_rows(1, dback);
  CHECK(dback == d);
}

TEST_CASE("npy: headers as numpy writes them, versions 1 and 2, int32 and bool") {
  const std::vector<std::int32_t> v = {5, -6, 7, 8};
  const auto p1 = raw_npy("i4.npy", 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", bytes_of(v));
  npy_reader r1(p1);
  std::vector<float> out;
  CHECK(r1.read_rows(5, out) == 2);
  CHECK(out == std::vector<float>{5, -6, 7, 8});
  const auto p2 = raw_npy("b1.npy", 2, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", std::string("\1\0\1", 3));
  npy_reader r2(p2);
  std::vector<int> bools;
  r2.read_rows(3, bools);
  CHECK(bools == std::vector<int>{1, 0, 1});
}

TEST_CASE("npy: unsupported or broken files are errors naming the file") {
  const std::string payload(16, '\0');
  CHECK_THAT(error_of(raw_npy("be.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", payload)),
             Catch::Contains("be.npy: dtype '>f4' is not supported"));
  CHECK_THAT(error_of(raw_npy("fo.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", payload)),
             Catch::Contains("Fortran order"));
  CHECK_THAT(error_of(raw_npy("c8.npy", 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", payload)),
             Catch::Contains("'<c8' is not supported"));
  CHECK_THAT(error_of(raw_npy("r3.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", payload)),
             Catch::Contains("rank 3"));
  CHECK_THAT(error_of(raw_npy("short.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 2), }",
                              std::string(40, '\0'))),
             Catch::Contains("short.npy: the file ends within row 2 of 4"));
  const auto not_npy = temp_path("text.npy");
  std::ofstream(not_npy) << "a,b\n1,2\n";
  CHECK_THAT(error_of(not_npy), Catch::Contains("not a .npy file"));
  CHECK_THAT(error_of(temp_path("missing.npy")), Catch::Contains("cannot open"));
}

TEST_CASE("npy: hostile headers are errors before anything is allocated or read out of bounds") {
  const std::string payload(32, '\0');
  const auto header = [&](const std::string& name, const std::string& dict) {
    return error_of(raw_npy(name, 1, dict, payload));
  };
  // The element count overflows: 4096 · 2^52 wrapped to 0 elements before.
  CHECK_THAT(header("overflow.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4096, 4503599627370496), }"),
             Catch::Contains("overflow.npy: the shape (4096, 4503599627370496) has more than 2^63 elements"));
  CHECK_THAT(header("bytes.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }"),
             Catch::Contains("needs more than 2^63 bytes"));
  CHECK_THAT(header("huge.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
             Catch::Contains("an extent below 2^63"));
  // A last key without a value was read at h[npos].
  CHECK_THAT(header("descr_last.npy", "{'fortran_order': False, 'shape': (2, 2), 'descr':"),
             Catch::Contains("expected a quoted string at byte"));
  CHECK_THAT(header("shape_last.npy", "{'descr': '<f8', 'fortran_order': False, 'shape':"),
             Catch::Contains("expected '(' at byte"));
  CHECK_THAT(header("unterminated.npy", "{'descr': '<f8, 'fortran_order': False, 'shape': (2, 2), }"),
             Catch::Contains("malformed header"));
  CHECK_THAT(header("open_tuple.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (8, 2, }"),
             Catch::Contains("malformed header"));
  CHECK_THAT(header("junk.npy", "{'descr': '<f8junk', 'fortran_order': False, 'shape': (2, 2), }"),
             Catch::Contains("dtype '<f8junk' is not supported"));
  CHECK_THAT(header("repeat.npy", "{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"),
             Catch::Contains("'descr' repeats"));
  CHECK_THAT(header("unknown.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'x': 1}"),
             Catch::Contains("not 'x'"));
  CHECK_THAT(header("missing_key.npy", "{'descr': '<f8', 'shape': (2, 2), }"), Catch::Contains("no 'fortran_order'"));
  CHECK_THAT(header("after.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), } x"),
             Catch::Contains("the end of the header"));
  CHECK_THAT(header("not_tuple.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4), }"),
             Catch::Contains("a 1-tuple is written (n,)"));
  CHECK_THAT(header("negative.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (-4,), }"),
             Catch::Contains("non-negative integer"));
  CHECK_THAT(header("structured.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (8,), }"),
             Catch::Contains("structured dtype"));
  // More data than the shape needs is a wrong shape, not something to ignore.
  CHECK_THAT(header("long.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"),
             Catch::Contains("long.npy: the file has 8 bytes after the 24 bytes"));

  // A v2 length field of 0xFFFFFFF0 allocated 4 GiB before the file was looked at.
  std::string bytes = std::string("\x93NUMPY\x02\x00\xF0\xFF\xFF\xFF", 12) + "{'descr': '<f8'}";
  const auto big = temp_path("v2_length.npy");
  std::ofstream(big, std::ios::binary) << bytes;
  CHECK_THAT(error_of(big), Catch::Contains("the header length field says 4294967280 bytes, and the file has 28"));

  const auto dir = temp_path("a_directory.npy");
  std::filesystem::create_directories(dir);
  CHECK_THAT(error_of(dir), Catch::Contains("a_directory.npy: is a directory"));
}

TEST_CASE("npy: the accepted spellings (Python 2 suffixes, double quotes, any key order, a scalar, no rows)") {
  const std::vector<double> v = {1, 2, 3, 4, 5, 6};
  npy_reader a(raw_npy("py2.npy", 1, "{\"shape\": (3L, 2L), \"fortran_order\": False, \"descr\": \"<f8\"}", bytes_of(v)));
  CHECK(a.shape() == std::vector<posttrain::index_t>{3, 2});
  std::vector<double> out;
  CHECK(a.read_rows(9, out) == 3);
  CHECK(out == v);
  npy_reader s(raw_npy("scalar.npy", 3, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", bytes_of(std::vector<double>{7})));
  CHECK(s.rows() == 1);
  CHECK(s.cols() == 1);
  CHECK(s.read_rows(1, out) == 1);
  CHECK(out == std::vector<double>{7});
  npy_reader e(raw_npy("empty.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", ""));
  CHECK(e.rows() == 0);
  CHECK(e.read_rows(4, out) == 0);
  CHECK(out.empty());
}
