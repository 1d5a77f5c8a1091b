// SPDX-License-Identifier: Apache-2.0
// The Regressional-Goodhart study of "Rethinking Reward Model Evaluation" (ICLR 2025) in
// miniature: does reward-model accuracy predict what a policy optimised against the RM gains?
//
// Every response has a gold reward r* ~ N(0, 1). A proxy RM scores it r̂ = r* + σ·noise, with
// the noise either independent Gaussian or driven by an exogenous feature — a response length
// with a heavy right tail (lognormal, standardised), mixed with Gaussian noise at weight w.
// Each proxy's accuracy is measured several ways on an evaluation set (one pair per prompt,
// all pairs of k = 2, 4, 8, 16 responses, best-of-16 agreement); its downstream performance is
// the normalised best-of-N gain on a separate set of policy samples. The table gives, for each
// accuracy measure, its correlation with the downstream gain across proxies, with bootstrap
// intervals over proxies; an SVG scatter plot shows accuracy against gain.
//
//   rm_goodhart [--prompts P] [--proxies M] [--policy-samples K] [--best-of N] [--seed S]
//               [--bootstrap R] [--svg FILE]

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <posttrain/core/rng.hpp>
#include <posttrain/rm_eval.hpp>

#include "../common/options.hpp"

namespace re = posttrain::rm_eval;

namespace {

struct options {
  long prompts = 1000, proxies = 48, policy_samples = 64, best_of = 16, bootstrap = 500;
  unsigned long long seed = 7;
  std::string svg = "rm_goodhart.svg";
};

/// Standard normal draws from the counter-based generator (Box–Muller on two uniforms).
struct normal_stream {
  posttrain::counter_rng rng;
  std::uint64_t next = 0;
  double operator()() {
    const double u1 = 1.0 - rng.uniform_double(next++), u2 = rng.uniform_double(next++);
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }
};

/// Standardised lognormal: mean 0, variance 1, a heavy right tail (the "length" feature).
double standard_lognormal(double z, double s = 0.9) {
  const double mean = std::exp(s * s / 2), sd = std::sqrt((std::exp(s * s) - 1) * std::exp(s * s));
  return (std::exp(s * z) - mean) / sd;
}

struct proxy_spec {
  double sigma;         // noise scale
  double length_weight; // 0: Gaussian noise; > 0: share of the noise from the length feature
};

struct responses {
  std::vector<double> gold, length;  // per response; prompt p owns [p·k, (p+1)·k)
  long k = 0;
};

responses make_responses(long prompts, long k, std::uint64_t stream) {
  normal_stream normal{posttrain::counter_rng(stream, 1)};
  responses r;
  r.k = k;
  for (long i = 0; i < prompts * k; ++i) {
    r.gold.push_back(normal());
    r.length.push_back(standard_lognormal(normal()));
  }
  return r;
}

re::prompt_scores score(const responses& r, const proxy_spec& spec, std::uint64_t stream) {
  normal_stream normal{posttrain::counter_rng(stream, 2)};
  re::prompt_scores s;
  const double w = spec.length_weight, rest = std::sqrt(1 - w * w);
  std::vector<double> proxy(r.k), gold(r.k);
  for (std::size_t p = 0; p < r.gold.size() / r.k; ++p) {
    for (long i = 0; i < r.k; ++i) {
      const std::size_t j = p * r.k + i;
      gold[i] = r.gold[j];
      proxy[i] = r.gold[j] + spec.sigma * (w * r.length[j] + rest * normal());
    }
    s.add_prompt(proxy, gold);
  }
  return s;
}

struct measure {
  const char* name;
  std::vector<double> values;  // one per proxy
};

void write_svg(const std::string& file, const std::vector<double>& x, const std::vector<double>& y,
               const std::vector<proxy_spec>& specs, const char* x_label) {
  const double w = 640, h = 440, left = 70, right = 20, top = 30, bottom = 60;
  const auto [xmin_it, xmax_it] = std::minmax_element(x.begin(), x.end());
  const auto [ymin_it, ymax_it] = std::minmax_element(y.begin(), y.end());
  const double x0 = *xmin_it - 0.02, x1 = *xmax_it + 0.02, y0 = *ymin_it - 0.05, y1 = *ymax_it + 0.05;
  auto px = [&](double v) { return left + (v - x0) / (x1 - x0) * (w - left - right); };
  auto py = [&](double v) { return h - bottom - (v - y0) / (y1 - y0) * (h - top - bottom); };
  std::ofstream out(file);
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h << "' font-family='sans-serif' "
      << "font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n";
  out << "<line x1='" << left << "' y1='" << h - bottom << "' x2='" << w - right << "' y2='" << h - bottom
      << "' stroke='black'/>\n<line x1='" << left << "' y1='" << top << "' x2='" << left << "' y2='" << h - bottom
      << "' stroke='black'/>\n";
  for (int t = 0; t <= 4; ++t) {
    const double xv = x0 + (x1 - x0) * t / 4, yv = y0 + (y1 - y0) * t / 4;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", xv);
    out << "<text x='" << px(xv) << "' y='" << h - bottom + 18 << "' text-anchor='middle'>" << buf << "</text>\n";
    std::snprintf(buf, sizeof buf, "%.2f", yv);
    out << "<text x='" << left - 8 << "' y='" << py(yv) + 4 << "' text-anchor='end'>" << buf << "</text>\n";
  }
  out << "<text x='" << (left + w - right) / 2 << "' y='" << h - 15 << "' text-anchor='middle'>" << x_label
      << "</text>\n<text transform='translate(18," << (top + h - bottom) / 2
      << ") rotate(-90)' text-anchor='middle'>downstream: normalised best-of-N gain</text>\n";
  for (std::size_t i = 0; i < x.size(); ++i)
    out << "<circle cx='" << px(x[i]) << "' cy='" << py(y[i]) << "' r='4' fill='"
        << (specs[i].length_weight > 0 ? "#d95f02" : "#1b9e77") << "' fill-opacity='0.8'/>\n";
  out << "<circle cx='" << w - 190 << "' cy='" << top + 8 << "' r='4' fill='#1b9e77'/><text x='" << w - 180 << "' y='"
      << top + 12 << "'>Gaussian noise</text>\n<circle cx='" << w - 190 << "' cy='" << top + 26
      << "' r='4' fill='#d95f02'/><text x='" << w - 180 << "' y='" << top + 30 << "'>length-driven noise</text>\n";
  out << "</svg>\n";
}

}  // namespace

int main(int argc, char** argv) {
  const examples::command_line args(argc, argv,
                                    "usage: rm_goodhart [--prompts P] [--proxies M] [--policy-samples K] [--best-of N] "
                                    "[--seed S] [--bootstrap R] [--svg FILE]",
                                    {"prompts", "proxies", "policy-samples", "best-of", "bootstrap", "seed", "svg"});
  options opt;
  opt.prompts = args.whole("prompts", opt.prompts, 2, 1 << 24);
  opt.proxies = args.whole("proxies", opt.proxies, 4, 1 << 16);
  opt.best_of = args.whole("best-of", opt.best_of, 2, 1 << 16);
  opt.policy_samples = args.whole("policy-samples", opt.policy_samples, opt.best_of, 1 << 16);
  opt.bootstrap = args.whole("bootstrap", opt.bootstrap, 1, 1 << 24);
  opt.seed = static_cast<unsigned long long>(args.whole("seed", static_cast<long long>(opt.seed)));
  opt.svg = args.text("svg", opt.svg);

  // The proxies: noise scales spread over [0.3, 1.5], half of them with length-driven noise.
  std::vector<proxy_spec> specs;
  const posttrain::counter_rng pick(opt.seed, 3);
  for (long m = 0; m < opt.proxies; ++m) {
    const double sigma = 0.3 + 1.2 * pick.uniform_double(2 * m);
    const double weight = m % 2 ? 0.6 + 0.4 * pick.uniform_double(2 * m + 1) : 0.0;
    specs.push_back({sigma, weight});
  }
  const auto eval = make_responses(opt.prompts, 16, opt.seed * 2 + 0);
  const auto policy = make_responses(opt.prompts, opt.policy_samples, opt.seed * 2 + 1);

  std::vector<measure> measures = {{"accuracy, one pair per prompt", {}},
                                   {"accuracy, all pairs of k = 2", {}},
                                   {"accuracy, all pairs of k = 4", {}},
                                   {"accuracy, all pairs of k = 8", {}},
                                   {"accuracy, all pairs of k = 16", {}},
                                   {"best-of-16 agreement", {}}};
  std::vector<double> downstream;
  for (long m = 0; m < opt.proxies; ++m) {
    const auto e = score(eval, specs[m], opt.seed * 1000 + 2 * m);
    const auto d = score(policy, specs[m], opt.seed * 1000 + 2 * m + 1);
    // One pair per prompt: responses 2 and 3 (k = 2 uses 0 and 1), so the two differ in data.
    re::prompt_scores pairs;
    for (long p = 0; p < e.prompts(); ++p)
      pairs.add_prompt(std::span(e.proxy).subspan(p * 16 + 2, 2), std::span(e.gold).subspan(p * 16 + 2, 2));
    measures[0].values.push_back(re::first_pair_accuracy(pairs).accuracy);
    measures[1].values.push_back(re::all_pairs_accuracy(e, re::tie_policy::zero, 2).accuracy);
    measures[2].values.push_back(re::all_pairs_accuracy(e, re::tie_policy::zero, 4).accuracy);
    measures[3].values.push_back(re::all_pairs_accuracy(e, re::tie_policy::zero, 8).accuracy);
    measures[4].values.push_back(re::all_pairs_accuracy(e, re::tie_policy::zero, 16).accuracy);
    measures[5].values.push_back(re::best_of_n_agreement(e).agreement);
    downstream.push_back(re::best_of_n_gain(d, opt.best_of));
  }

  std::printf("Regressional Goodhart in miniature: %ld proxies, %ld prompts, downstream = best-of-%ld gain over %ld "
              "policy samples\n\n", opt.proxies, opt.prompts, opt.best_of, opt.policy_samples);
  std::printf("%-32s %8s %18s %8s %18s\n", "accuracy measure", "pearson", "95% CI", "kendall", "95% CI");
  for (const auto& ms : measures) {
    auto over_proxies = [&](auto corr) {
      return re::bootstrap(
          opt.proxies,
          [&](std::span<const std::int64_t> idx) {
            std::vector<double> a, b;
            for (auto i : idx) a.push_back(ms.values[i]), b.push_back(downstream[i]);
            return corr(a, b);
          },
          opt.bootstrap, 0.95, opt.seed);
    };
    const auto r = over_proxies([](const auto& a, const auto& b) { return re::pearson(a, b); });
    const auto t = over_proxies([](const auto& a, const auto& b) { return re::kendall_tau(a, b); });
    std::printf("%-32s %8.3f    [%6.3f, %6.3f] %8.3f    [%6.3f, %6.3f]\n", ms.name, r.estimate, r.lower, r.upper,
                t.estimate, t.lower, t.upper);
  }

  // Proxies of about the same accuracy with different downstream results.
  const auto& acc = measures[0].values;
  double widest = 0;
  long a_best = 0, b_best = 0;
  for (long a = 0; a < opt.proxies; ++a)
    for (long b = a + 1; b < opt.proxies; ++b)
      if (std::abs(acc[a] - acc[b]) < 0.005 && std::abs(downstream[a] - downstream[b]) > widest) {
        widest = std::abs(downstream[a] - downstream[b]);
        a_best = a;
        b_best = b;
      }
  std::printf("\nsame accuracy, different downstream: proxies %ld and %ld have one-pair accuracy %.3f and %.3f but "
              "gain %.3f and %.3f\n  (sigma %.2f vs %.2f, length weight %.2f vs %.2f)\n", a_best, b_best, acc[a_best],
              acc[b_best], downstream[a_best], downstream[b_best], specs[a_best].sigma, specs[b_best].sigma,
              specs[a_best].length_weight, specs[b_best].length_weight);
  write_svg(opt.svg, measures[4].values, downstream, specs, "accuracy over all pairs of k = 16 responses");
  std::printf("plot: %s\n", opt.svg.c_str());
  return 0;
}
