// SPDX-License-Identifier: Apache-2.0
#pragma once
// The trigram language model the Debian package pocketsphinx-en-us ships (72k words), read with
// libsphinxbase: word ids, and log probabilities of a word given none, one or two before it.

#include <stdexcept>
#include <string>

#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/ngram_model.h>

namespace examples {

class pocketsphinx_lm {
 public:
  static constexpr const char* path = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";

  pocketsphinx_lm() {
    err_set_logfp(nullptr);
    math_ = logmath_init(1.0001, 0, 0);
    model_ = ngram_model_read(nullptr, path, NGRAM_AUTO, math_);
    if (!model_) {
      logmath_free(math_);
      throw std::runtime_error(std::string("cannot read ") + path + " (Debian package pocketsphinx-en-us)");
    }
    unknown_ = ngram_unknown_wid(model_);
  }
  ~pocketsphinx_lm() {
    ngram_model_free(model_);
    logmath_free(math_);  // the model took a reference of its own
  }
  pocketsphinx_lm(const pocketsphinx_lm&) = delete;
  pocketsphinx_lm& operator=(const pocketsphinx_lm&) = delete;

  int32 id(const std::string& w) const { return ngram_wid(model_, w.c_str()); }
  bool knows(const std::string& w) const {
    const int32 i = id(w);
    return i >= 0 && i != unknown_;
  }
  /// The number of words, and the word of an id (ids run from 0).
  int32 size() const { return int32(ngram_model_get_counts(model_)[0]); }
  const char* word(int32 id) const { return ngram_word(model_, id); }

  /// ln P(w), the unigram probability.
  double ln_unigram(int32 w) const {
    int32 used = 0;
    return logmath_log_to_ln(math_, ngram_ng_score(model_, w, nullptr, 0, &used));
  }
  /// ln P(w | two, one): `one` the previous word, `two` the one before.
  double ln_trigram(int32 w, int32 one, int32 two) const {
    int32 used = 0;
    return logmath_log_to_ln(math_, ngram_tg_score(model_, w, one, two, &used));
  }

 private:
  logmath_t* math_ = nullptr;
  ngram_model_t* model_ = nullptr;
  int32 unknown_ = NGRAM_INVALID_WID;
};

}  // namespace examples
