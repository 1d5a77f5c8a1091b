// SPDX-License-Identifier: Apache-2.0
#pragma once
// Fashion-MNIST as the Debian package dataset-fashion-mnist installs it
// (/usr/share/datasets/fashion-mnist/*-ubyte.gz, IDX format, gzip): 60 000 training and 10 000
// test images of 28×28 pixels, 10 classes. Shared by the examples.

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <posttrain/core/config.hpp>

namespace examples {

using posttrain::index_t;

inline const char* fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

struct split {
  index_t n = 0, d = 0;
  std::vector<float> x;  // [n, d], pixels scaled to [0, 1]
  std::vector<std::int64_t> y;
};

inline std::vector<unsigned char> read_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw std::runtime_error("cannot open " + path +
                             " (install the dataset-fashion-mnist package, or pass --data DIR)");
  std::vector<unsigned char> out;
  unsigned char buf[1 << 16];
  int got;
  while ((got = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + got);
  gzclose(f);
  if (got < 0) throw std::runtime_error(path + ": not a readable gzip file");
  return out;
}

inline std::uint32_t big_endian(const std::vector<unsigned char>& b, std::size_t at) {
  if (b.size() < at + 4) throw std::runtime_error("an IDX file is cut short");
  return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 | std::uint32_t(b[at + 2]) << 8 | b[at + 3];
}

/// The IDX images (magic 2051) and labels (2049) of one split, the first `limit` of them.
inline split read_split(const std::string& dir, const std::string& prefix, index_t limit) {
  const auto images = read_gz(dir + "/" + prefix + "-images-idx3-ubyte.gz");
  const auto labels = read_gz(dir + "/" + prefix + "-labels-idx1-ubyte.gz");
  if (big_endian(images, 0) != 2051 || big_endian(labels, 0) != 2049)
    throw std::runtime_error(dir + "/" + prefix + "-*: not IDX image and label files");
  const index_t count = big_endian(images, 4), pixels = index_t(big_endian(images, 8)) * big_endian(images, 12);
  if (index_t(big_endian(labels, 4)) != count || images.size() < std::size_t(16 + count * pixels) ||
      labels.size() < std::size_t(8 + count))
    throw std::runtime_error(dir + "/" + prefix + "-*: the image and label files do not match");
  split s;
  s.n = std::min(count, limit), s.d = pixels;
  s.x.resize(std::size_t(s.n * s.d));
  for (index_t k = 0; k < s.n * s.d; ++k) s.x[std::size_t(k)] = float(images[std::size_t(16 + k)]) / 255.0f;
  for (index_t i = 0; i < s.n; ++i) s.y.push_back(labels[std::size_t(8 + i)]);
  return s;
}

}  // namespace examples
