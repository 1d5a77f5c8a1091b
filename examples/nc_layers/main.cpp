// SPDX-License-Identifier: Apache-2.0
// Which layer to fine-tune, in miniature (Li et al., "Understanding and improving transfer
// learning of deep models via neural collapse", TMLR 2024): train a small MLP on Fashion-MNIST,
// then measure neural collapse (NC1–NC4) of every layer's features on the training and the test
// split, and how well each layer's class centres (from the training split) classify the test
// split by the nearest-class-centre rule. The more collapsed a layer's features are on the data,
// the better its centres transfer.
//
//   nc_layers [--data DIR] [--train N] [--epochs E] [--seed S]
//
// DIR holds the four *-ubyte.gz files of Fashion-MNIST (Debian: dataset-fashion-mnist, in
// /usr/share/datasets/fashion-mnist). The MLP (784 → 256 → 128 → 10, ReLU, softmax
// cross-entropy, SGD with momentum) is written here on the library's GEMM.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/collapse.hpp>

#include "../common/fashion_mnist.hpp"
#include "../common/options.hpp"

namespace {


using examples::read_split;
using examples::split;
using posttrain::index_t;
using matrix_view = posttrain::tensor_view<float, 2>;
using const_matrix_view = posttrain::tensor_view<const float, 2>;
namespace nc = posttrain::collapse;

/// A dense layer y = x Wᵀ + b with its gradients and momentum buffers.
struct dense {
  index_t in, out;
  std::vector<float> w, b, gw, gb, vw, vb;
  dense(index_t in_, index_t out_, std::mt19937& gen) : in(in_), out(out_) {
    std::normal_distribution<float> normal(0.0f, std::sqrt(2.0f / float(in)));  // He initialisation
    w.resize(std::size_t(in * out));
    for (auto& v : w) v = normal(gen);
    b.assign(std::size_t(out), 0.0f);
    gw.assign(w.size(), 0.0f), vw.assign(w.size(), 0.0f);
    gb.assign(b.size(), 0.0f), vb.assign(b.size(), 0.0f);
  }
  const_matrix_view weight() const { return {w.data(), out, in}; }

  void forward(const posttrain::eigen_backend& be, const_matrix_view x, matrix_view y) const {
    posttrain::ops::gemm(be, x, weight(), y, {.transpose_b = true});
    for (index_t i = 0; i < y.extent(0); ++i)
      for (index_t j = 0; j < out; ++j) y(i, j) += b[std::size_t(j)];
  }
  /// From dy [B, out] and the input x [B, in]: the parameter gradients, and dx when asked.
  void backward(const posttrain::eigen_backend& be, const_matrix_view x, const_matrix_view dy, matrix_view* dx) {
    posttrain::ops::gemm(be, dy, x, matrix_view(gw.data(), out, in), {.transpose_a = true});
    std::fill(gb.begin(), gb.end(), 0.0f);
    for (index_t i = 0; i < dy.extent(0); ++i)
      for (index_t j = 0; j < out; ++j) gb[std::size_t(j)] += dy(i, j);
    if (dx) posttrain::ops::gemm(be, dy, weight(), *dx);
  }
  void step(float lr, float momentum) {
    for (std::size_t k = 0; k < w.size(); ++k) vw[k] = momentum * vw[k] - lr * gw[k], w[k] += vw[k];
    for (std::size_t k = 0; k < b.size(); ++k) vb[k] = momentum * vb[k] - lr * gb[k], b[k] += vb[k];
  }
};

struct mlp {
  std::vector<dense> layers;
  static constexpr index_t widths[] = {784, 256, 128, 10};
  explicit mlp(std::mt19937& gen) {
    for (int l = 0; l < 3; ++l) layers.emplace_back(widths[l], widths[l + 1], gen);
  }
  /// Every layer's activations for x [B, 784]: acts[0] = x, acts[1..2] after ReLU, acts[3] logits.
  void forward(const posttrain::eigen_backend& be, const_matrix_view x, std::vector<std::vector<float>>& acts) const {
    const index_t B = x.extent(0);
    acts.resize(4);
    acts[0].assign(x.data(), x.data() + B * x.extent(1));
    for (int l = 0; l < 3; ++l) {
      acts[l + 1].resize(std::size_t(B * widths[l + 1]));
      matrix_view y(acts[l + 1].data(), B, widths[l + 1]);
      layers[std::size_t(l)].forward(be, const_matrix_view(acts[l].data(), B, widths[l]), y);
      if (l < 2)
        for (auto& v : acts[l + 1]) v = std::max(v, 0.0f);
    }
  }
};

/// One epoch of minibatch SGD; returns the mean training loss.
double train_epoch(const posttrain::eigen_backend& be, mlp& net, const split& s, std::mt19937& gen, float lr) {
  const index_t batch = 128;
  std::vector<index_t> order(std::size_t(s.n));
  for (index_t i = 0; i < s.n; ++i) order[std::size_t(i)] = i;
  std::shuffle(order.begin(), order.end(), gen);
  std::vector<float> xb(std::size_t(batch * s.d)), grad, dprev;
  std::vector<std::vector<float>> acts;
  double loss = 0;
  for (index_t b0 = 0; b0 < s.n; b0 += batch) {
    const index_t B = std::min(batch, s.n - b0);
    for (index_t i = 0; i < B; ++i)
      std::copy_n(s.x.begin() + order[std::size_t(b0 + i)] * s.d, s.d, xb.begin() + i * s.d);
    net.forward(be, const_matrix_view(xb.data(), B, s.d), acts);
    // Softmax cross-entropy: d(loss)/d(logits) = (softmax − one-hot) / B.
    grad.resize(std::size_t(B * 10));
    matrix_view g(grad.data(), B, 10);
    posttrain::ops::softmax(be, const_matrix_view(acts[3].data(), B, 10), g);
    for (index_t i = 0; i < B; ++i) {
      const auto label = s.y[std::size_t(order[std::size_t(b0 + i)])];
      loss -= std::log(std::max(g(i, label), 1e-12f));
      g(i, label) -= 1.0f;
      for (index_t j = 0; j < 10; ++j) g(i, j) /= float(B);
    }
    for (int l = 2; l >= 0; --l) {
      const index_t w_in = mlp::widths[l];
      dprev.resize(std::size_t(B * w_in));
      matrix_view dx(dprev.data(), B, w_in);
      net.layers[std::size_t(l)].backward(be, const_matrix_view(acts[l].data(), B, w_in),
                                          const_matrix_view(grad.data(), B, mlp::widths[l + 1]), l > 0 ? &dx : nullptr);
      if (l > 0) {
        for (std::size_t k = 0; k < dprev.size(); ++k)
          if (acts[std::size_t(l)][k] <= 0.0f) dprev[k] = 0.0f;  // ReLU
        grad.swap(dprev);
      }
      net.layers[std::size_t(l)].step(lr, 0.9f);
    }
  }
  return loss / double(s.n);
}

/// Each layer's features of a whole split, in batches: [layer][n · width].
std::vector<std::vector<float>> features(const posttrain::eigen_backend& be, const mlp& net, const split& s) {
  std::vector<std::vector<float>> out(4);
  std::vector<std::vector<float>> acts;
  for (index_t b0 = 0; b0 < s.n; b0 += 4096) {
    const index_t B = std::min<index_t>(4096, s.n - b0);
    net.forward(be, const_matrix_view(s.x.data() + b0 * s.d, B, s.d), acts);
    for (int l = 0; l < 4; ++l)
      out[std::size_t(l)].insert(out[std::size_t(l)].end(), acts[std::size_t(l)].begin(), acts[std::size_t(l)].end());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  const examples::command_line args(argc, argv, "usage: nc_layers [--data DIR] [--train N] [--epochs E] [--seed S]",
                                    {"data", "train", "epochs", "seed"});
  const std::string dir = args.text("data", examples::fashion_mnist_dir);
  const index_t train_n = args.whole("train", 60000, 1, 60000);
  const int epochs = static_cast<int>(args.whole("epochs", 5, 1, 1000));
  std::mt19937 gen(static_cast<unsigned>(args.whole("seed", 1, 0, 4294967295LL)));
  const posttrain::eigen_backend be;

  const split train = read_split(dir, "train", train_n), test = read_split(dir, "t10k", 10000);
  std::printf("Fashion-MNIST: %ld training and %ld test images of %ld pixels, 10 classes\n", long(train.n),
              long(test.n), long(train.d));
  mlp net(gen);
  const auto t0 = std::chrono::steady_clock::now();
  for (int e = 0; e < epochs; ++e) {
    const double loss = train_epoch(be, net, train, gen, e < 3 ? 0.05f : 0.02f);
    std::printf("  epoch %d: training loss %.4f\n", e + 1, loss);
  }
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const auto f_train = features(be, net, train), f_test = features(be, net, test);
  const char* names[] = {"input (pixels)", "hidden 1 (ReLU)", "hidden 2 (ReLU)", "logits"};
  std::printf("MLP 784-256-128-10 trained in %.1f s\n\n", train_s);
  std::printf("%-16s %5s  %9s %9s  %8s %8s  %8s %8s  %8s %8s\n", "layer", "d", "NC1 train", "NC1 test", "equinorm",
              "equiang.", "NC3 dual", "NCC≠clf", "NCC tr.", "NCC test");
  index_t best_layer = 0;
  double best_nc1 = INFINITY;
  for (int l = 0; l < 4; ++l) {
    const index_t d = mlp::widths[l];
    const const_matrix_view htr(f_train[std::size_t(l)].data(), train.n, d),
        hte(f_test[std::size_t(l)].data(), test.n, d);
    const posttrain::tensor_view<const std::int64_t, 1> ytr(train.y.data(), train.n), yte(test.y.data(), test.n);
    // The classifier that reads this layer: the next dense layer (for hidden 2, the output layer).
    std::optional<nc::linear_classifier> clf;
    if (l == 2) clf.emplace(net.layers[2].weight(), posttrain::tensor_view<const float, 1>(net.layers[2].b.data(), 10));
    const auto r_train = nc::nc_metrics(be, htr, ytr, 10, {}, clf ? &*clf : nullptr);
    const auto r_test = nc::nc_metrics(be, hte, yte, 10);
    // Transfer: the training split's class centres classify the test split.
    nc::class_statistics centres(10, d);
    centres.add(be, htr, ytr);
    nc::second_pass_statistics<float> transfer(be, centres);
    transfer.add(be, hte, yte);
    const double ncc_test = double(transfer.ncc_correct()) / double(test.n);
    char dual[16] = "-", mismatch[16] = "-";
    if (r_train.self_duality) std::snprintf(dual, sizeof dual, "%.3f", *r_train.self_duality);
    if (r_train.ncc_mismatch) std::snprintf(mismatch, sizeof mismatch, "%.3f", *r_train.ncc_mismatch);
    std::printf("%-16s %5ld  %9.3f %9.3f  %8.3f %8.3f  %8s %8s  %8.3f %8.3f\n", names[l], long(d), r_train.nc1,
                r_test.nc1, r_train.means.equinorm, r_train.means.equiangularity, dual, mismatch, *r_train.ncc_accuracy,
                ncc_test);
    if (r_test.nc1 < best_nc1) best_nc1 = r_test.nc1, best_layer = l;
  }
  std::printf(
      "\nNC1 = tr(Σ_W Σ_B⁺)/K (lower: more collapsed); equinorm and equiangularity (NC2) of the class\n"
      "means on the training split; NC3 self-duality and NC4 mismatch of hidden 2 against the output\n"
      "layer; NCC accuracy with the training split's class centres, on each split.\n"
      "Lowest test NC1: %s — the layer whose features the paper would fine-tune from.\n",
      names[best_layer]);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "nc_layers: %s\n", e.what());
  return 1;
}
