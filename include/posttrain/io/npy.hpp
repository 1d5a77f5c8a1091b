#pragma once
// NumPy .npy files (format versions 1–3): what users dump features, labels and weights with
// (`numpy.save`). C order, little-endian integers and floats of 1–8 bytes, rank 1 or 2.
//   npy_reader r(path);  r.rows(), r.cols();  r.read_rows(n, out)  streams rows in order
//   write_npy(path, data, {rows, cols})       the inverse (float, double, int32, int64, uint8)
// A malformed header, an unsupported dtype (big-endian, Fortran order, complex, object) or a
// file shorter than its header says is a parse_error naming the file.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <string>
#include <type_traits>
#include <vector>

#include "../core/config.hpp"
#include "../core/error.hpp"

namespace posttrain::io {

class npy_reader {
 public:
  explicit npy_reader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) throw parse_error(path, 0, 0, "cannot open the file");
    char magic[8];
    if (!in_.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
      fail("not a .npy file (the magic string \\x93NUMPY is missing)");
    const int major = static_cast<unsigned char>(magic[6]);
    if (major < 1 || major > 3) fail("unsupported .npy format version " + std::to_string(major));
    std::uint32_t header_length = 0;
    unsigned char len[4] = {0, 0, 0, 0};
    if (!in_.read(reinterpret_cast<char*>(len), major == 1 ? 2 : 4)) fail("the header is cut short");
    header_length = std::uint32_t(len[0]) | std::uint32_t(len[1]) << 8 | std::uint32_t(len[2]) << 16 |
                    std::uint32_t(len[3]) << 24;
    std::string header(header_length, '\0');
    if (!in_.read(header.data(), header_length)) fail("the header is cut short");
    data_offset_ = static_cast<std::streamoff>(in_.tellg());
    parse_header(header);
  }

  const std::string& path() const noexcept { return path_; }
  /// The extents: [rows] or [rows, cols].
  const std::vector<index_t>& shape() const noexcept { return shape_; }
  index_t rows() const noexcept { return shape_.empty() ? 1 : shape_[0]; }
  index_t cols() const noexcept { return shape_.size() == 2 ? shape_[1] : 1; }
  /// 'f' (float), 'i' (signed), 'u' (unsigned) or 'b' (bool); and the size of an element.
  char kind() const noexcept { return kind_; }
  int item_size() const noexcept { return item_size_; }
  index_t rows_read() const noexcept { return next_row_; }

  /// Reads the next min(count, rows left) rows into out (resized to rows·cols), converting each
  /// element to T. Returns the number of rows read (0 at the end).
  template <class T>
  index_t read_rows(index_t count, std::vector<T>& out) {
    const index_t n = std::min(count, rows() - next_row_);
    const std::size_t elements = static_cast<std::size_t>(n * cols());
    out.resize(elements);
    if (n <= 0) return 0;
    buffer_.resize(elements * static_cast<std::size_t>(item_size_));
    if (!in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size())))
      fail("the file ends within row " + std::to_string(next_row_ + in_.gcount() / (item_size_ * cols())) + " of " +
           std::to_string(rows()) + " (it is shorter than its header says)");
    const char* p = buffer_.data();
    for (std::size_t k = 0; k < elements; ++k, p += item_size_) out[k] = convert<T>(p);
    next_row_ += n;
    return n;
  }

  /// Starts reading from the first row again.
  void rewind() {
    in_.clear();
    in_.seekg(data_offset_);
    next_row_ = 0;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw parse_error(path_, 0, 0, what); }

  template <class T>
  T convert(const char* p) const {
    const auto load = [p]<class U>(U) {
      U v;
      std::memcpy(&v, p, sizeof v);
      return static_cast<T>(v);
    };
    switch (kind_) {
      case 'f': return item_size_ == 4 ? load(float{}) : load(double{});
      case 'i':
        switch (item_size_) {
          case 1: return load(std::int8_t{});
          case 2: return load(std::int16_t{});
          case 4: return load(std::int32_t{});
          default: return load(std::int64_t{});
        }
      default:  // 'u' and 'b'
        switch (item_size_) {
          case 1: return load(std::uint8_t{});
          case 2: return load(std::uint16_t{});
          case 4: return load(std::uint32_t{});
          default: return load(std::uint64_t{});
        }
    }
  }

  // The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
  void parse_header(const std::string& h) {
    const auto value_of = [&](const std::string& key) {
      const auto k = h.find("'" + key + "'");
      if (k == std::string::npos) fail("the header has no '" + key + "': " + h);
      auto colon = h.find(':', k);
      if (colon == std::string::npos) fail("malformed header: " + h);
      auto v = h.find_first_not_of(' ', colon + 1);
      return v;
    };
    auto d = value_of("descr");
    if (h[d] != '\'' && h[d] != '"') fail("a structured dtype is not supported: " + h);
    const auto end = h.find(h[d], d + 1);
    const std::string descr = h.substr(d + 1, end - d - 1);
    if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|' && descr[0] != '='))
      fail("dtype '" + descr + "' is not supported (big-endian or unknown)");
    kind_ = descr[1];
    item_size_ = std::atoi(descr.c_str() + 2);
    const bool ok = (kind_ == 'f' && (item_size_ == 4 || item_size_ == 8)) ||
                    ((kind_ == 'i' || kind_ == 'u') &&
                     (item_size_ == 1 || item_size_ == 2 || item_size_ == 4 || item_size_ == 8)) ||
                    (kind_ == 'b' && item_size_ == 1);
    if (!ok) fail("dtype '" + descr + "' is not supported (float32/64, integers and bool are)");
    const auto f = value_of("fortran_order");
    if (h.compare(f, 4, "True") == 0) fail("Fortran order is not supported; save with numpy.ascontiguousarray");
    const auto s = value_of("shape");
    if (h[s] != '(') fail("malformed shape in the header: " + h);
    const auto close = h.find(')', s);
    std::string dims = h.substr(s + 1, close - s - 1);
    std::size_t pos = 0;
    while (pos < dims.size()) {
      while (pos < dims.size() && (dims[pos] == ' ' || dims[pos] == ',')) ++pos;
      if (pos >= dims.size()) break;
      std::size_t used = 0;
      long long v = -1;
      try {
        v = std::stoll(dims.substr(pos), &used);
      } catch (const std::exception&) {
        fail("malformed shape in the header: " + h);
      }
      if (v < 0) fail("malformed shape in the header: " + h);
      shape_.push_back(static_cast<index_t>(v));
      pos += used;
    }
    if (shape_.size() > 2) fail("rank " + std::to_string(shape_.size()) + " arrays are not supported (rank 1 or 2)");
  }

  std::string path_;
  std::ifstream in_;
  std::streamoff data_offset_ = 0;
  std::vector<index_t> shape_;
  char kind_ = 'f';
  int item_size_ = 4;
  index_t next_row_ = 0;
  std::vector<char> buffer_;
};

/// Writes a C-order .npy (version 1.0) of rows×cols elements (cols = 0: a rank-1 array).
template <class T>
void write_npy(const std::string& path, const T* data, index_t rows, index_t cols = 0) {
  const char* descr = std::is_same_v<T, float>          ? "<f4"
                      : std::is_same_v<T, double>       ? "<f8"
                      : std::is_same_v<T, std::int32_t> ? "<i4"
                      : std::is_same_v<T, std::int64_t> ? "<i8"
                      : std::is_same_v<T, std::uint8_t> ? "|u1"
                                                        : nullptr;
  if (!descr) throw value_error("posttrain::io::write_npy: unsupported element type");
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + (cols > 0 ? ", " + std::to_string(cols) + ")" : ",)") + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw runtime_error("posttrain::io::write_npy: cannot create " + path);
  const auto len = static_cast<std::uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(data),
            static_cast<std::streamsize>(sizeof(T) * static_cast<std::size_t>(rows * (cols > 0 ? cols : 1))));
  if (!out) throw runtime_error("posttrain::io::write_npy: writing " + path + " failed");
}

}  // namespace posttrain::io
