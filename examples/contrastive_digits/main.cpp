// SPDX-License-Identifier: Apache-2.0
// GraphCoCo's question in miniature, on images: does removing the dimensions that dominate the
// positive similarity ("highlighted" dimensions) from the second view make a contrastive
// encoder learn more complementary — and more useful — features?
//
// A small encoder (784 → 256 ReLU → 64, written here, updated with Adam from the library's
// gradients) is trained without labels on Fashion-MNIST with two random augmentations per image
// (a shift of up to 2 pixels, an erased 8×8 patch, pixel noise), twice from the same start:
// once with the plain contrastive loss, once with L + λ·L(z1, z2c). Then, with the labels: the
// nearest-class-centroid accuracy on the test split (centroids from the training split), the
// effective rank of the test embeddings, and how many of the 64 dimensions carry half of the
// positive similarity.
//
//   contrastive_digits [--data DIR] [--train N] [--epochs E] [--ratio ρ] [--weight λ] [--seed S]

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/collapse.hpp>
#include <posttrain/contrastive.hpp>

#include "../common/adam.hpp"
#include "../common/fashion_mnist.hpp"
#include "../common/options.hpp"

namespace {


using posttrain::index_t;
using matrix_view = posttrain::tensor_view<float, 2>;
using const_matrix_view = posttrain::tensor_view<const float, 2>;
namespace cl = posttrain::contrastive;

constexpr index_t pixels = 784, hidden = 256, width = 64;

using examples::parameter;

struct encoder {
  parameter w1, b1, w2, b2;
  explicit encoder(std::mt19937& gen)
      : w1(hidden * pixels, std::sqrt(2.0f / pixels), gen),
        b1(hidden, 0, gen),
        w2(width * hidden, std::sqrt(1.0f / hidden), gen),
        b2(width, 0, gen) {}

  /// h = relu(x W1ᵀ + b1), z = h W2ᵀ + b2 for x [B, 784].
  void forward(const posttrain::eigen_backend& be, const_matrix_view x, std::vector<float>& h,
               std::vector<float>& z) const {
    const index_t B = x.extent(0);
    h.resize(std::size_t(B * hidden)), z.resize(std::size_t(B * width));
    posttrain::ops::gemm(be, x, const_matrix_view(w1.value.data(), hidden, pixels), matrix_view(h.data(), B, hidden),
                         {.transpose_b = true});
    for (index_t i = 0; i < B; ++i)
      for (index_t j = 0; j < hidden; ++j)
        h[std::size_t(i * hidden + j)] = std::max(0.0f, h[std::size_t(i * hidden + j)] + b1.value[std::size_t(j)]);
    posttrain::ops::gemm(be, const_matrix_view(h.data(), B, hidden), const_matrix_view(w2.value.data(), width, hidden),
                         matrix_view(z.data(), B, width), {.transpose_b = true});
    for (index_t i = 0; i < B; ++i)
      for (index_t j = 0; j < width; ++j) z[std::size_t(i * width + j)] += b2.value[std::size_t(j)];
  }

  /// Accumulates the parameter gradients of one view from dL/dz [B, 64].
  void backward(const posttrain::eigen_backend& be, const_matrix_view x, const std::vector<float>& h,
                const std::vector<float>& gz, std::vector<float>& gh) {
    const index_t B = x.extent(0);
    const const_matrix_view gzv(gz.data(), B, width), hv(h.data(), B, hidden);
    posttrain::ops::gemm(be, gzv, hv, matrix_view(w2.grad.data(), width, hidden), {.beta = 1.0f, .transpose_a = true});
    for (index_t i = 0; i < B; ++i)
      for (index_t j = 0; j < width; ++j) b2.grad[std::size_t(j)] += gz[std::size_t(i * width + j)];
    gh.resize(std::size_t(B * hidden));
    posttrain::ops::gemm(be, gzv, const_matrix_view(w2.value.data(), width, hidden), matrix_view(gh.data(), B, hidden));
    for (std::size_t k = 0; k < gh.size(); ++k)
      if (h[k] <= 0) gh[k] = 0;
    posttrain::ops::gemm(be, const_matrix_view(gh.data(), B, hidden), x, matrix_view(w1.grad.data(), hidden, pixels),
                         {.beta = 1.0f, .transpose_a = true});
    for (index_t i = 0; i < B; ++i)
      for (index_t j = 0; j < hidden; ++j) b1.grad[std::size_t(j)] += gh[std::size_t(i * hidden + j)];
  }
  void step(float lr, int t) {
    for (parameter* p : {&w1, &b1, &w2, &b2}) {
      p->adam(lr, t);
      std::fill(p->grad.begin(), p->grad.end(), 0.0f);
    }
  }
};

/// A random view of a 28×28 image: shifted by up to 2 pixels, an 8×8 patch erased half of the
/// time, Gaussian pixel noise (σ = 0.1).
void augment(const float* image, float* out, std::mt19937& gen) {
  std::uniform_int_distribution<int> shift(-2, 2), corner(0, 20), coin(0, 1);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  const int dx = shift(gen), dy = shift(gen);
  const bool erase = coin(gen) == 1;
  const int ex = corner(gen), ey = corner(gen);
  for (int r = 0; r < 28; ++r)
    for (int c = 0; c < 28; ++c) {
      const int sr = r - dy, sc = c - dx;
      float v = sr >= 0 && sr < 28 && sc >= 0 && sc < 28 ? image[sr * 28 + sc] : 0.0f;
      if (erase && r >= ey && r < ey + 8 && c >= ex && c < ex + 8) v = 0.0f;
      out[r * 28 + c] = v + noise(gen);
    }
}

struct result {
  double final_loss = 0, ncc_z = 0, ncc_rep = 0, erank = 0, train_s = 0;
  index_t dims_half = 0;
};

/// Nearest-class-centroid test accuracy of the row-normalised embeddings (centroids from train).
double ncc_accuracy(const posttrain::eigen_backend& be, std::vector<float> train, const examples::split& tr,
                    std::vector<float> test, const examples::split& te, index_t dim) {
  for (auto* e : {&train, &test})
    for (std::size_t i = 0; i < e->size() / std::size_t(dim); ++i) {
      double s = 0;
      for (index_t j = 0; j < dim; ++j)
        s += double((*e)[i * std::size_t(dim) + std::size_t(j)]) * (*e)[i * std::size_t(dim) + std::size_t(j)];
      const float inv = float(1 / std::max(std::sqrt(s), 1e-12));
      for (index_t j = 0; j < dim; ++j) (*e)[i * std::size_t(dim) + std::size_t(j)] *= inv;
    }
  posttrain::collapse::class_statistics centroids(10, dim, posttrain::collapse::scatter_route::projected);
  centroids.add(be, const_matrix_view(train.data(), tr.n, dim),
                posttrain::tensor_view<const std::int64_t, 1>(tr.y.data(), tr.n));
  posttrain::collapse::second_pass_statistics<float> pass(be, centroids);
  pass.add(be, const_matrix_view(test.data(), te.n, dim),
           posttrain::tensor_view<const std::int64_t, 1>(te.y.data(), te.n));
  return double(pass.ncc_correct()) / double(te.n);
}

std::vector<float> embed(const posttrain::eigen_backend& be, const encoder& enc, const examples::split& s) {
  std::vector<float> h, z;
  enc.forward(be, const_matrix_view(s.x.data(), s.n, pixels), h, z);
  return z;
}

result train(const posttrain::eigen_backend& be, const examples::split& tr, const examples::split& te,
             bool complementary, int epochs, const cl::complement_options& copt, unsigned seed) {
  std::mt19937 gen(seed);
  encoder enc(gen);
  const index_t batch = 256;
  std::vector<index_t> order(std::size_t(tr.n));
  for (index_t i = 0; i < tr.n; ++i) order[std::size_t(i)] = i;
  std::vector<float> x1(std::size_t(batch * pixels)), x2(x1.size()), h1, z1, h2, z2, g1, g2, gh;
  std::vector<std::uint8_t> mask;
  result r;
  int t = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int e = 0; e < epochs; ++e) {
    std::shuffle(order.begin(), order.end(), gen);
    double sum = 0;
    int batches = 0;
    for (index_t b0 = 0; b0 + batch <= tr.n; b0 += batch) {
      for (index_t i = 0; i < batch; ++i) {
        const float* image = tr.x.data() + order[std::size_t(b0 + i)] * pixels;
        augment(image, x1.data() + i * pixels, gen);
        augment(image, x2.data() + i * pixels, gen);
      }
      const const_matrix_view x1v(x1.data(), batch, pixels), x2v(x2.data(), batch, pixels);
      enc.forward(be, x1v, h1, z1);
      enc.forward(be, x2v, h2, z2);
      g1.resize(z1.size()), g2.resize(z2.size()), mask.resize(z1.size());
      const const_matrix_view z1v(z1.data(), batch, width), z2v(z2.data(), batch, width);
      const matrix_view g1v(g1.data(), batch, width), g2v(g2.data(), batch, width);
      if (complementary) {
        const posttrain::tensor_view<std::uint8_t, 2> mv(mask.data(), batch, width);
        cl::highlighted_dimensions(be, z1v, z2v, copt, mv);
        sum += cl::complementary_loss_and_gradient(be, z1v, z2v, posttrain::tensor_view<const std::uint8_t, 2>(mv), g1v,
                                                   g2v, copt)
                   .total;
      } else {
        sum += cl::loss_and_gradient(be, z1v, z2v, g1v, g2v, copt.base);
      }
      enc.backward(be, x1v, h1, g1, gh);
      enc.backward(be, x2v, h2, g2, gh);
      enc.step(1e-3f, ++t);
      ++batches;
    }
    r.final_loss = sum / batches;
    std::printf("    epoch %d: loss %.4f\n", e + 1, r.final_loss);
  }
  r.train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const auto ztr = embed(be, enc, tr), zte = embed(be, enc, te);
  r.ncc_z = ncc_accuracy(be, ztr, tr, zte, te, width);
  // The downstream representation [z ‖ zc]: with a single clean view, z1 = z2 = z and the
  // highlighted dimensions are those with the largest ẑ_d².
  const auto rep = [&](const std::vector<float>& z, index_t n) {
    std::vector<std::uint8_t> m(z.size());
    std::vector<float> out(std::size_t(n * 2 * width));
    const const_matrix_view zv(z.data(), n, width);
    cl::highlighted_dimensions(be, zv, zv, copt, posttrain::tensor_view<std::uint8_t, 2>(m.data(), n, width));
    cl::representation(be, zv, zv, posttrain::tensor_view<const std::uint8_t, 2>(m.data(), n, width),
                       matrix_view(out.data(), n, 2 * width));
    return out;
  };
  r.ncc_rep = ncc_accuracy(be, rep(ztr, tr.n), tr, rep(zte, te.n), te, 2 * width);
  r.erank = cl::effective_rank(be, const_matrix_view(zte.data(), te.n, width));
  // Half of the positive similarity of augmented test pairs: how many dimensions carry it.
  const index_t pairs = std::min<index_t>(te.n, 2000);
  std::vector<float> a1(std::size_t(pairs * pixels)), a2(a1.size());
  for (index_t i = 0; i < pairs; ++i) {
    augment(te.x.data() + i * pixels, a1.data() + i * pixels, gen);
    augment(te.x.data() + i * pixels, a2.data() + i * pixels, gen);
  }
  enc.forward(be, const_matrix_view(a1.data(), pairs, pixels), h1, z1);
  enc.forward(be, const_matrix_view(a2.data(), pairs, pixels), h2, z2);
  r.dims_half = cl::dimensions_for_share(cl::dimension_contributions(be, const_matrix_view(z1.data(), pairs, width),
                                                                     const_matrix_view(z2.data(), pairs, width)),
                                         0.5);
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  const examples::command_line args(
      argc, argv, "usage: contrastive_digits [--data DIR] [--train N] [--epochs E] [--ratio ρ] [--weight λ] [--seed S]",
      {"data", "train", "epochs", "ratio", "weight", "seed"});
  const std::string dir = args.text("data", examples::fashion_mnist_dir);
  const index_t train_n = args.whole("train", 20000, 1, 60000);
  const int epochs = static_cast<int>(args.whole("epochs", 5, 1, 1000));
  const unsigned seed = static_cast<unsigned>(args.whole("seed", 1, 0, 4294967295LL));
  cl::complement_options copt;
  copt.base.kind = cl::objective::graphcl;
  copt.base.temperature = 0.2;
  copt.ratio = args.number("ratio", 0.1);
  copt.weight = args.number("weight", 1);
  const posttrain::eigen_backend be;

  const auto tr = examples::read_split(dir, "train", train_n), te = examples::read_split(dir, "t10k", 10000);
  std::printf("Fashion-MNIST: %ld training images (labels unused while training), %ld test images\n", long(tr.n),
              long(te.n));
  std::printf("encoder 784-256-64, GraphCL-form loss (τ = 0.2), batch 256, Adam, %d epochs\n", epochs);
  std::printf("  plain L(z1, z2):\n");
  const result plain = train(be, tr, te, false, epochs, copt, seed);
  std::printf("  complementary L(z1, z2) + %.2g·L(z1, z2c), k = %ld of %ld dimensions highlighted per pair:\n",
              copt.weight, long(std::ceil(copt.ratio * width - 1e-9)), long(width));
  const result comp = train(be, tr, te, true, epochs, copt, seed);

  std::printf("\n%-14s %10s %14s %10s %16s %9s\n", "loss", "NCC(z)", "NCC([z‖zc])", "eff. rank", "dims for 50% sim",
              "train s");
  std::printf("%-14s %10.4f %14s %10s %16s %9s\n", "(raw pixels)", ncc_accuracy(be, tr.x, tr, te.x, te, pixels), "-",
              "-", "-", "-");
  for (const auto& [name, r] : {std::pair{"plain", plain}, std::pair{"complementary", comp}})
    std::printf("%-14s %10.4f %14.4f %10.2f %16ld %9.1f\n", name, r.ncc_z, r.ncc_rep, r.erank, long(r.dims_half),
                r.train_s);
  std::printf(
      "\nNCC: nearest class centroid (cosine) on the test split, centroids from the training split.\n"
      "Effective rank: exp(entropy of the normalised singular values) of the test embeddings (of 64).\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "contrastive_digits: %s\n", e.what());
  return 1;
}
