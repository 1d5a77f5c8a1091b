// SPDX-License-Identifier: Apache-2.0
#pragma once
// A parameter tensor of the examples' small models, with its gradient and Adam's moments.

#include <cmath>
#include <random>
#include <vector>

namespace examples {

struct parameter {
  std::vector<float> value, grad, m, v;
  /// n values drawn from N(0, scale²) (zeros when scale is 0).
  parameter(std::size_t n, float scale, std::mt19937& gen) : value(n), grad(n), m(n), v(n) {
    std::normal_distribution<float> normal(0.0f, scale);
    for (auto& x : value) x = scale > 0 ? normal(gen) : 0.0f;
  }
  /// One Adam step (β = 0.9, 0.999, ε = 1e-8) of learning rate lr; step counts from 1.
  void adam(float lr, int step) {
    const float b1 = 0.9f, b2 = 0.999f, c1 = 1 - std::pow(b1, float(step)), c2 = 1 - std::pow(b2, float(step));
    for (std::size_t k = 0; k < value.size(); ++k) {
      m[k] = b1 * m[k] + (1 - b1) * grad[k];
      v[k] = b2 * v[k] + (1 - b2) * grad[k] * grad[k];
      value[k] -= lr * (m[k] / c1) / (std::sqrt(v[k] / c2) + 1e-8f);
    }
  }
};

}  // namespace examples
