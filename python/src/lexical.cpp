// SPDX-License-Identifier: Apache-2.0
// Lexical simplification's bindings: the generate → select → rank → choose pipeline
// (simplify::lexical_simplifier) with the resources `posttrain lexical-simplify` takes (a
// frequency list or jieba's dictionary, Cilin, a MyThes thesaurus, word vectors), the TSAR-2022
// and CLS readers, and the benchmarks' metrics. Host code by nature (words and strings); the
// embedding neighbours are one GEMM on the Eigen backend.

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <posttrain/simplify/lexical_pipeline.hpp>
#include <posttrain/simplify/tsar_metrics.hpp>
#include <posttrain/text/chinese_segmenter.hpp>

#include "arrays.hpp"

namespace posttrain_python {
namespace {

namespace sp = pt::simplify;

nb::dict instance_dict(const sp::lexical_instance& x) {
  nb::dict d;
  d["sentence"] = x.sentence;
  d["word"] = x.word;
  d["gold"] = x.gold;
  d["pos"] = x.pos;
  d["tokens"] = x.tokens;
  d["position"] = x.position;
  d["offset"] = x.offset == std::string::npos ? nb::none() : nb::cast(x.offset);
  d["line"] = x.line;
  return d;
}

/// An instance from a dict with at least "sentence" and "word" (read_lexical_dataset's keys), or
/// from a (sentence, word) pair.
sp::lexical_instance instance_of(nb::handle item, std::size_t i) {
  sp::lexical_instance x;
  const std::string where = "instances[" + std::to_string(i) + "]";
  if (nb::isinstance<nb::dict>(item)) {
    const nb::dict d = nb::borrow<nb::dict>(item);
    if (!d.contains("sentence") || !d.contains("word"))
      throw nb::value_error((where + " has no 'sentence' or no 'word'").c_str());
    x.sentence = nb::cast<std::string>(d["sentence"]);
    x.word = nb::cast<std::string>(d["word"]);
    if (d.contains("gold")) x.gold = nb::cast<std::vector<std::string>>(d["gold"]);
    if (d.contains("pos")) x.pos = nb::cast<std::string>(d["pos"]);
    if (d.contains("tokens")) x.tokens = nb::cast<std::vector<std::string>>(d["tokens"]);
    if (d.contains("position")) x.position = nb::cast<std::size_t>(d["position"]);
  } else if (nb::isinstance<nb::tuple>(item) && nb::len(item) == 2) {
    x.sentence = nb::cast<std::string>(item[0]);
    x.word = nb::cast<std::string>(item[1]);
  } else {
    throw nb::type_error((where + " must be a dict with 'sentence' and 'word' or a (sentence, word) pair").c_str());
  }
  if (x.word.empty()) throw nb::value_error((where + ": the complex word is empty").c_str());
  if (!x.tokens.empty() && x.position >= x.tokens.size())
    throw nb::value_error((where + ": position " + std::to_string(x.position) + " is outside its " +
                           std::to_string(x.tokens.size()) + " tokens").c_str());
  x.offset = x.sentence.find(x.word);
  x.line = long(i) + 1;
  return x;
}

std::vector<sp::lexical_instance> instances_of(const nb::iterable& items) {
  std::vector<sp::lexical_instance> out;
  for (nb::handle item : items) out.push_back(instance_of(item, out.size()));
  return out;
}

nb::list read_lexical_dataset(const std::string& path, const std::string& format) {
  if (format != "tsar" && format != "cls")
    throw nb::value_error(("format must be 'tsar' (TSAR-2022) or 'cls' (the Chinese CLS), not '" + format + "'").c_str());
  const auto instances = format == "cls" ? sp::read_cls(path) : sp::read_tsar(path);
  nb::list out;
  for (const auto& x : instances) out.append(instance_dict(x));
  return out;
}

/// The pipeline and the resources it points into, built in place and never moved (the
/// generators and the lexicon hold references to the members).
struct lexical_simplifier_py {
  bool chinese = false;
  pt::text::chinese_segmenter dictionary;
  sp::frequency_list frequencies;
  sp::cilin tree;
  sp::thesaurus synonyms;
  sp::word_vectors vectors;
  std::unique_ptr<sp::embedding_generator<pt::eigen_backend, float>> near;
  std::vector<std::string> generator_names, feature_names;
  std::unique_ptr<sp::lexical_simplifier> pipeline;

  lexical_simplifier_py(const lexical_simplifier_py&) = delete;
  lexical_simplifier_py& operator=(const lexical_simplifier_py&) = delete;

  lexical_simplifier_py(const std::string& lang, const std::optional<nb::object>& frequency_source,
                        const std::optional<std::string>& dictionary_path, const std::optional<std::string>& hmm_path,
                        const std::optional<std::string>& cilin_path, const std::optional<std::string>& thesaurus_path,
                        const std::optional<nb::object>& vector_source, const std::optional<std::vector<std::string>>& features,
                        const std::string& hybrid, pt::index_t neighbours, double min_cosine, bool only_if_more_frequent) {
    if (lang != "zh" && lang != "en" && lang != "es" && lang != "pt")
      throw nb::value_error(("lang must be 'zh', 'en', 'es' or 'pt', not '" + lang + "'").c_str());
    chinese = lang == "zh";
    if (hybrid != "first" && hybrid != "merge")
      throw nb::value_error(("hybrid must be 'first' or 'merge', not '" + hybrid + "'").c_str());
    if (neighbours < 1) throw nb::value_error(("neighbours must be at least 1, not " + std::to_string(neighbours)).c_str());
    if (chinese && !dictionary_path) throw nb::value_error("lang='zh' needs dictionary= (jieba's dict.txt)");
    if (chinese && frequency_source) throw nb::value_error("lang='zh' takes its frequencies from dictionary=, not frequencies=");
    if (!chinese && !frequency_source)
      throw nb::value_error(("lang='" + lang + "' needs frequencies= (a word<TAB>count file or a dict of counts)").c_str());
    if (!chinese && (dictionary_path || hmm_path))
      throw nb::value_error("dictionary= and hmm= are the Chinese segmenter's; use frequencies= for this language");
    if (!cilin_path && !thesaurus_path && !vector_source)
      throw nb::value_error("no generator: give cilin=, thesaurus= or vectors= (or several)");

    if (chinese) {
      dictionary = pt::text::chinese_segmenter::load(*dictionary_path);
      if (hmm_path) dictionary.use_hmm(pt::text::chinese_hmm::load(*hmm_path));
    } else if (nb::isinstance<nb::str>(*frequency_source)) {
      frequencies = sp::frequency_list::load(nb::cast<std::string>(*frequency_source));
    } else {
      for (auto [word, count] : nb::cast<nb::dict>(*frequency_source)) {
        const double c = nb::cast<double>(count);
        const std::string w = nb::cast<std::string>(word);
        if (!(c >= 0) || !std::isfinite(c))
          throw nb::value_error(("frequencies['" + w + "'] is " + std::to_string(c) + "; counts are finite and >= 0").c_str());
        frequencies.add(w, c);
      }
    }
    std::vector<sp::substitute_generator> generators;
    if (cilin_path) {
      tree = sp::cilin::load(*cilin_path);
      generators.push_back(sp::cilin_substitutes(tree));
      generator_names.push_back("cilin");
    }
    if (thesaurus_path) {
      synonyms = sp::thesaurus::load(*thesaurus_path);
      generators.push_back(sp::thesaurus_substitutes(synonyms));
      generator_names.push_back("thesaurus");
    }
    if (vector_source) {
      if (nb::isinstance<nb::str>(*vector_source)) {
        vectors = sp::word_vectors::load_text(nb::cast<std::string>(*vector_source));
      } else {
        const auto pair = nb::cast<nb::tuple>(*vector_source);
        if (pair.size() != 2) throw nb::value_error("vectors must be a path or a (words, array [n, width]) pair");
        auto words = nb::cast<std::vector<std::string>>(pair[0]);
        const auto table = nb::cast<any_array>(pair[1]);
        check_2d_cpu(table, "vectors");
        if (table.shape(0) != words.size())
          throw nb::value_error(("vectors: " + std::to_string(words.size()) + " words but " +
                                 std::to_string(table.shape(0)) + " rows").c_str());
        std::vector<float> values(table.shape(0) * table.shape(1));
        const auto copy = [&]<class T>(T) {
          const auto v = view_of<T>(table);
          for (pt::index_t r = 0; r < v.extent(0); ++r)
            for (pt::index_t c = 0; c < v.extent(1); ++c) values[std::size_t(r * v.extent(1) + c)] = float(v(r, c));
        };
        if (common_kind({{&table, "vectors"}}) == kind::f32) copy(float{});
        else copy(double{});
        vectors = sp::word_vectors(std::move(words), std::move(values), pt::index_t(table.shape(1)));
      }
      near = std::make_unique<sp::embedding_generator<pt::eigen_backend, float>>(backend, vectors);
      generators.push_back(sp::embedding_substitutes(*near, neighbours, min_cosine));
      generator_names.push_back("embedding");
    }
    feature_names = features ? *features : sp::default_ranking_features(chinese, bool(vector_source));
    sp::ranking_options options = sp::ranking_features(feature_names);
    options.only_if_more_frequent = only_if_more_frequent;
    if (options.cilin_distance && !cilin_path) throw nb::value_error("the cilin-distance feature needs cilin=");
    if (options.embedding_similarity && !vector_source) throw nb::value_error("the cosine feature needs vectors=");
    const sp::lexicon words = chinese ? sp::chinese_lexicon(dictionary) : sp::frequency_lexicon(frequencies);
    auto generate = sp::hybrid_substitutes(
        generators, hybrid == "merge" ? sp::hybrid_mode::merge : sp::hybrid_mode::first_with_candidates);
    pipeline = std::make_unique<sp::lexical_simplifier>(std::move(generate), words, options,
                                                        cilin_path ? &tree : nullptr, vector_source ? &vectors : nullptr);
  }

  nb::list run(const nb::iterable& items) const {
    auto instances = instances_of(items);
    std::vector<sp::lexical_result> results;
    {
      nb::gil_scoped_release released;
      // A raw Chinese sentence is segmented with the dictionary, as the CLI does.
      for (auto& x : instances)
        if (chinese && x.tokens.empty()) {
          std::size_t at = 0;
          for (const auto t : dictionary.cut(x.sentence)) {
            if (at == x.offset && t == x.word) x.position = x.tokens.size();
            x.tokens.emplace_back(t);
            at += t.size();
          }
        }
      results = pipeline->run(instances);
    }
    nb::list out;
    for (const auto& r : results) {
      nb::dict d;
      d["choice"] = r.choice;
      d["ranked"] = r.ranked;
      d["selected"] = r.selected;
      d["generated"] = r.generated;
      nb::dict features;
      for (const auto& f : r.features) {
        nb::dict column;
        column["values"] = f.values;
        column["ranks"] = f.ranks;
        features[f.name.c_str()] = column;
      }
      d["features"] = features;
      out.append(d);
    }
    return out;
  }
};

nb::list tsar_metrics(const std::vector<std::string>& words, const std::vector<std::vector<std::string>>& predicted,
                      const std::vector<std::vector<std::string>>& gold, const std::vector<int>& ks) {
  const auto metrics = sp::evaluate_tsar(words, predicted, gold, ks);
  nb::list out;
  for (const auto& m : metrics) {
    nb::dict d;
    d["k"] = m.k;
    d["acc_at_1"] = m.acc_at_1;
    d["acc_at_k_top1"] = m.acc_at_k_top1;
    d["potential_at_k"] = m.potential_at_k;
    d["map_at_k"] = m.map_at_k;
    out.append(d);
  }
  return out;
}

nb::dict lexical_metrics(const std::vector<std::string>& words, const std::vector<std::vector<std::string>>& generated,
                         const std::vector<std::string>& chosen, const std::vector<std::vector<std::string>>& gold) {
  const auto g = sp::evaluate_generation(generated, gold);
  const auto p = sp::evaluate_pipeline(words, chosen, gold);
  nb::dict generation, pipeline, d;
  generation["potential"] = g.potential;
  generation["precision"] = g.precision;
  generation["recall"] = g.recall;
  generation["f1"] = g.f1;
  pipeline["precision"] = p.precision;
  pipeline["accuracy"] = p.accuracy;
  pipeline["changed"] = p.changed;
  d["generation"] = generation;
  d["pipeline"] = pipeline;
  return d;
}

}  // namespace

void bind_lexical(nb::module_& m) {
  m.def("read_lexical_dataset", &read_lexical_dataset, nb::arg("path"), nb::arg("format") = "tsar",
        "The instances of a TSAR-2022 ('tsar': sentence<TAB>word[<TAB>substitute]...) or CLS ('cls') file: a list of "
        "dicts (sentence, word, gold, pos, tokens, position, offset, line). Errors name the file, line and column.");
  nb::class_<lexical_simplifier_py>(
      m, "LexicalSimplifier",
      "Lexical simplification, generate → select → rank → choose, as `posttrain lexical-simplify` runs it.")
      .def(nb::init<const std::string&, const std::optional<nb::object>&, const std::optional<std::string>&,
                    const std::optional<std::string>&, const std::optional<std::string>&, const std::optional<std::string>&,
                    const std::optional<nb::object>&, const std::optional<std::vector<std::string>>&, const std::string&,
                    pt::index_t, double, bool>(),
           nb::arg("lang"), nb::arg("frequencies") = nb::none(), nb::arg("dictionary") = nb::none(),
           nb::arg("hmm") = nb::none(), nb::arg("cilin") = nb::none(), nb::arg("thesaurus") = nb::none(),
           nb::arg("vectors") = nb::none(), nb::arg("features") = nb::none(), nb::arg("hybrid") = "first",
           nb::arg("neighbours") = 10, nb::arg("min_cosine") = 0.6, nb::arg("only_if_more_frequent") = false,
           "lang 'zh' (dictionary: jieba's dict.txt, hmm: its HMM) or 'en', 'es', 'pt' (frequencies: a word<TAB>count "
           "file or a dict). Generators, in this order when several (hybrid 'first': the first with candidates; "
           "'merge': all): cilin (Cilin file), thesaurus (MyThes .dat), vectors (word2vec/GloVe text file, or "
           "(words, array [n, width])). features: the ranking features (default as the CLI's).")
      .def("run", &lexical_simplifier_py::run, nb::arg("instances"),
           "For each instance (a dict with 'sentence' and 'word', as read_lexical_dataset gives, or a (sentence, word) "
           "pair): a dict of choice, ranked, selected, generated and features ({name: {values, ranks}}).")
      .def_prop_ro("generators", [](const lexical_simplifier_py& s) { return s.generator_names; })
      .def_prop_ro("features", [](const lexical_simplifier_py& s) { return s.feature_names; });
  m.def("tsar_metrics", &tsar_metrics, nb::arg("words"), nb::arg("predicted"), nb::arg("gold"),
        nb::arg("ks") = std::vector<int>{1, 3, 5, 10},
        "TSAR-2022's metrics (its evaluation script's definitions) at each cut-off k: a list of dicts (k, acc_at_1, "
        "acc_at_k_top1, potential_at_k, map_at_k). gold keeps the annotators' repeats.");
  m.def("lexical_metrics", &lexical_metrics, nb::arg("words"), nb::arg("generated"), nb::arg("chosen"), nb::arg("gold"),
        "The generation step's potential, precision, recall and F1, and the pipeline's precision, accuracy and "
        "changed share (Qiang et al.'s definitions), compared lower-case.");
}

}  // namespace posttrain_python
