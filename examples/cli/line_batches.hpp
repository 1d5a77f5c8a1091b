// SPDX-License-Identifier: Apache-2.0
#pragma once
// Lines of a stream in batches, read in large blocks: the text commands' reader. getline copies
// each line through the stream buffer; this reads 4 MB at a time and finds the line ends with
// memchr, handing out views into its own buffer. A line longer than the cap (--max-line-bytes) is
// an error before it is all in memory; so is a carriage return inside a line (a file with
// CR-only line endings would otherwise be one record).

#include <cstring>
#include <istream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posttrain::cli {

class line_batches {
 public:
  line_batches(std::istream& in, std::string name, std::size_t max_line_bytes)
      : in_(in), name_(std::move(name)), max_line_(max_line_bytes) {}

  /// Up to `max` next lines, without their "\n" or "\r\n"; none when the input is done. The
  /// views stay valid until the next call.
  const std::vector<std::string_view>& next(std::size_t max) {
    buffer_.erase(0, consumed_);  // the unread rest moves to the front
    consumed_ = 0;
    spans_.clear();
    std::size_t scan = 0;
    while (spans_.size() < max) {
      const void* end = std::memchr(buffer_.data() + scan, '\n', buffer_.size() - scan);
      if (end) {
        const std::size_t at = std::size_t(static_cast<const char*>(end) - buffer_.data());
        spans_.emplace_back(consumed_, at - consumed_);
        consumed_ = scan = at + 1;
        continue;
      }
      scan = buffer_.size();
      if (buffer_.size() - consumed_ > max_line_ + 1)  // + 1: a "\r" before the "\n"
        throw std::runtime_error(where(spans_.size()) + "the line is longer than " + std::to_string(max_line_) +
                                 " bytes (--max-line-bytes)");
      if (done_) {
        if (consumed_ < buffer_.size()) spans_.emplace_back(consumed_, buffer_.size() - consumed_);
        consumed_ = buffer_.size();
        break;
      }
      const std::size_t old = buffer_.size();
      buffer_.resize(old + block);
      in_.read(buffer_.data() + old, std::streamsize(block));
      buffer_.resize(old + std::size_t(in_.gcount()));
      if (in_.gcount() == 0) done_ = true;
    }
    // Views only now: reading more may have moved the buffer.
    lines_.clear();
    for (const auto& [offset, length] : spans_) {
      std::string_view line(buffer_.data() + offset, length);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > max_line_)
        throw std::runtime_error(where(lines_.size()) + "the line is longer than " + std::to_string(max_line_) +
                                 " bytes (--max-line-bytes)");
      if (line.find('\r') != std::string_view::npos)
        throw std::runtime_error(where(lines_.size()) +
                                 "a carriage return inside the line (CR-only line endings? convert them with "
                                 "tr '\\r' '\\n')");
      lines_.push_back(line);
    }
    lines_before_ += lines_.size();
    return lines_;
  }

 private:
  std::string where(std::size_t index_in_batch) const {
    return name_ + ":" + std::to_string(lines_before_ + index_in_batch + 1) + ": ";
  }

  static constexpr std::size_t block = std::size_t(1) << 22;
  std::istream& in_;
  std::string name_;
  std::size_t max_line_;
  std::size_t lines_before_ = 0;
  std::string buffer_;
  std::size_t consumed_ = 0;
  bool done_ = false;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
  std::vector<std::string_view> lines_;
};

}  // namespace posttrain::cli
