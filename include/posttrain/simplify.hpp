// SPDX-License-Identifier: Apache-2.0
#pragma once
// The simplify module: readability, the filtering of sentence pairs into simplification
// corpora (Trans-SS), and lexical simplification.
//   simplify/syllables.hpp    syllable heuristics (en, fr, es, de), a CMU pronouncing dictionary
//   simplify/syllable_model.hpp  syllables learned from the dictionary for the words it lacks
//   simplify/readability.hpp  counts, FRE (four languages), FKGL, the batched pair scores
//   simplify/bleu.hpp         BLEU with sacrebleu's conventions (13a, smoothings, effective order)
//   simplify/pairs.hpp        the Trans-SS pair filter
//   simplify/lexical.hpp      lexical simplification: selection, rank-sum ranking, metrics
//   simplify/lexical_pipeline.hpp  generate → select → rank → choose for any language, Chinese
//                             features (frequency, characters, Cilin distance, POS)
//   simplify/lexical_datasets.hpp  the CLS and TSAR-2022 formats
//   simplify/tsar_metrics.hpp the TSAR-2022 metrics (ACC@1, ACC@k@Top1, Potential@k, MAP@k)
//   simplify/cilin.hpp        HIT's extended Cilin: synonym groups and tree distance
//   simplify/thesaurus.hpp    synonyms from a MyThes thesaurus
//   simplify/neighbours.hpp   embedding neighbours (cosine top-k on any backend), word vectors,
//                             the embedding and hybrid generators
// Text handling (UTF-8, words, sentences, lowercase, Chinese segmentation) is in posttrain/text/.
#include "simplify/bleu.hpp"
#include "simplify/cilin.hpp"
#include "simplify/lexical.hpp"
#include "simplify/lexical_datasets.hpp"
#include "simplify/lexical_pipeline.hpp"
#include "simplify/neighbours.hpp"
#include "simplify/pairs.hpp"
#include "simplify/readability.hpp"
#include "simplify/syllable_model.hpp"
#include "simplify/syllables.hpp"
#include "simplify/tsar_metrics.hpp"
#include "simplify/thesaurus.hpp"
