#pragma once
// Lines of a stream in batches, read in large blocks: the text commands' reader. getline copies
// each line through the stream buffer; this reads 4 MB at a time and finds the line ends with
// memchr, handing out views into its own buffer.

#include <cstring>
#include <istream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posttrain::cli {

class line_batches {
 public:
  explicit line_batches(std::istream& in) : in_(in) {}

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
      lines_.push_back(line);
    }
    return lines_;
  }

 private:
  static constexpr std::size_t block = std::size_t(1) << 22;
  std::istream& in_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  bool done_ = false;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
  std::vector<std::string_view> lines_;
};

}  // namespace posttrain::cli
