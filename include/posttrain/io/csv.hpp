// SPDX-License-Identifier: Apache-2.0
#pragma once
// Delimited-text reader (CSV as RFC 4180, TSV, any one-character delimiter): quoted fields
// with doubled quotes, CRLF or LF line ends, quoted fields spanning lines. A malformed record
// throws parse_error with the file, the line and the column (in bytes) where it goes wrong.
// Field bytes pass through unchanged, invalid UTF-8 included: decoding text (with replacement
// and a count of bad bytes) is the text modules' job, not the reader's.
//
//   posttrain::io::csv_reader in(stream, "scores.csv");          // ',' by default
//   in.read_header();                                            // optional
//   while (auto rec = in.next()) { rec->fields[0]; rec->line; }

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "numbers.hpp"

namespace posttrain::io {

struct record {
  std::vector<std::string> fields;
  long line = 0;                 // 1-based line where the record starts
  std::vector<long> columns;     // 1-based column (byte) where each field starts
};

struct csv_options {
  char delimiter = ',';
  char quote = '"';              // '\0' turns quoting off (plain TSV)
  bool allow_ragged = false;     // else every record must have the header's (or first record's) width
};

/// The TSV dialect every posttrain reader and writer of TSV uses (IANA text/tab-separated-values,
/// as Moses, sacrebleu and most corpus tools read it): fields separated by one tab, records by LF
/// (the CR of a CRLF is dropped), blank lines skipped, and no quoting: a quote is an ordinary
/// character, so no field can hold a tab, a line feed or a carriage return.
inline constexpr csv_options tsv_dialect{.delimiter = '\t', .quote = '\0'};

class csv_reader {
 public:
  csv_reader(std::istream& in, std::string file_name, csv_options options = {})
      : in_(in), file_(std::move(file_name)), opt_(options) {}

  /// Reads the first record as the header; its width becomes the expected width.
  const std::vector<std::string>& read_header() {
    auto r = next();
    if (!r) throw parse_error(file_, 1, 1, "empty input: a header line is required");
    header_ = std::move(r->fields);
    return header_;
  }
  const std::vector<std::string>& header() const noexcept { return header_; }

  /// The next record, or nullopt at the end of the input. Blank lines are skipped.
  std::optional<record> next() {
    std::string line;
    while (true) {
      if (!std::getline(in_, line)) return std::nullopt;
      ++line_no_;
      strip_cr(line);
      if (!line.empty()) break;
    }
    record rec;
    rec.line = line_no_;
    std::string field;
    std::size_t pos = 0;
    long column = 1;
    while (true) {
      rec.columns.push_back(column);
      field.clear();
      if (opt_.quote && pos < line.size() && line[pos] == opt_.quote) {
        ++pos;
        while (true) {
          if (pos >= line.size()) {  // the quoted field continues on the next line
            std::string more;
            if (!std::getline(in_, more))
              throw parse_error(file_, rec.line, column, "unterminated quoted field (the input ends inside it)");
            ++line_no_;
            strip_cr(more);
            field += '\n';
            line = std::move(more);
            pos = 0;
            continue;
          }
          const char ch = line[pos++];
          if (ch != opt_.quote) {
            field += ch;
          } else if (pos < line.size() && line[pos] == opt_.quote) {
            field += ch;
            ++pos;
          } else {
            break;
          }
        }
        if (pos < line.size() && line[pos] != opt_.delimiter)
          throw parse_error(file_, line_no_, static_cast<long>(pos) + 1,
                            std::string("unexpected '") + line[pos] + "' after a closing quote");
      } else {
        const auto end = line.find(opt_.delimiter, pos);
        field.assign(line, pos, end == std::string::npos ? std::string::npos : end - pos);
        if (opt_.quote && field.find(opt_.quote) != std::string::npos)
          throw parse_error(file_, line_no_, static_cast<long>(pos + field.find(opt_.quote)) + 1,
                            "a quote inside an unquoted field");
        // Only a quoted field may hold a CR (RFC 4180); a stray one is most often a file with
        // CR-only line ends, whose lines would otherwise run together.
        if (field.find('\r') != std::string::npos)
          throw parse_error(file_, line_no_, static_cast<long>(pos + field.find('\r')) + 1,
                            "a carriage return inside an unquoted field (CR-only line ends?)");
        pos = end == std::string::npos ? line.size() : end;
      }
      rec.fields.push_back(field);
      if (pos >= line.size()) break;
      ++pos;  // the delimiter
      column = static_cast<long>(pos) + 1;
      if (pos == line.size()) {  // a trailing delimiter: one more, empty field
        rec.columns.push_back(column);
        rec.fields.emplace_back();
        break;
      }
    }
    const std::size_t width = header_.empty() ? first_width_ : header_.size();
    if (width == 0) first_width_ = rec.fields.size();
    else if (!opt_.allow_ragged && rec.fields.size() != width)
      throw parse_error(file_, rec.line, 1,
                        "expected " + std::to_string(width) + " fields, found " + std::to_string(rec.fields.size()));
    return rec;
  }

  const std::string& file() const noexcept { return file_; }

 private:
  static void strip_cr(std::string& s) {
    if (!s.empty() && s.back() == '\r') s.pop_back();
  }
  std::istream& in_;
  std::string file_;
  csv_options opt_;
  std::vector<std::string> header_;
  std::size_t first_width_ = 0;
  long line_no_ = 0;
};

/// A field as a number (io/numbers.hpp: from_chars, spaces around it allowed, no hexadecimal);
/// parse_error naming the record's line and the field's column if it is not one.
inline double parse_number(const record& rec, std::size_t field, const std::string& file) {
  const std::string& s = rec.fields.at(field);
  bool overflow = false;
  if (const auto v = read_number(s, &overflow)) return *v;
  throw parse_error(file, rec.line, rec.columns.at(field),
                    "field " + std::to_string(field + 1) + " is not a number" +
                        (overflow ? " within double's range" : "") + ": '" + s + "'");
}

}  // namespace posttrain::io
