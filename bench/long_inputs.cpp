// SPDX-License-Identifier: Apache-2.0
// One long input through the code paths that must stay linear in its length: the sentence
// splitter on a run of dots, and BLEU on one pair of random tokens (a 50 000-word vocabulary).
//   build/release/bench/bench_long_inputs dots 200000
//   build/release/bench/bench_long_inputs bleu 4000000
// Prints the seconds the call took (the input is built before the clock starts).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <posttrain/simplify/bleu.hpp>
#include <posttrain/text/words.hpp>

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  const long n = argc > 2 ? std::atol(argv[2]) : 0;
  if ((what != "dots" && what != "bleu") || n <= 0) {
    std::fprintf(stderr, "usage: bench_long_inputs dots|bleu N\n");
    return 2;
  }
  std::string a, b;
  if (what == "bleu") {
    unsigned x = 12345;
    const auto append_word = [&x](std::string& to) {
      x = x * 1664525u + 1013904223u;
      to += 'w';
      to += std::to_string((x >> 8) % 50000);
      to += ' ';
    };
    for (long i = 0; i < n; ++i) append_word(a), append_word(b);
  } else {
    a = "Wait" + std::string(static_cast<std::size_t>(n), '.') + " then go.";
  }
  const auto start = std::chrono::steady_clock::now();
  const double result = what == "bleu" ? posttrain::simplify::sentence_bleu(a, b).score
                                       : double(posttrain::text::split_sentences(a).size());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s n=%ld: %.2f s (%s %.4f)\n", what.c_str(), n, seconds, what == "bleu" ? "BLEU" : "sentences", result);
}
