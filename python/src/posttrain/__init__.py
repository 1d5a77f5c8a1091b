# SPDX-License-Identifier: Apache-2.0
"""posttrain: the library's post-training kernels on numpy arrays and torch tensors.

Arrays are read in place through their strides (numpy, torch CPU tensors, anything with DLPack);
results are new numpy arrays (``torch.from_numpy`` wraps them without a copy), or, where a
function takes ``out=``, written into the caller's array (an input's own, for in-place use). The GIL is
released while a kernel runs. Wrong dtypes and devices raise TypeError, wrong shapes and values
ValueError, with the library's message.

reward (PPO maths, with the conventions of trl, verl and OpenRLHF):
    compute_gae(rewards, values, mask=None, gamma=1.0, lam=0.95, masking="zero")
    masked_whiten(x, mask=None, shift_mean=True, preset=None, unbiased=None, eps=None, out=None)
    kl_penalty(logp, ref_logp, mask=None, kind="k1", clamp=None, out=None)
    policy_loss(logp, logp_old, advantages, mask=None, clip_low=0.2, clip_high=None,
                dual_clip=None, loss_agg_mode="token-mean")  -> (loss, grad, info)
    value_loss(values, old_values, returns, mask=None, clip=0.2, loss_agg_mode="token-mean")
                                                                  -> (loss, grad, info)
    grpo_advantages(scores, group, eps=1e-6, scale_by_std=True, std_floor=0.0, counted=None)
    rloo_advantages(scores, group, counted=None)
    reinforce_plus_plus_advantages(rewards, mask=None, gamma=1.0, masking="zero", preset=None)
    shaped_rewards(kl, sequence_scores, mask=None, token_scores=None, kl_coef=0.05, clip=None,
                   out=None)
    trace_rewards(response, offsets, sentences, ends_with_eos=True, granularity="token",
                  offset_unit="code_points", truth_values=None, helpfulness_values=None, ...)
                                                                  -> (rewards [T], info)

rm_eval (reward-model evaluation; one score per response, computed in double):
    pairwise_accuracy(chosen, rejected, ties="zero", bootstrap=0, level=0.95, seed=0) -> dict
    all_pairs_accuracy(proxy, gold, group, ties="zero", first_k=0) -> dict
    best_of_n_agreement(proxy, gold, group)                        -> dict
    best_of_n_curve(proxy, gold, group, n=[1, 2, 4, 8, 16])        -> dict(n, gold, gain)
    subset_accuracy(chosen, rejected, subset=None, ties="zero", bootstrap=0, level=0.95, seed=0)
                          -> dict(accuracy, subsets={name: dict}, mean_of_subsets)  (reward-bench)
    pearson(x, y), spearman(x, y), kendall_tau(x, y, variant="b")

value (logit-level value adaptation and decoding; logits [T or B, V]):
    ivl_loss(z_base, z_value, labels, lam=1.0, ignore_index=-100)  -> (loss, grad, info)
    cross_entropy(logits, labels, ignore_index=-100)               -> (loss, grad, labelled)
    residual(z_base, z_value, alpha=1.0)
    proxy_tuning(z_base, z_expert, z_antiexpert, alpha=1.0)
    emulated_fine_tuning(z_base_large, z_tuned_small, z_base_small, beta=1.0)
    cmc(z_base, delta, mode="add"), contrastive_decoding(z_expert, z_amateur, alpha=0.1)
    processed_log_probs(logits, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, min_tokens_to_keep=1)
    decode_step(logits, seeds=None, step=0, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0,
                min_tokens_to_keep=1, greedy=False)                -> (tokens, log_probs)

contrastive (two views z1, z2 [N, d]; cosine similarities over a temperature):
    contrastive_loss(z1, z2, objective="infonce", temperature=0.2, symmetric=False)
                                                                   -> (loss, grad1, grad2)
    complementary_loss(z1, z2, mask=None, objective="infonce", temperature=0.2, symmetric=False,
                       ratio=0.1, count=None, weight=1.0, rule="contribution", scope="per_sample")
                                                                   -> (total, grad1, grad2, terms)
    highlighted_dimensions(z1, z2, ratio=0.1, count=None, rule="contribution") -> mask
    dimension_contributions(z1, z2), effective_rank(z)

collapse (neural-collapse metrics; features [N, d], labels [N] in 0..K-1):
    nc_metrics(features, labels, classes, weight=None, bias=None, mean="sample",
               divide_by_classes=True, route="automatic", batch_rows=8192)  -> dict
    ClassStatistics(classes, dim, route="automatic"): add(features, labels), merge(other),
        metrics(weight=None, bias=None, mean="sample"), class_means(), counts(); picklable
    SecondPassStatistics(stats, weight=None, bias=None, mean="sample", dtype="float32"): the second
        pass over the same features (NC4; NC1 on the projected route): add, merge, metrics(); picklable

simplify (readability, BLEU with sacrebleu's 13a conventions, the Trans-SS pair rule; str in):
    text_counts(text, lang="en")                   -> dict(words, sentences, syllables, invalid_bytes)
    readability(texts, score="fre", lang="en")     -> float64 array ("fre" or "fkgl")
    sentence_bleu(hypothesis, reference, smooth_method="exp", smooth_value=None,
                  use_effective_order=True, lowercase=False)              -> dict
    corpus_bleu(hypotheses, references, smooth_method="exp", smooth_value=None,
                use_effective_order=False, lowercase=False)               -> dict
    judge_pair(reference, translation, min_words=3, min_bleu=15.0, min_difference=10.0,
               score="fre", lang="en", unknown_token="<unk>")             -> dict
    judge_pairs(references, translations, ...)     -> dict of a verdict list and arrays
    read_lexical_dataset(path, format="tsar"|"cls") -> list of dicts (sentence, word, gold, ...)
    LexicalSimplifier(lang, frequencies=None, dictionary=None, hmm=None, cilin=None, thesaurus=None,
                      vectors=None, features=None, hybrid="first", neighbours=10, min_cosine=0.6,
                      only_if_more_frequent=False).run(instances) -> list of dicts (choice, ranked, ...)
    tsar_metrics(words, predicted, gold, ks=[1, 3, 5, 10])  -> list of dicts (TSAR-2022's metrics)
    lexical_metrics(words, generated, chosen, gold)         -> dict(generation, pipeline)
"""
from ._core import (
    __version__,
    all_pairs_accuracy,
    backend,
    best_of_n_agreement,
    best_of_n_curve,
    ClassStatistics,
    cmc,
    complementary_loss,
    compute_gae,
    contrastive_decoding,
    contrastive_loss,
    corpus_bleu,
    cross_entropy,
    decode_step,
    dimension_contributions,
    effective_rank,
    emulated_fine_tuning,
    grpo_advantages,
    highlighted_dimensions,
    ivl_loss,
    judge_pair,
    judge_pairs,
    kendall_tau,
    kl_penalty,
    LexicalSimplifier,
    lexical_metrics,
    masked_whiten,
    nc_metrics,
    pairwise_accuracy,
    pearson,
    policy_loss,
    processed_log_probs,
    proxy_tuning,
    read_lexical_dataset,
    readability,
    reinforce_plus_plus_advantages,
    residual,
    rloo_advantages,
    SecondPassStatistics,
    sentence_bleu,
    shaped_rewards,
    spearman,
    subset_accuracy,
    text_counts,
    trace_rewards,
    tsar_metrics,
    value_loss,
)

__all__ = [
    "__version__",
    "all_pairs_accuracy",
    "backend",
    "best_of_n_agreement",
    "best_of_n_curve",
    "ClassStatistics",
    "cmc",
    "complementary_loss",
    "compute_gae",
    "contrastive_decoding",
    "contrastive_loss",
    "corpus_bleu",
    "cross_entropy",
    "decode_step",
    "dimension_contributions",
    "effective_rank",
    "emulated_fine_tuning",
    "grpo_advantages",
    "highlighted_dimensions",
    "ivl_loss",
    "judge_pair",
    "judge_pairs",
    "kendall_tau",
    "kl_penalty",
    "LexicalSimplifier",
    "lexical_metrics",
    "masked_whiten",
    "nc_metrics",
    "pairwise_accuracy",
    "pearson",
    "policy_loss",
    "processed_log_probs",
    "proxy_tuning",
    "read_lexical_dataset",
    "readability",
    "reinforce_plus_plus_advantages",
    "residual",
    "rloo_advantages",
    "SecondPassStatistics",
    "sentence_bleu",
    "shaped_rewards",
    "spearman",
    "subset_accuracy",
    "text_counts",
    "trace_rewards",
    "tsar_metrics",
    "value_loss",
]
