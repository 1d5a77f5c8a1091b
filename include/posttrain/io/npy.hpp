// SPDX-License-Identifier: Apache-2.0
#pragma once
// NumPy .npy files (format versions 1–3): what users dump features, labels and weights with
// (`numpy.save`). C order, little-endian integers and floats of 1–8 bytes, rank 1 or 2.
//   npy_reader r(path);  r.rows(), r.cols();  r.read_rows(n, out)  streams rows in order
//   write_npy(path, data, {rows, cols})       the inverse (float, double, int32, int64, uint8)
// A malformed header, an unsupported dtype (big-endian, Fortran order, complex, object), a shape
// whose size overflows, or a file shorter or longer than its header says is a parse_error naming
// the file; all are found before the payload is read.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "../core/config.hpp"
#include "../core/error.hpp"
#include "files.hpp"

namespace posttrain::io {

class npy_reader {
 public:
  /// numpy's own reader refuses headers over 10 000 bytes by default; a file that claims more
  /// than this is refused before anything is allocated.
  static constexpr std::uint32_t max_header_bytes = 1 << 20;

  explicit npy_reader(const std::string& path) : path_(path), in_(open_input_file(path, std::ios::binary)) {
    char magic[8];
    if (!in_.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
      fail("not a .npy file (the magic string \\x93NUMPY is missing)");
    const int major = static_cast<unsigned char>(magic[6]);
    if (major < 1 || major > 3) fail("unsupported .npy format version " + std::to_string(major));
    unsigned char len[4] = {0, 0, 0, 0};
    const int length_bytes = major == 1 ? 2 : 4;
    if (!in_.read(reinterpret_cast<char*>(len), length_bytes)) fail("the header is cut short");
    const std::uint32_t header_length = std::uint32_t(len[0]) | std::uint32_t(len[1]) << 8 |
                                        std::uint32_t(len[2]) << 16 | std::uint32_t(len[3]) << 24;
    const long long file_size = regular_file_size(path);
    const long long header_end = 8 + length_bytes + static_cast<long long>(header_length);
    if (header_length > max_header_bytes || (file_size >= 0 && header_end > file_size))
      fail("the header length field says " + std::to_string(header_length) + " bytes" +
           (file_size >= 0 ? ", and the file has " + std::to_string(file_size) : std::string()) +
           " (the limit is " + std::to_string(max_header_bytes) + ")");
    std::string header(header_length, '\0');
    if (!in_.read(header.data(), header_length)) fail("the header is cut short");
    data_offset_ = static_cast<std::streamoff>(header_end);
    parse_header(header);
    check_size(file_size - header_end, file_size >= 0);
  }

  const std::string& path() const noexcept { return path_; }
  /// The extents: [rows] or [rows, cols] ([] for a scalar, read as one row of one column).
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
    const index_t n = std::max<index_t>(0, std::min(count, rows() - next_row_));
    const std::size_t elements = static_cast<std::size_t>(n) * static_cast<std::size_t>(cols());
    out.resize(elements);
    if (n == 0) return 0;
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

  // The header is a Python dict literal, as numpy writes it:
  //   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
  // parsed strictly: exactly these three keys, once each, in any order; string values in single
  // or double quotes; shape a tuple of non-negative integers (Python 2's 3L suffix allowed).
  // Anything else, trailing text included, is an error.
  struct header_cursor {
    const std::string& text;
    const npy_reader& reader;
    std::size_t at = 0;

    [[noreturn]] void malformed(const std::string& expected) const {
      std::string shown;
      for (char c : text.substr(0, 160)) shown += (c >= ' ' && c <= '~') ? c : '?';
      if (text.size() > 160) shown += "...";
      reader.fail("malformed header: expected " + expected + " at byte " + std::to_string(at) + " of \"" + shown +
                  "\"");
    }
    void skip_space() {
      while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) ++at;
    }
    bool accept(char c) {
      skip_space();
      if (at < text.size() && text[at] == c) return ++at, true;
      return false;
    }
    void expect(char c) {
      if (!accept(c)) malformed(std::string("'") + c + "'");
    }
    std::string quoted() {
      skip_space();
      if (at >= text.size() || (text[at] != '\'' && text[at] != '"')) malformed("a quoted string");
      const char quote = text[at++];
      const std::size_t begin = at;
      while (at < text.size() && text[at] != quote) {
        if (text[at] == '\\') malformed("a string without escapes");
        ++at;
      }
      if (at >= text.size()) malformed(std::string("the closing ") + quote);
      return text.substr(begin, at++ - begin);
    }
    bool boolean() {
      skip_space();
      for (const bool v : {true, false}) {
        const std::string word = v ? "True" : "False";
        if (text.compare(at, word.size(), word) == 0) return at += word.size(), v;
      }
      malformed("True or False");
    }
    std::vector<index_t> tuple() {
      expect('(');
      std::vector<index_t> dims;
      while (!accept(')')) {
        skip_space();
        const char* begin = text.data() + at;
        const char* end = text.data() + text.size();
        index_t v = 0;
        const auto r = std::from_chars(begin, end, v);
        if (r.ec == std::errc::result_out_of_range) malformed("an extent below 2^63");
        if (r.ec != std::errc() || *begin == '-') malformed("a non-negative integer extent");
        at += static_cast<std::size_t>(r.ptr - begin);
        if (at < text.size() && text[at] == 'L') ++at;
        dims.push_back(v);
        if (!accept(',')) {
          expect(')');
          // (3) is an integer in parentheses, not a tuple: numpy always writes (3,).
          if (dims.size() == 1) malformed("',' after the only extent (a 1-tuple is written (n,))");
          break;
        }
      }
      return dims;
    }
  };

  void parse_header(const std::string& h) {
    header_cursor c{h, *this};
    bool have_descr = false, have_order = false, have_shape = false;
    std::string descr;
    c.expect('{');
    while (!c.accept('}')) {
      const std::size_t key_at = c.at;
      const std::string key = c.quoted();
      c.expect(':');
      bool* seen = key == "descr" ? &have_descr : key == "fortran_order" ? &have_order : key == "shape" ? &have_shape
                                                                                                          : nullptr;
      if (!seen) c.at = key_at, c.malformed("'descr', 'fortran_order' or 'shape', not '" + key + "'");
      if (*seen) c.at = key_at, c.malformed("each key once ('" + key + "' repeats)");
      *seen = true;
      if (key == "descr") {
        c.skip_space();
        if (c.at < h.size() && h[c.at] == '[') fail("a structured dtype is not supported");
        descr = c.quoted();
      } else if (key == "fortran_order") {
        if (c.boolean()) fail("Fortran order is not supported; save with numpy.ascontiguousarray");
      } else {
        shape_ = c.tuple();
      }
      if (!c.accept(',')) {
        c.expect('}');
        break;
      }
    }
    c.skip_space();
    if (c.at != h.size()) c.malformed("the end of the header after '}'");
    if (!have_descr || !have_order || !have_shape)
      fail(std::string("the header has no '") + (!have_descr ? "descr" : !have_order ? "fortran_order" : "shape") +
           "' key");

    const bool little = descr.size() >= 3 && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=');
    kind_ = descr.size() >= 2 ? descr[1] : '?';
    item_size_ = 0;
    if (little && descr.size() == 3 && descr[2] >= '1' && descr[2] <= '8') item_size_ = descr[2] - '0';
    const bool ok = (kind_ == 'f' && (item_size_ == 4 || item_size_ == 8)) ||
                    ((kind_ == 'i' || kind_ == 'u') &&
                     (item_size_ == 1 || item_size_ == 2 || item_size_ == 4 || item_size_ == 8)) ||
                    (kind_ == 'b' && item_size_ == 1);
    if (!ok)
      fail("dtype '" + descr + "' is not supported (little-endian float32/64, integers of 1-8 bytes and bool are)");
    if (shape_.size() > 2) fail("rank " + std::to_string(shape_.size()) + " arrays are not supported (rank 1 or 2)");
  }

  // The payload size the header implies, computed without overflow, against the bytes the file
  // holds after its header (when it is a regular file; a pipe is checked as it is read).
  void check_size(long long data_bytes, bool known) const {
    std::string extents;
    for (std::size_t i = 0; i < shape_.size(); ++i) extents += (i ? ", " : "") + std::to_string(shape_[i]);
    const auto limit = std::numeric_limits<index_t>::max();
    index_t elements = 1;
    for (const index_t e : shape_) {
      if (e != 0 && elements > limit / e) fail("the shape (" + extents + ") has more than 2^63 elements");
      elements *= e;
    }
    if (elements > limit / item_size_) fail("the shape (" + extents + ") needs more than 2^63 bytes");
    const index_t needed = elements * item_size_;
    if (known && data_bytes < needed) {
      const index_t row_bytes = std::max<index_t>(1, cols() * item_size_);
      fail("the file ends within row " + std::to_string(data_bytes / row_bytes) + " of " + std::to_string(rows()) +
           " (it is shorter than its header says: shape (" + extents + ") needs " + std::to_string(needed) +
           " bytes of data, the file has " + std::to_string(data_bytes) + ")");
    }
    if (known && data_bytes > needed)
      fail("the file has " + std::to_string(data_bytes - needed) + " bytes after the " + std::to_string(needed) +
           " bytes that the shape (" + extents + ") needs (a wrong shape in the header?)");
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
