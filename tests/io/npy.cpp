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
