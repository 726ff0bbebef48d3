/*
 * The prover's driver: the list of obligations of a scheme, one Z3 query
 * (or a short sequence) per obligation, verdicts, counterexamples read
 * from models, and minimal conflicting directives read from unsat cores.
 *
 * Every obligation is asked as "is there a violation?": unsat proves it
 * for every parameter value in range, sat is a counterexample.  Coverage
 * is split by dimension component (smt/cover.c), the rest is here.
 */
#include "smt/prove.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "checker/check.h"
#include "smt/encode.h"
#include "smt/prover.h"

const char *kpl_obligation_kind_name(enum kpl_obligation_kind kind)
{
    static const char *const names[KPL_OBL_KIND_COUNT] = {
        "capacity", "fan-out", "extents", "window",
        "coverage-gap", "coverage-overlap", "mesh", "disjoint", "segment",
    };
    return (unsigned)kind < KPL_OBL_KIND_COUNT ? names[kind] : "unknown";
}

static const char *kind_rule(enum kpl_obligation_kind kind)
{
    switch (kind) {
    case KPL_OBL_CAPACITY:
        return "capacity";
    case KPL_OBL_FANOUT:
    case KPL_OBL_MESH:
    case KPL_OBL_DISJOINT:
        return "fan-out";
    case KPL_OBL_EXTENTS:
    case KPL_OBL_WINDOW:
        return "containment";
    case KPL_OBL_SEGMENT:
        return "segment";
    case KPL_OBL_GAP:
    case KPL_OBL_OVERLAP:
    case KPL_OBL_KIND_COUNT:
        break;
    }
    return "coverage";
}

void kpl_prove_opts_init(struct kpl_prove_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->timeout_ms = 10000;
    opts->layer = -1;
}

double kpl_prover_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- obligations ---- */

struct kpl_obligation *kpl_prover_begin(struct kpl_prover *pv,
                                        enum kpl_obligation_kind kind,
                                        int layer, int level, int segment,
                                        struct kpl_span span)
{
    if (pv->nob == pv->capob) {
        int cap = pv->capob ? pv->capob * 2 : 64;
        struct kpl_obligation *grown =
            kpl_arena_array(pv->arena, (size_t)cap, sizeof *grown);
        if (grown == NULL) {
            return NULL;
        }
        if (pv->nob > 0) {
            memcpy(grown, pv->obs, (size_t)pv->nob * sizeof *grown);
        }
        pv->obs = grown;
        pv->capob = cap;
    }
    struct kpl_obligation *ob = &pv->obs[pv->nob++];
    memset(ob, 0, sizeof *ob);
    ob->kind = kind;
    ob->rule = kind_rule(kind);
    ob->layer = layer;
    ob->layer_name = layer >= 0 ? pv->scheme->net->layers[layer].name : NULL;
    ob->level = level;
    ob->segment = segment;
    ob->span = span;
    ob->verdict = KPL_VERDICT_PROVED;
    ob->cex.tensor = -1;
    ob->cex.dim = -1;
    ob->cex.other_layer = -1;
    pv->start = kpl_prover_now();
    pv->reason[0] = '\0';
    return ob;
}

static const char *subject(struct kpl_prover *pv,
                           const struct kpl_obligation *ob)
{
    if (ob->layer < 0) {
        return kpl_arena_printf(pv->arena, "segment %d", ob->segment + 1);
    }
    if (ob->level < 0) {
        return kpl_arena_printf(pv->arena, "'%s'", ob->layer_name);
    }
    return kpl_arena_printf(pv->arena, "'%s' at %s", ob->layer_name,
                            kpl_level_names[ob->level]);
}

static void note_params(struct kpl_prover *pv, struct kpl_obligation *ob)
{
    bool instance = true;
    for (int i = 0; i < ob->cex.nparam; i++) {
        instance = instance &&
                   ob->cex.params[i].value == pv->scheme->params[i].value;
    }
    if (instance) {
        return; /* the scheme as written fails: no value to point out */
    }
    for (int i = 0; i < ob->cex.nparam; i++) {
        const struct kpl_cex_param *p = &ob->cex.params[i];
        kpl_diag_note(pv->diags, ob->diag, p->span,
                      "counterexample for parameter '%s' = %lld", p->name,
                      (long long)p->value);
    }
}

void kpl_prover_end(struct kpl_prover *pv, struct kpl_obligation *ob,
                    enum kpl_verdict verdict)
{
    ob->verdict = verdict;
    ob->seconds = kpl_prover_now() - pv->start;
    if (verdict == KPL_VERDICT_UNKNOWN) {
        ob->reason = kpl_arena_strdup(pv->arena, pv->reason[0]
                                                     ? pv->reason
                                                     : "unknown");
        ob->message = kpl_arena_printf(
            pv->arena, "could not decide %s of %s: %s",
            kpl_obligation_kind_name(ob->kind), subject(pv, ob), ob->reason);
        ob->diag = kpl_warning(pv->diags, "prove-unknown", ob->span, "%s",
                               ob->message);
    } else if (verdict == KPL_VERDICT_VIOLATED) {
        ob->diag = kpl_error(pv->diags, ob->rule, ob->span, "%s",
                             ob->message != NULL ? ob->message
                                                 : "obligation violated");
        note_params(pv, ob);
    } else if (ob->message == NULL) {
        ob->message = kpl_arena_printf(pv->arena, "%s of %s proved",
                                       kpl_obligation_kind_name(ob->kind),
                                       subject(pv, ob));
    }
}

/* ---- queries ---- */

/*
 * Whether the current obligation has spent its time.  Compared in exact
 * time, not in whole milliseconds left: a budget of 1 ms is not spent
 * after a few microseconds of building formulas.  Each query itself is
 * bounded by the context's timeout, the whole budget (at least 1 ms).
 */
static bool budget_spent(struct kpl_prover *pv)
{
    double spent_ms = (kpl_prover_now() - pv->start) * 1000.0;
    return spent_ms >= (double)pv->opts.timeout_ms;
}

static Z3_lbool check_once(struct kpl_prover *pv, Z3_ast bounds,
                           Z3_ast formula, Z3_model *model)
{
    struct kpl_smt *smt = &pv->smt;
    *model = NULL;
    if (budget_spent(pv)) {
        snprintf(pv->reason, sizeof pv->reason, "timeout");
        return Z3_L_UNDEF;
    }
    Z3_solver solver = kpl_smt_solver_new(smt, pv->opts.rlimit);
    if (solver == NULL) {
        return Z3_L_UNDEF;
    }
    kpl_smt_assert(smt, solver, bounds);
    kpl_smt_assert(smt, solver, formula);
    Z3_lbool result = kpl_smt_check(smt, solver, 0, NULL);
    if (result == Z3_L_TRUE) {
        *model = kpl_smt_model(smt, solver);
        if (*model == NULL) {
            result = Z3_L_UNDEF;
        }
    } else if (result == Z3_L_UNDEF) {
        kpl_smt_reason_unknown(smt, solver, pv->reason, sizeof pv->reason);
        if (strcmp(pv->reason, "canceled") == 0) {
            snprintf(pv->reason, sizeof pv->reason, "timeout");
        }
    }
    kpl_smt_solver_free(smt, solver);
    return result;
}

/* Parameters at the values of the instance the checker evaluates. */
static Z3_ast instance(struct kpl_prover *pv)
{
    struct kpl_smt *smt = &pv->smt;
    Z3_ast all = kpl_smt_bool(smt, true);
    for (int i = 0; i < pv->scheme->nparam; i++) {
        Z3_ast value = kpl_smt_int(smt, pv->scheme->params[i].value);
        all = kpl_smt_and(smt, all, kpl_smt_eq(smt, pv->enc.params[i], value));
    }
    return all;
}

/*
 * A violation for some parameter value is searched first; when one
 * exists, the instance as written is tried too, so that a counterexample
 * names other parameter values only when the instance itself is fine.
 */
Z3_lbool kpl_prover_decide(struct kpl_prover *pv, Z3_ast formula,
                           Z3_model *model)
{
    Z3_lbool result = check_once(pv, pv->enc.param_bounds, formula, model);
    if (result != Z3_L_TRUE || pv->scheme->nparam == 0) {
        return result;
    }
    Z3_model written = NULL;
    if (check_once(pv, instance(pv), formula, &written) == Z3_L_TRUE) {
        kpl_smt_model_free(&pv->smt, *model);
        *model = written;
    }
    return Z3_L_TRUE;
}

/*
 * Asks Z3 for a model of an obligation's violation.  Without one the
 * obligation ends here, proved (unsat) or unknown, and false comes back.
 */
static bool find_violation(struct kpl_prover *pv, struct kpl_obligation *ob,
                           Z3_ast violation, Z3_model *model)
{
    Z3_lbool r = kpl_prover_decide(pv, violation, model);
    if (r != Z3_L_TRUE) {
        kpl_prover_end(pv, ob, r == Z3_L_FALSE ? KPL_VERDICT_PROVED
                                                : KPL_VERDICT_UNKNOWN);
        return false;
    }
    return true;
}

void kpl_prover_read_params(struct kpl_prover *pv, Z3_model model,
                            struct kpl_counterexample *cex)
{
    int n = pv->scheme->nparam;
    cex->nparam = 0;
    if (n == 0) {
        return;
    }
    cex->params = kpl_arena_array(pv->arena, (size_t)n, sizeof *cex->params);
    if (cex->params == NULL) {
        return;
    }
    for (int i = 0; i < n; i++) {
        struct kpl_cex_param *p = &cex->params[i];
        p->name = pv->scheme->params[i].name;
        p->span = pv->scheme->params[i].span;
        kpl_smt_eval_int(&pv->smt, model, pv->enc.params[i], &p->value);
    }
    cex->nparam = n;
}

/* ---- minimal conflicting directives ---- */

/* Directives that may take part in a conflict at a level: its own, and
 * the batch for GBUF; the GBUF tiles are a given for REGF conflicts. */
static bool candidate(const struct kpl_enc_group *g, int level)
{
    if (level < 0) {
        return true;
    }
    return g->level == level || (g->level < 0 && level == KPL_LEVEL_GBUF);
}

static void assert_context(struct kpl_prover *pv, Z3_solver solver,
                           const struct kpl_enc *tenc, int level,
                           const struct kpl_counterexample *cex)
{
    struct kpl_smt *smt = &pv->smt;
    kpl_smt_assert(smt, solver, tenc->domain);
    for (int i = 0; i < cex->nparam; i++) {
        Z3_ast fixed = kpl_smt_eq(smt, tenc->params[i],
                                  kpl_smt_int(smt, cex->params[i].value));
        kpl_smt_assert(smt, solver, fixed);
    }
    for (int i = 0; i < tenc->ndef; i++) {
        const struct kpl_enc_def *def = &tenc->defs[i];
        const struct kpl_enc_group *g = &tenc->groups[def->group];
        if (candidate(g, level)) {
            kpl_smt_assert(smt, solver, kpl_smt_implies(smt, g->lit, def->eq));
        } else {
            kpl_smt_assert(smt, solver, def->eq);
        }
    }
}

/*
 * Asks Z3 which directives cannot all keep their values while property
 * holds (property is what a fix would make true), shrinks the core by
 * deletion, and adds one note per directive left.
 */
void kpl_prover_core(struct kpl_prover *pv, struct kpl_obligation *ob,
                     struct kpl_enc *tenc, Z3_ast property)
{
    struct kpl_smt *smt = &pv->smt;
    int n = tenc->ngroup;
    if (pv->opts.no_cores || ob->diag == NULL || n == 0 || property == NULL) {
        return;
    }
    Z3_ast *lits = kpl_arena_array(pv->arena, (size_t)n, sizeof *lits);
    bool *keep = kpl_arena_array(pv->arena, (size_t)n, sizeof *keep);
    bool *in_core = kpl_arena_array(pv->arena, (size_t)n, sizeof *in_core);
    Z3_ast *trial = kpl_arena_array(pv->arena, (size_t)n, sizeof *trial);
    if (lits == NULL || keep == NULL || in_core == NULL || trial == NULL) {
        return;
    }
    Z3_solver solver = kpl_smt_solver_new(smt, pv->opts.rlimit);
    if (solver == NULL) {
        return;
    }
    assert_context(pv, solver, tenc, ob->level, &ob->cex);
    kpl_smt_assert(smt, solver, property);
    int *group_of = kpl_arena_array(pv->arena, (size_t)n, sizeof *group_of);
    if (group_of == NULL) {
        kpl_smt_solver_free(smt, solver);
        return;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (candidate(&tenc->groups[i], ob->level)) {
            group_of[m] = i;
            lits[m++] = tenc->groups[i].lit;
        }
    }
    n = m;

    Z3_lbool r = kpl_smt_check(smt, solver, (unsigned)n, lits);
    if (r != Z3_L_FALSE ||
        !kpl_smt_core(smt, solver, (unsigned)n, lits, keep)) {
        kpl_smt_solver_free(smt, solver);
        return;
    }

    /* Deletion: drop each member whose absence keeps the query unsat. */
    for (int drop = 0; drop < n; drop++) {
        if (!keep[drop]) {
            continue;
        }
        unsigned ntrial = 0;
        for (int i = 0; i < n; i++) {
            if (keep[i] && i != drop) {
                trial[ntrial++] = lits[i];
            }
        }
        if (kpl_smt_check(smt, solver, ntrial, trial) != Z3_L_FALSE) {
            continue;
        }
        bool *sub = in_core;
        if (!kpl_smt_core(smt, solver, ntrial, trial, sub)) {
            break;
        }
        unsigned k = 0;
        for (int i = 0; i < n; i++) {
            if (keep[i] && i != drop) {
                keep[i] = sub[k++];
            } else if (i == drop) {
                keep[i] = false;
            }
        }
    }
    kpl_smt_solver_free(smt, solver);

    for (int i = 0; i < n; i++) {
        const struct kpl_enc_group *g = &tenc->groups[group_of[i]];
        if (keep[i]) {
            kpl_diag_note(pv->diags, ob->diag, g->span,
                          "conflicting directive: %s", g->what);
        }
    }
}

bool kpl_prover_tracked(struct kpl_prover *pv, int layer,
                        struct kpl_enc *tenc, struct kpl_enc_layer *tl)
{
    if (pv->opts.no_cores) {
        return false;
    }
    if (!kpl_enc_init(tenc, &pv->smt, pv->arena, pv->scheme, true)) {
        return false;
    }
    return kpl_enc_layer_build(tenc, layer, tl);
}

/* ---- capacity ---- */

static Z3_ast tensor_words(struct kpl_enc *enc, const struct kpl_enc_layer *el,
                           int level, int t)
{
    struct kpl_smt *smt = enc->smt;
    const struct kpl_enc_level *lv = &el->lv[level];
    Z3_ast size = kpl_smt_int(smt, 1);
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (lv->tile[t][d] != NULL) {
            size = kpl_smt_mul(smt, size, lv->tile[t][d]);
        }
    }
    return kpl_smt_ceil_div(smt, size, lv->share[t]);
}

static Z3_ast level_words(struct kpl_enc *enc, const struct kpl_enc_layer *el,
                          int level)
{
    Z3_ast sum = kpl_smt_int(enc->smt, 0);
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (el->l->tensor_dims[t] != 0) {
            sum = kpl_smt_add(enc->smt, sum, tensor_words(enc, el, level, t));
        }
    }
    return sum;
}

static void read_capacity(struct kpl_prover *pv, struct kpl_obligation *ob,
                          const struct kpl_enc_layer *el, Z3_model model,
                          int64_t limit)
{
    struct kpl_counterexample *cex = &ob->cex;
    int64_t biggest = -1;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        int64_t words = 0;
        if (el->l->tensor_dims[t] == 0) {
            continue;
        }
        kpl_smt_eval_int(&pv->smt, model,
                         tensor_words(&pv->enc, el, ob->level, t), &words);
        if (words > biggest) {
            biggest = words;
            cex->tensor = t;
        }
    }
    kpl_smt_eval_int(&pv->smt, model, level_words(&pv->enc, el, ob->level),
                     &cex->words);
    int64_t bits = pv->scheme->arch->word_bits;
    cex->limit = limit;
    cex->bytes = kpl_mul_sat(cex->words, bits) / 8;
    cex->limit_bytes = kpl_mul_sat(limit, bits) / 8;
    ob->message = kpl_arena_printf(
        pv->arena,
        "tiles of '%s' need %lld words (%lld bytes) at %s, more than the "
        "%lld words (%lld bytes) of one buffer; 'tensor %s' is the largest",
        ob->layer_name, (long long)cex->words, (long long)cex->bytes,
        kpl_level_names[ob->level], (long long)limit,
        (long long)cex->limit_bytes, kpl_tensor_names[cex->tensor]);
}

static void prove_capacity(struct kpl_prover *pv,
                           const struct kpl_enc_layer *el, int level)
{
    struct kpl_smt *smt = &pv->smt;
    const struct kpl_level_map *lm = el->lv[level].lm;
    struct kpl_obligation *ob = kpl_prover_begin(
        pv, KPL_OBL_CAPACITY, el->layer, level, -1, lm->span);
    if (ob == NULL) {
        return;
    }
    int64_t limit = kpl_arch_words(pv->scheme->arch, (enum kpl_level)level);
    Z3_ast cap = kpl_smt_int(smt, limit);
    Z3_ast need = level_words(&pv->enc, el, level);
    Z3_model model = NULL;
    if (!find_violation(pv, ob, kpl_smt_lt(smt, cap, need), &model)) {
        return;
    }
    ob->has_cex = true;
    read_capacity(pv, ob, el, model, limit);
    kpl_prover_read_params(pv, model, &ob->cex);
    kpl_smt_model_free(smt, model);
    kpl_prover_end(pv, ob, KPL_VERDICT_VIOLATED);

    struct kpl_enc tenc;
    struct kpl_enc_layer tl;
    if (kpl_prover_tracked(pv, el->layer, &tenc, &tl)) {
        Z3_ast fits = kpl_smt_le(smt, level_words(&tenc, &tl, level), cap);
        kpl_prover_core(pv, ob, &tenc, fits);
    }
}

/* ---- fan-out ---- */

/* Every stack count is at least 1. */
static Z3_ast counts_positive(struct kpl_enc *enc,
                              const struct kpl_enc_level *lv)
{
    Z3_ast all = kpl_smt_bool(enc->smt, true);
    Z3_ast one = kpl_smt_int(enc->smt, 1);
    for (int j = 0; j < lv->nloop; j++) {
        if (lv->loops[j].is_stack) {
            all = kpl_smt_and(enc->smt, all,
                              kpl_smt_le(enc->smt, one, lv->loops[j].count));
        }
    }
    return all;
}

static Z3_ast level_copies(struct kpl_enc *enc, const struct kpl_enc_level *lv)
{
    Z3_ast copies = kpl_smt_int(enc->smt, 1);
    for (int j = 0; j < lv->nloop; j++) {
        if (lv->loops[j].is_stack) {
            copies = kpl_smt_mul(enc->smt, copies, lv->loops[j].count);
        }
    }
    return copies;
}

static bool layer_region(const struct kpl_scheme *scheme, int layer,
                         struct kpl_region *region)
{
    for (int s = 0; s < scheme->nsegment; s++) {
        const struct kpl_segment *seg = &scheme->segments[s];
        for (int i = 0; i < seg->nlayer; i++) {
            if (seg->layers[i] == layer) {
                *region = seg->regions[i];
                return true;
            }
        }
    }
    return false;
}

static void prove_fanout(struct kpl_prover *pv, const struct kpl_enc_layer *el,
                         int level)
{
    struct kpl_smt *smt = &pv->smt;
    const struct kpl_arch *arch = pv->scheme->arch;
    int64_t limit = kpl_mul_sat(arch->pe_rows, arch->pe_cols);
    const char *unit = "PEs";
    const char *where = "a node";
    if (level == KPL_LEVEL_GBUF) {
        struct kpl_region region;
        if (!layer_region(pv->scheme, el->layer, &region)) {
            return;
        }
        limit = kpl_region_nodes(&region);
        unit = "nodes";
        where = "its region";
    }
    const struct kpl_level_map *lm = el->lv[level].lm;
    struct kpl_obligation *ob = kpl_prover_begin(
        pv, KPL_OBL_FANOUT, el->layer, level, -1, lm->span);
    if (ob == NULL) {
        return;
    }
    Z3_ast cap = kpl_smt_int(smt, limit);
    Z3_ast copies = level_copies(&pv->enc, &el->lv[level]);
    Z3_ast positive = counts_positive(&pv->enc, &el->lv[level]);
    Z3_ast fits = kpl_smt_and(smt, positive, kpl_smt_le(smt, copies, cap));
    Z3_model model = NULL;
    if (!find_violation(pv, ob, kpl_smt_not(smt, fits), &model)) {
        return;
    }
    ob->has_cex = true;
    kpl_smt_eval_int(smt, model, copies, &ob->cex.words);
    ob->cex.limit = limit;
    kpl_prover_read_params(pv, model, &ob->cex);
    kpl_smt_model_free(smt, model);
    if (ob->cex.words <= limit) {
        ob->message = kpl_arena_printf(
            pv->arena, "a stack of '%s' at %s has fewer than 1 copy",
            ob->layer_name, kpl_level_names[level]);
    } else {
        ob->message = kpl_arena_printf(
            pv->arena, "stacks of '%s' at %s need %lld %s, more than the "
            "%lld of %s", ob->layer_name, kpl_level_names[level],
            (long long)ob->cex.words, unit, (long long)limit, where);
    }
    kpl_prover_end(pv, ob, KPL_VERDICT_VIOLATED);

    struct kpl_enc tenc;
    struct kpl_enc_layer tl;
    if (kpl_prover_tracked(pv, el->layer, &tenc, &tl)) {
        Z3_ast ok = kpl_smt_and(
            smt, counts_positive(&tenc, &tl.lv[level]),
            kpl_smt_le(smt, level_copies(&tenc, &tl.lv[level]), cap));
        kpl_prover_core(pv, ob, &tenc, ok);
    }
}

/* ---- containment: extents ---- */

/* The extent a tile of lv may not exceed: the GBUF tile or the layer. */
static Z3_ast slower_extent(struct kpl_enc *enc, const struct kpl_enc_layer *el,
                            int level, int t, int d)
{
    if (level == KPL_LEVEL_REGF) {
        return el->lv[KPL_LEVEL_GBUF].tile[t][d];
    }
    return kpl_enc_layer_extent(enc, el->l, (enum kpl_dim)d);
}

/* Conjunction of 1 <= tile <= slower and share >= 1 over the level. */
static Z3_ast extents_ok(struct kpl_enc *enc, const struct kpl_enc_layer *el,
                         int level)
{
    struct kpl_smt *smt = enc->smt;
    const struct kpl_enc_level *lv = &el->lv[level];
    Z3_ast one = kpl_smt_int(smt, 1);
    Z3_ast all = kpl_smt_bool(smt, true);
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (el->l->tensor_dims[t] == 0) {
            continue;
        }
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            Z3_ast tile = lv->tile[t][d];
            if (tile == NULL) {
                continue;
            }
            Z3_ast top = slower_extent(enc, el, level, t, d);
            all = kpl_smt_and(smt, all, kpl_smt_le(smt, one, tile));
            all = kpl_smt_and(smt, all, kpl_smt_le(smt, tile, top));
        }
        all = kpl_smt_and(smt, all, kpl_smt_le(smt, one, lv->share[t]));
    }
    return all;
}

static void read_extents(struct kpl_prover *pv, struct kpl_obligation *ob,
                         const struct kpl_enc_layer *el, Z3_model model)
{
    struct kpl_smt *smt = &pv->smt;
    const struct kpl_enc_level *lv = &el->lv[ob->level];
    const char *above = ob->level == KPL_LEVEL_REGF ? "its gbuf tile"
                                                    : "the layer";
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (lv->tile[t][d] == NULL) {
                continue;
            }
            int64_t v = 0;
            int64_t top = 0;
            kpl_smt_eval_int(smt, model, lv->tile[t][d], &v);
            kpl_smt_eval_int(smt, model,
                             slower_extent(&pv->enc, el, ob->level, t, d),
                             &top);
            if (v >= 1 && v <= top) {
                continue;
            }
            ob->cex.tensor = t;
            ob->cex.dim = d;
            ob->cex.value = v;
            ob->cex.bound = v < 1 ? 1 : top;
            ob->message = kpl_arena_printf(
                pv->arena,
                v < 1 ? "'%s' tile of '%s' at %s spans %s=%lld, less than "
                        "%lld%s"
                      : "'%s' tile of '%s' at %s spans %s=%lld, more than "
                        "the %lld of %s",
                kpl_tensor_names[t], ob->layer_name,
                kpl_level_names[ob->level], kpl_dim_names[d], (long long)v,
                (long long)ob->cex.bound, v < 1 ? "" : above);
            return;
        }
    }
    ob->message = kpl_arena_printf(pv->arena,
                                   "a sharing factor of '%s' at %s is not "
                                   "positive", ob->layer_name,
                                   kpl_level_names[ob->level]);
}

static void prove_extents(struct kpl_prover *pv,
                          const struct kpl_enc_layer *el, int level)
{
    struct kpl_smt *smt = &pv->smt;
    const struct kpl_level_map *lm = el->lv[level].lm;
    struct kpl_obligation *ob = kpl_prover_begin(
        pv, KPL_OBL_EXTENTS, el->layer, level, -1, lm->span);
    if (ob == NULL) {
        return;
    }
    Z3_ast ok = extents_ok(&pv->enc, el, level);
    Z3_model model = NULL;
    if (!find_violation(pv, ob, kpl_smt_not(smt, ok), &model)) {
        return;
    }
    ob->has_cex = true;
    read_extents(pv, ob, el, model);
    kpl_prover_read_params(pv, model, &ob->cex);
    kpl_smt_model_free(smt, model);
    kpl_prover_end(pv, ob, KPL_VERDICT_VIOLATED);

    struct kpl_enc tenc;
    struct kpl_enc_layer tl;
    if (kpl_prover_tracked(pv, el->layer, &tenc, &tl)) {
        kpl_prover_core(pv, ob, &tenc, extents_ok(&tenc, &tl, level));
    }
}

/* ---- containment: the input window ---- */

/*
 * A layer without weights (pool, eltwise) names no window dimension in any
 * tensor: its window is covered by the input tile's steps, so the tile
 * needs one window row (unit_window), as in the checker.
 */
struct window_axis {
    enum kpl_dim out, win, in;
    int64_t stride;
    bool unit_window;
};

static int window_axes(const struct kpl_layer *l, struct window_axis ax[2])
{
    int n = 0;
    unsigned ifm = l->tensor_dims[KPL_TENSOR_IFM];
    unsigned wgt = l->tensor_dims[KPL_TENSOR_WGT];
    if (ifm & KPL_DIM_BIT(KPL_DIM_XI)) {
        ax[n++] = (struct window_axis){KPL_DIM_XO, KPL_DIM_R, KPL_DIM_XI,
                                       l->stride_x,
                                       !(wgt & KPL_DIM_BIT(KPL_DIM_R))};
    }
    if (ifm & KPL_DIM_BIT(KPL_DIM_YI)) {
        ax[n++] = (struct window_axis){KPL_DIM_YO, KPL_DIM_S, KPL_DIM_YI,
                                       l->stride_y,
                                       !(wgt & KPL_DIM_BIT(KPL_DIM_S))};
    }
    return n;
}

static Z3_ast window_extent(struct kpl_smt *smt,
                            const struct kpl_enc_level *lv,
                            const struct window_axis *ax)
{
    return ax->unit_window ? kpl_smt_int(smt, 1) : lv->extent[ax->win];
}

/* Point (o, w) of the ofm tile and window whose input index is past the
 * ifm tile. */
static Z3_ast window_escape(struct kpl_enc *enc, const struct kpl_enc_level *lv,
                            const struct window_axis *ax, Z3_ast o, Z3_ast w)
{
    struct kpl_smt *smt = enc->smt;
    Z3_ast zero = kpl_smt_int(smt, 0);
    Z3_ast in = kpl_smt_add(smt, kpl_smt_mul(smt, o, kpl_smt_int(smt,
                                                                 ax->stride)),
                            w);
    Z3_ast inside = kpl_smt_and(
        smt, kpl_smt_in_range(smt, o, zero, lv->extent[ax->out]),
        kpl_smt_in_range(smt, w, zero, window_extent(smt, lv, ax)));
    Z3_ast past = kpl_smt_le(smt, lv->tile[KPL_TENSOR_IFM][ax->in], in);
    return kpl_smt_and(smt, inside, past);
}

/* The closed form, for the core: (Tout - 1) * stride + Twin <= Tin. */
static Z3_ast window_fits(struct kpl_enc *enc, const struct kpl_enc_level *lv,
                          const struct window_axis *ax, int nax)
{
    struct kpl_smt *smt = enc->smt;
    Z3_ast all = kpl_smt_bool(smt, true);
    for (int a = 0; a < nax; a++) {
        Z3_ast span = kpl_smt_mul(
            smt, kpl_smt_sub(smt, lv->extent[ax[a].out], kpl_smt_int(smt, 1)),
            kpl_smt_int(smt, ax[a].stride));
        span = kpl_smt_add(smt, span, window_extent(smt, lv, &ax[a]));
        all = kpl_smt_and(smt, all,
                          kpl_smt_le(smt, span,
                                     lv->tile[KPL_TENSOR_IFM][ax[a].in]));
    }
    return all;
}

static void prove_window(struct kpl_prover *pv, const struct kpl_enc_layer *el,
                         int level)
{
    struct kpl_smt *smt = &pv->smt;
    struct window_axis ax[2];
    int nax = window_axes(el->l, ax);
    if (nax == 0) {
        return;
    }
    const struct kpl_level_map *lm = el->lv[level].lm;
    struct kpl_obligation *ob = kpl_prover_begin(
        pv, KPL_OBL_WINDOW, el->layer, level, -1, lm->span);
    if (ob == NULL) {
        return;
    }
    Z3_ast o[2];
    Z3_ast w[2];
    Z3_ast any = kpl_smt_bool(smt, false);
    for (int a = 0; a < nax; a++) {
        o[a] = kpl_smt_int_var(smt, kpl_dim_names[ax[a].out]);
        w[a] = kpl_smt_int_var(smt, kpl_dim_names[ax[a].win]);
        any = kpl_smt_or(smt, any, window_escape(&pv->enc, &el->lv[level],
                                                 &ax[a], o[a], w[a]));
    }
    Z3_model model = NULL;
    if (!find_violation(pv, ob, any, &model)) {
        return;
    }
    ob->has_cex = true;
    ob->cex.tensor = KPL_TENSOR_IFM;
    for (int a = 0; a < nax; a++) {
        Z3_ast esc = window_escape(&pv->enc, &el->lv[level], &ax[a], o[a],
                                   w[a]);
        if (!kpl_smt_eval_bool(smt, model, esc)) {
            continue;
        }
        int64_t ov = 0;
        int64_t wv = 0;
        kpl_smt_eval_int(smt, model, o[a], &ov);
        kpl_smt_eval_int(smt, model, w[a], &wv);
        kpl_smt_eval_int(smt, model,
                         el->lv[level].tile[KPL_TENSOR_IFM][ax[a].in],
                         &ob->cex.bound);
        ob->cex.dim = ax[a].in;
        ob->cex.point[ax[a].out] = ov;
        ob->cex.point[ax[a].win] = wv;
        ob->cex.point_dims = KPL_DIM_BIT(ax[a].out) | KPL_DIM_BIT(ax[a].win);
        ob->cex.value = ov * ax[a].stride + wv;
        ob->message = kpl_arena_printf(
            pv->arena,
            "'ifm' tile of '%s' at %s spans %s=%lld but output %s=%lld with "
            "window %s=%lld reads input %s=%lld",
            ob->layer_name, kpl_level_names[level], kpl_dim_names[ax[a].in],
            (long long)ob->cex.bound, kpl_dim_names[ax[a].out],
            (long long)ov, kpl_dim_names[ax[a].win], (long long)wv,
            kpl_dim_names[ax[a].in], (long long)ob->cex.value);
        break;
    }
    kpl_prover_read_params(pv, model, &ob->cex);
    kpl_smt_model_free(smt, model);
    kpl_prover_end(pv, ob, KPL_VERDICT_VIOLATED);

    struct kpl_enc tenc;
    struct kpl_enc_layer tl;
    if (kpl_prover_tracked(pv, el->layer, &tenc, &tl)) {
        kpl_prover_core(pv, ob, &tenc,
                        window_fits(&tenc, &tl.lv[level], ax, nax));
    }
}

/* ---- segments: regions ---- */

static Z3_ast in_region(struct kpl_smt *smt, const struct kpl_region *rg,
                        Z3_ast row, Z3_ast col)
{
    return kpl_smt_and(
        smt,
        kpl_smt_in_range(smt, row, kpl_smt_int(smt, rg->row0),
                         kpl_smt_int(smt, rg->row1)),
        kpl_smt_in_range(smt, col, kpl_smt_int(smt, rg->col0),
                         kpl_smt_int(smt, rg->col1)));
}

static void read_node(struct kpl_prover *pv, struct kpl_obligation *ob,
                      Z3_model model, Z3_ast row, Z3_ast col)
{
    kpl_smt_eval_int(&pv->smt, model, row, &ob->cex.node_row);
    kpl_smt_eval_int(&pv->smt, model, col, &ob->cex.node_col);
}

static void prove_mesh(struct kpl_prover *pv, int s, int i)
{
    struct kpl_smt *smt = &pv->smt;
    const struct kpl_segment *seg = &pv->scheme->segments[s];
    const struct kpl_arch *arch = pv->scheme->arch;
    int layer = seg->layers[i];
    struct kpl_obligation *ob = kpl_prover_begin(
        pv, KPL_OBL_MESH, layer, -1, s, seg->layer_spans[i]);
    if (ob == NULL) {
        return;
    }
    Z3_ast row = kpl_smt_int_var(smt, "node.row");
    Z3_ast col = kpl_smt_int_var(smt, "node.col");
    Z3_ast zero = kpl_smt_int(smt, 0);
    Z3_ast rows = kpl_smt_int(smt, arch->node_rows);
    Z3_ast cols = kpl_smt_int(smt, arch->node_cols);
    Z3_ast inside = kpl_smt_and(smt, kpl_smt_in_range(smt, row, zero, rows),
                                kpl_smt_in_range(smt, col, zero, cols));
    Z3_ast bad = kpl_smt_and(smt, in_region(smt, &seg->regions[i], row, col),
                             kpl_smt_not(smt, inside));
    Z3_model model = NULL;
    if (!find_violation(pv, ob, bad, &model)) {
        return;
    }
    ob->has_cex = true;
    read_node(pv, ob, model, row, col);
    kpl_smt_model_free(smt, model);
    ob->message = kpl_arena_printf(
        pv->arena,
        "region of '%s' holds node [%lld, %lld], outside the %lld x %lld "
        "mesh", ob->layer_name, (long long)ob->cex.node_row,
        (long long)ob->cex.node_col, (long long)arch->node_rows,
        (long long)arch->node_cols);
    kpl_prover_end(pv, ob, KPL_VERDICT_VIOLATED);
}

static void prove_disjoint(struct kpl_prover *pv, int s)
{
    struct kpl_smt *smt = &pv->smt;
    const struct kpl_segment *seg = &pv->scheme->segments[s];
    if (!seg->spatial || seg->nlayer < 2) {
        return;
    }
    struct kpl_obligation *ob = kpl_prover_begin(
        pv, KPL_OBL_DISJOINT, -1, -1, s, seg->span);
    if (ob == NULL) {
        return;
    }
    Z3_ast row = kpl_smt_int_var(smt, "node.row");
    Z3_ast col = kpl_smt_int_var(smt, "node.col");
    Z3_ast any = kpl_smt_bool(smt, false);
    for (int a = 0; a < seg->nlayer; a++) {
        for (int b = a + 1; b < seg->nlayer; b++) {
            Z3_ast both = kpl_smt_and(
                smt, in_region(smt, &seg->regions[a], row, col),
                in_region(smt, &seg->regions[b], row, col));
            any = kpl_smt_or(smt, any, both);
        }
    }
    Z3_model model = NULL;
    if (!find_violation(pv, ob, any, &model)) {
        return;
    }
    ob->has_cex = true;
    read_node(pv, ob, model, row, col);
    kpl_smt_model_free(smt, model);

    int first = -1;
    int second = -1;
    for (int a = 0; a < seg->nlayer && second < 0; a++) {
        for (int b = a + 1; b < seg->nlayer && second < 0; b++) {
            const struct kpl_region *ra = &seg->regions[a];
            const struct kpl_region *rb = &seg->regions[b];
            int64_t nr = ob->cex.node_row;
            int64_t nc = ob->cex.node_col;
            if (nr >= ra->row0 && nr < ra->row1 && nc >= ra->col0 &&
                nc < ra->col1 && nr >= rb->row0 && nr < rb->row1 &&
                nc >= rb->col0 && nc < rb->col1) {
                first = a;
                second = b;
            }
        }
    }
    if (second < 0) {
        first = 0;
        second = 1;
    }
    const struct kpl_layer *layers = pv->scheme->net->layers;
    ob->layer = seg->layers[first];
    ob->layer_name = layers[ob->layer].name;
    ob->cex.other_layer = seg->layers[second];
    ob->message = kpl_arena_printf(
        pv->arena, "regions of '%s' and '%s' share node [%lld, %lld]",
        ob->layer_name, layers[ob->cex.other_layer].name,
        (long long)ob->cex.node_row, (long long)ob->cex.node_col);
    kpl_prover_end(pv, ob, KPL_VERDICT_VIOLATED);
    kpl_diag_note(pv->diags, ob->diag, seg->layer_spans[first],
                  "conflicting directive: region of '%s'", ob->layer_name);
    kpl_diag_note(pv->diags, ob->diag, seg->layer_spans[second],
                  "conflicting directive: region of '%s'",
                  layers[ob->cex.other_layer].name);
}

/* ---- segment rules ---- */

/*
 * One violated obligation for an error of the segment check: diag is the
 * checker's diagnostic (NULL when the diagnostics cap dropped it), and the
 * obligation takes its rule, message and span instead of adding another.
 */
static void record_segment_error(struct kpl_prover *pv, struct kpl_diag *diag,
                                 double seconds)
{
    struct kpl_span span = diag != NULL ? diag->span : pv->scheme->span;
    struct kpl_obligation *ob =
        kpl_prover_begin(pv, KPL_OBL_SEGMENT, -1, -1, -1, span);
    if (ob == NULL) {
        return;
    }
    ob->verdict = KPL_VERDICT_VIOLATED;
    ob->seconds = seconds;
    ob->diag = diag;
    if (diag != NULL) {
        ob->rule = diag->rule;
        ob->message = diag->message;
    } else {
        ob->message = "a segment rule fails (diagnostic over the cap)";
    }
}

/*
 * The segment rules involve no iteration index, so the checker's
 * arithmetic decides them (kpl_check_segments).  A scheme that passes
 * adds no obligation; each error adds one violated obligation, which
 * shares the time of the whole check.
 */
static void check_segment_rules(struct kpl_prover *pv)
{
    struct kpl_diag *last = pv->diags->tail;
    double start = kpl_prover_now();
    int errors = kpl_check_segments(pv->scheme, pv->diags);
    double seconds = kpl_prover_now() - start;

    struct kpl_diag *d = last != NULL ? last->next : pv->diags->head;
    for (; d != NULL && errors > 0; d = d->next) {
        if (d->severity == KPL_SEV_ERROR) {
            record_segment_error(pv, d, seconds);
            errors--;
        }
    }
    for (; errors > 0; errors--) {
        record_segment_error(pv, NULL, seconds);
    }
}

/* ---- the scheme ---- */

static void prove_layer(struct kpl_prover *pv, int layer)
{
    struct kpl_enc_layer el;
    size_t mark = kpl_smt_mark(&pv->smt);
    if (!kpl_enc_layer_build(&pv->enc, layer, &el)) {
        pv->failed = true;
        return;
    }
    for (int level = KPL_LEVEL_GBUF; level >= KPL_LEVEL_REGF; level--) {
        prove_extents(pv, &el, level);
        prove_window(pv, &el, level);
        prove_capacity(pv, &el, level);
        prove_fanout(pv, &el, level);
        kpl_prove_coverage(pv, &el, level, KPL_OBL_GAP);
        kpl_prove_coverage(pv, &el, level, KPL_OBL_OVERLAP);
    }
    kpl_smt_release(&pv->smt, mark);
    pv->failed = pv->failed || pv->smt.failed;
}

/*
 * Limitation: the segment-level capacity rule (forwarded data of a
 * pipelined segment against its region's GBUF) has no Z3 obligation;
 * check_segment_rules decides it for the written parameter values only.
 * Regions carry no expressions in the IR, so their obligations hold for
 * the concrete instance only.
 */
static void prove_segments(struct kpl_prover *pv)
{
    for (int s = 0; s < pv->scheme->nsegment && !pv->failed; s++) {
        const struct kpl_segment *seg = &pv->scheme->segments[s];
        for (int i = 0; i < seg->nlayer; i++) {
            if (pv->opts.layer < 0 || pv->opts.layer == seg->layers[i]) {
                prove_mesh(pv, s, i);
            }
        }
        if (pv->opts.layer < 0) {
            prove_disjoint(pv, s);
        }
    }
}

static void fill_proof(struct kpl_prover *pv, struct kpl_proof *out,
                       double start)
{
    memset(out, 0, sizeof *out);
    out->scheme = pv->scheme;
    out->count = pv->nob;
    out->obligations = pv->obs;
    for (int i = 0; i < pv->nob; i++) {
        switch (pv->obs[i].verdict) {
        case KPL_VERDICT_PROVED:
            out->proved++;
            break;
        case KPL_VERDICT_VIOLATED:
            out->violated++;
            break;
        case KPL_VERDICT_UNKNOWN:
            out->unknown++;
            break;
        }
    }
    out->seconds = kpl_prover_now() - start;
}

int kpl_prove_scheme(const struct kpl_scheme *scheme,
                     const struct kpl_prove_opts *opts,
                     struct kpl_arena *arena, struct kpl_diags *diags,
                     struct kpl_proof *out)
{
    struct kpl_prover pv;
    double start = kpl_prover_now();
    memset(&pv, 0, sizeof pv);
    pv.scheme = scheme;
    pv.arena = arena;
    pv.diags = diags;
    if (opts != NULL) {
        pv.opts = *opts;
    } else {
        kpl_prove_opts_init(&pv.opts);
    }
    if (pv.opts.timeout_ms == 0) {
        pv.opts.timeout_ms = 10000;
    }

    bool ok = kpl_smt_open(&pv.smt, pv.opts.timeout_ms) &&
              kpl_enc_init(&pv.enc, &pv.smt, arena, scheme, false);
    if (ok) {
        if (pv.opts.layer < 0) {
            check_segment_rules(&pv);
        }
        prove_segments(&pv);
        for (int i = 0; i < scheme->net->nlayer && !pv.failed; i++) {
            bool wanted = pv.opts.layer < 0 || pv.opts.layer == i;
            if (wanted && scheme->maps[i].present) {
                prove_layer(&pv, i);
            }
        }
    }
    const char *why = pv.enc.error != NULL ? pv.enc.error : pv.smt.error;
    ok = ok && !pv.failed && !pv.smt.failed && pv.enc.error == NULL &&
         !kpl_arena_failed(arena);
    kpl_smt_close(&pv.smt);
    fill_proof(&pv, out, start);

    if (!ok) {
        kpl_error(diags, "internal", scheme->span,
                  "the prover failed: %s",
                  why[0] != '\0' ? why : "out of memory");
        return -1;
    }
    return out->violated + out->unknown;
}
