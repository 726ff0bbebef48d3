/*
 * Coverage obligations: every iteration point is computed at least once
 * (gap) and at most once (overlap), per level, following the two-level
 * semantics of checker/coverage.h: at GBUF a placement g computes a layer
 * point x; at REGF the pair (g, p) computes x when g does and p's tiles,
 * offset by g's unclipped offset, hold x.
 *
 * The query is split by dimension component (the groups {N} {C} {K}
 * {Xo R Xi} {Yo S Yi}, merged by loops of either level that shift several
 * of them): the number of placements computing a point is the product of
 * per-component counts, so exactly-once holds iff it holds per component.
 *
 * Overlap is one quantifier-free query: a point, placements, two distinct
 * index vectors, all free.  Gap needs "no placement computes x", a
 * universal; it is decided without quantifiers first by a witness: the
 * placement a mixed-radix reading of x picks (loops by descending step,
 * index = residual div step, clamped to its range).  If Z3 finds a point
 * the witness misses, a second query asks for any placement computing it;
 * none means a real gap, one is added to a list of extra witnesses and
 * the search repeats.  After a few rounds a quantified query decides.
 */
#include <stdio.h>
#include <string.h>

#include "smt/prover.h"

enum { G_N, G_C, G_K, G_X, G_Y, G_COUNT };

static const int dim_group[KPL_DIM_COUNT] = {
    G_N, G_C, G_K, G_X, G_Y, G_X, G_Y, G_X, G_Y,
};

#define MAX_ROUNDS 24

struct comp {
    unsigned dims;                    /* KPL_DIM_BIT mask */
    uint64_t loops[KPL_LEVEL_COUNT];  /* bit j: loop j of the level */
};

static unsigned loop_groups(const struct kpl_enc_loop *loop)
{
    unsigned g = 0;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (loop->dims & KPL_DIM_BIT(d)) {
            g |= 1u << dim_group[d];
        }
    }
    return g;
}

/* Components over the loops of both levels; the last one may hold the
 * loops that shift nothing (dims 0). */
static int components(const struct kpl_enc_layer *el, struct comp *out)
{
    int label[G_COUNT];
    for (int g = 0; g < G_COUNT; g++) {
        label[g] = g;
    }
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        for (int j = 0; j < el->lv[lv].nloop; j++) {
            unsigned gs = loop_groups(&el->lv[lv].loops[j]);
            int least = G_COUNT;
            for (int g = 0; g < G_COUNT; g++) {
                if ((gs >> g & 1u) && label[g] < least) {
                    least = label[g];
                }
            }
            for (int g = 0; g < G_COUNT; g++) {
                int old = label[g];
                if (!(gs >> g & 1u)) {
                    continue;
                }
                for (int h = 0; h < G_COUNT; h++) {
                    label[h] = label[h] == old ? least : label[h];
                }
            }
        }
    }

    int n = 0;
    for (int g = 0; g < G_COUNT; g++) {
        if (label[g] != g) {
            continue;
        }
        struct comp *c = &out[n++];
        memset(c, 0, sizeof *c);
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (label[dim_group[d]] == g) {
                c->dims |= KPL_DIM_BIT(d);
            }
        }
    }
    struct comp *none = &out[n];
    memset(none, 0, sizeof *none);
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        for (int j = 0; j < el->lv[lv].nloop; j++) {
            const struct kpl_enc_loop *loop = &el->lv[lv].loops[j];
            struct comp *c = none;
            for (int k = 0; k < n && loop->dims != 0; k++) {
                if (out[k].dims & loop->dims) {
                    c = &out[k];
                }
            }
            c->loops[lv] |= (uint64_t)1 << j;
        }
    }
    return none->loops[0] | none->loops[1] ? n + 1 : n;
}

/* ---- terms ---- */

struct ctx {
    struct kpl_prover *pv;
    struct kpl_enc *enc;
    const struct kpl_enc_layer *el;
    int level;
    const struct comp *c;
};

static struct kpl_smt *smt_of(const struct ctx *cx)
{
    return cx->enc->smt;
}

static void make_point(const struct ctx *cx, const char *tag, Z3_ast *x)
{
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        x[d] = NULL;
        if (d < KPL_LOOP_DIMS && (cx->c->dims & KPL_DIM_BIT(d))) {
            x[d] = kpl_smt_int_var(
                smt_of(cx), kpl_arena_printf(cx->pv->arena, "%s.%s", tag,
                                             kpl_dim_names[d]));
        }
    }
}

static void make_indices(const struct ctx *cx, int level, const char *tag,
                         Z3_ast *idx)
{
    const struct kpl_enc_level *lv = &cx->el->lv[level];
    for (int j = 0; j < KPL_ENC_MAX_LOOPS; j++) {
        idx[j] = NULL;
        if (j < lv->nloop && (cx->c->loops[level] >> j & 1u)) {
            idx[j] = kpl_smt_int_var(
                smt_of(cx), kpl_arena_printf(cx->pv->arena, "%s.%s%d.%s", tag,
                                             lv->loops[j].is_stack ? "stack"
                                                                   : "update",
                                             lv->loops[j].index + 1,
                                             kpl_level_names[level]));
        }
    }
}

static void numeral_indices(const struct ctx *cx, int level,
                            const int64_t *values, Z3_ast *idx)
{
    const struct kpl_enc_level *lv = &cx->el->lv[level];
    for (int j = 0; j < KPL_ENC_MAX_LOOPS; j++) {
        idx[j] = NULL;
        if (j < lv->nloop && (cx->c->loops[level] >> j & 1u)) {
            idx[j] = kpl_smt_int(smt_of(cx), values[j]);
        }
    }
}

static Z3_ast bounds(const struct ctx *cx, int level, Z3_ast const *idx)
{
    return kpl_enc_bounds(cx->enc, &cx->el->lv[level], idx,
                          cx->c->loops[level]);
}

static Z3_ast gcomp(const struct ctx *cx, Z3_ast const *x, Z3_ast const *g)
{
    Z3_ast off[KPL_DIM_COUNT];
    const struct kpl_enc_level *gbuf = &cx->el->lv[KPL_LEVEL_GBUF];
    kpl_enc_offsets(cx->enc, gbuf, g, off);
    return kpl_enc_computes(cx->enc, cx->el->l, gbuf, x, off, cx->c->dims,
                            true);
}

static Z3_ast rcomp(const struct ctx *cx, Z3_ast const *x, Z3_ast const *g,
                    Z3_ast const *p)
{
    Z3_ast goff[KPL_DIM_COUNT];
    Z3_ast poff[KPL_DIM_COUNT];
    const struct kpl_enc_level *regf = &cx->el->lv[KPL_LEVEL_REGF];
    kpl_enc_offsets(cx->enc, &cx->el->lv[KPL_LEVEL_GBUF], g, goff);
    kpl_enc_offsets(cx->enc, regf, p, poff);
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        poff[d] = kpl_smt_add(smt_of(cx), goff[d], poff[d]);
    }
    return kpl_enc_computes(cx->enc, cx->el->l, regf, x, poff, cx->c->dims,
                            false);
}

/* The level's placement idx computes x (g: the GBUF placement at REGF). */
static Z3_ast comp_at(const struct ctx *cx, Z3_ast const *x, Z3_ast const *g,
                      Z3_ast const *idx)
{
    if (cx->level == KPL_LEVEL_GBUF) {
        return gcomp(cx, x, idx);
    }
    return rcomp(cx, x, g, idx);
}

/* At REGF, the parent: g is in range and computes x.  True at GBUF. */
static Z3_ast parent_holds(const struct ctx *cx, Z3_ast const *x,
                           Z3_ast const *g)
{
    if (cx->level == KPL_LEVEL_GBUF) {
        return kpl_smt_bool(smt_of(cx), true);
    }
    return kpl_smt_and(smt_of(cx), bounds(cx, KPL_LEVEL_GBUF, g),
                       gcomp(cx, x, g));
}

static Z3_ast distinct(const struct ctx *cx, Z3_ast const *a, Z3_ast const *b)
{
    Z3_ast any = kpl_smt_bool(smt_of(cx), false);
    for (int j = 0; j < KPL_ENC_MAX_LOOPS; j++) {
        if (a[j] != NULL) {
            any = kpl_smt_or(smt_of(cx), any,
                             kpl_smt_not(smt_of(cx),
                                         kpl_smt_eq(smt_of(cx), a[j], b[j])));
        }
    }
    return any;
}

/* The concrete step of a loop along its first dim in the component. */
static int64_t pivot_step(const struct kpl_enc_loop *loop, unsigned dims,
                          int *pivot)
{
    *pivot = -1;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (loop->dims & dims & KPL_DIM_BIT(d)) {
            *pivot = d;
            break;
        }
    }
    int64_t step = 0;
    for (int k = 0; k < loop->loop->nshift; k++) {
        if ((int)loop->loop->shifts[k].dim == *pivot) {
            step += loop->loop->shifts[k].step;
        }
    }
    return step;
}

/* The mixed-radix witness placement of the level for point x. */
static void witness(const struct ctx *cx, Z3_ast const *x, Z3_ast const *g,
                    Z3_ast *w)
{
    struct kpl_smt *smt = smt_of(cx);
    const struct kpl_enc_level *lv = &cx->el->lv[cx->level];
    Z3_ast res[KPL_DIM_COUNT];
    Z3_ast goff[KPL_DIM_COUNT];
    if (cx->level == KPL_LEVEL_REGF) {
        kpl_enc_offsets(cx->enc, &cx->el->lv[KPL_LEVEL_GBUF], g, goff);
    }
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        res[d] = NULL;
        if (cx->c->dims & KPL_DIM_BIT(d)) {
            res[d] = kpl_enc_point_index(cx->enc, cx->el->l, x,
                                         (enum kpl_dim)d);
            if (cx->level == KPL_LEVEL_REGF) {
                res[d] = kpl_smt_sub(smt, res[d], goff[d]);
            }
        }
    }

    int order[KPL_ENC_MAX_LOOPS];
    int64_t steps[KPL_ENC_MAX_LOOPS];
    int n = 0;
    for (int j = 0; j < lv->nloop; j++) {
        w[j] = NULL;
        if (!(cx->c->loops[cx->level] >> j & 1u)) {
            continue;
        }
        int pivot = 0;
        int64_t step = pivot_step(&lv->loops[j], cx->c->dims, &pivot);
        int at = n++;
        while (at > 0 && steps[at - 1] < step) {
            order[at] = order[at - 1];
            steps[at] = steps[at - 1];
            at--;
        }
        order[at] = j;
        steps[at] = step;
    }

    Z3_ast zero = kpl_smt_int(smt, 0);
    Z3_ast one = kpl_smt_int(smt, 1);
    for (int k = 0; k < n; k++) {
        const struct kpl_enc_loop *loop = &lv->loops[order[k]];
        int pivot = 0;
        pivot_step(loop, cx->c->dims, &pivot);
        if (pivot < 0) {
            w[order[k]] = zero;
            continue;
        }
        Z3_ast q = kpl_smt_div(smt, res[pivot], loop->shift[pivot]);
        Z3_ast top = kpl_smt_sub(smt, loop->count, one);
        Z3_ast i = kpl_smt_max(smt, zero, kpl_smt_min(smt, q, top));
        w[order[k]] = i;
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (res[d] != NULL && loop->shift[d] != NULL) {
                res[d] = kpl_smt_sub(smt, res[d],
                                     kpl_smt_mul(smt, i, loop->shift[d]));
            }
        }
    }
}

/* ---- counterexamples ---- */

static void read_values(const struct ctx *cx, Z3_model model,
                        Z3_ast const *idx, int64_t *values)
{
    for (int j = 0; j < KPL_ENC_MAX_LOOPS; j++) {
        values[j] = 0;
        if (idx[j] != NULL) {
            kpl_smt_eval_int(smt_of(cx), model, idx[j], &values[j]);
        }
    }
}

static int read_placement(const struct ctx *cx, Z3_model model, int level,
                          Z3_ast const *idx, struct kpl_cex_index **out)
{
    const struct kpl_enc_level *lv = &cx->el->lv[level];
    int n = 0;
    *out = kpl_arena_array(cx->pv->arena, KPL_ENC_MAX_LOOPS, sizeof **out);
    if (*out == NULL) {
        return 0;
    }
    for (int j = 0; j < lv->nloop; j++) {
        if (idx[j] == NULL) {
            continue;
        }
        struct kpl_cex_index *ci = &(*out)[n++];
        ci->level = level;
        ci->is_stack = lv->loops[j].is_stack;
        ci->loop = lv->loops[j].index;
        ci->span = lv->loops[j].loop->span;
        kpl_smt_eval_int(smt_of(cx), model, idx[j], &ci->index);
        kpl_smt_eval_int(smt_of(cx), model, lv->loops[j].count, &ci->count);
    }
    return n;
}

static const char *placement_text(struct kpl_arena *arena,
                                  const struct kpl_cex_index *ix, int n)
{
    const char *text = "";
    for (int k = 0; k < n; k++) {
        text = kpl_arena_printf(arena, "%s%s%s %d = %lld of %lld", text,
                                k > 0 ? ", " : "",
                                ix[k].is_stack ? "stack" : "update",
                                ix[k].loop + 1, (long long)ix[k].index,
                                (long long)ix[k].count);
    }
    return n > 0 ? text : "the only placement";
}

static const char *point_text(struct kpl_arena *arena,
                              const struct kpl_counterexample *cex)
{
    const char *text = "";
    int k = 0;
    for (int d = 0; d < KPL_LOOP_DIMS; d++) {
        if (cex->point_dims & KPL_DIM_BIT(d)) {
            text = kpl_arena_printf(arena, "%s%s%s=%lld", text,
                                    k++ > 0 ? ", " : "", kpl_dim_names[d],
                                    (long long)cex->point[d]);
        }
    }
    return text;
}

static void read_point(const struct ctx *cx, Z3_model model, Z3_ast const *x,
                       struct kpl_counterexample *cex)
{
    cex->point_dims = 0;
    for (int d = 0; d < KPL_LOOP_DIMS; d++) {
        if (x[d] != NULL) {
            kpl_smt_eval_int(smt_of(cx), model, x[d], &cex->point[d]);
            cex->point_dims |= KPL_DIM_BIT(d);
        }
    }
}

static void describe(const struct ctx *cx, struct kpl_obligation *ob)
{
    struct kpl_arena *arena = cx->pv->arena;
    struct kpl_counterexample *cex = &ob->cex;
    const char *where = "";
    if (cx->level == KPL_LEVEL_REGF) {
        where = cex->nouter == 0
                    ? " inside the only gbuf tile"
                    : kpl_arena_printf(arena, " inside the gbuf tile at (%s)",
                                       placement_text(arena, cex->outer,
                                                      cex->nouter));
    }
    const char *lvname = kpl_level_names[cx->level];
    if (ob->kind == KPL_OBL_GAP) {
        ob->message = kpl_arena_printf(
            arena, "iteration point (%s) of '%s' is never computed at %s%s",
            point_text(arena, cex), ob->layer_name, lvname, where);
        return;
    }
    const char *point = cex->point_dims != 0
                            ? kpl_arena_printf(arena, "iteration point (%s)",
                                               point_text(arena, cex))
                            : "every iteration point";
    ob->message = kpl_arena_printf(
        arena, "%s of '%s' is computed twice at %s%s: by (%s) and by (%s)",
        point, ob->layer_name, lvname, where,
        placement_text(arena, cex->index[0], cex->nindex[0]),
        placement_text(arena, cex->index[1], cex->nindex[1]));
}

/* ---- cores ---- */

static void point_numerals(const struct ctx *cx, const int64_t *values,
                           Z3_ast *x)
{
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        x[d] = NULL;
        if (d < KPL_LOOP_DIMS && (cx->c->dims & KPL_DIM_BIT(d))) {
            x[d] = kpl_smt_int(smt_of(cx), values[d]);
        }
    }
}

/* What a fix would make true at the counterexample, over the tracked
 * model: the point gets a placement, or the two placements part. */
static Z3_ast fix_property(const struct ctx *tc, struct kpl_obligation *ob,
                           const int64_t *gv, const int64_t *av,
                           const int64_t *bv)
{
    struct kpl_smt *smt = smt_of(tc);
    Z3_ast x[KPL_DIM_COUNT];
    Z3_ast g[KPL_ENC_MAX_LOOPS];
    Z3_ast a[KPL_ENC_MAX_LOOPS];
    Z3_ast b[KPL_ENC_MAX_LOOPS];
    point_numerals(tc, ob->cex.point, x);
    numeral_indices(tc, KPL_LEVEL_GBUF, gv, g);
    Z3_ast parent = parent_holds(tc, x, g);

    if (ob->kind == KPL_OBL_GAP) {
        make_indices(tc, tc->level, "fix", a);
        Z3_ast some = kpl_smt_and(smt, bounds(tc, tc->level, a),
                                  comp_at(tc, x, g, a));
        return kpl_smt_implies(smt, parent, some);
    }
    numeral_indices(tc, tc->level, av, a);
    numeral_indices(tc, tc->level, bv, b);
    Z3_ast both = kpl_smt_and(
        smt, kpl_smt_and(smt, bounds(tc, tc->level, a), comp_at(tc, x, g, a)),
        kpl_smt_and(smt, bounds(tc, tc->level, b), comp_at(tc, x, g, b)));
    return kpl_smt_not(smt, kpl_smt_and(smt, parent, both));
}

static void add_core(const struct ctx *cx, struct kpl_obligation *ob,
                     const int64_t *gv, const int64_t *av, const int64_t *bv)
{
    struct kpl_enc tenc;
    struct kpl_enc_layer tl;
    if (!kpl_prover_tracked(cx->pv, cx->el->layer, &tenc, &tl)) {
        return;
    }
    struct ctx tc = *cx;
    tc.enc = &tenc;
    tc.el = &tl;
    kpl_prover_core(cx->pv, ob, &tenc, fix_property(&tc, ob, gv, av, bv));
}

/* ---- overlap ---- */

/* Two distinct placements of the level computing one point (and, at
 * REGF, a GBUF placement computing it too). */
static Z3_ast overlap_formula(const struct ctx *cx, Z3_ast *x, Z3_ast *g,
                              Z3_ast *a, Z3_ast *b)
{
    struct kpl_smt *smt = smt_of(cx);
    make_point(cx, "x", x);
    make_indices(cx, KPL_LEVEL_GBUF, "g", g);
    make_indices(cx, cx->level, "a", a);
    make_indices(cx, cx->level, "b", b);

    Z3_ast f = kpl_enc_box(cx->enc, &cx->el->lv[KPL_LEVEL_GBUF], x,
                           cx->c->dims);
    f = kpl_smt_and(smt, f, parent_holds(cx, x, g));
    f = kpl_smt_and(smt, f, distinct(cx, a, b));
    f = kpl_smt_and(smt, f, kpl_smt_and(smt, bounds(cx, cx->level, a),
                                        comp_at(cx, x, g, a)));
    return kpl_smt_and(smt, f, kpl_smt_and(smt, bounds(cx, cx->level, b),
                                           comp_at(cx, x, g, b)));
}

static Z3_lbool overlap(const struct ctx *cx, struct kpl_obligation *ob)
{
    struct kpl_smt *smt = smt_of(cx);
    if (cx->c->loops[cx->level] == 0) {
        /* No index of the level varies: one placement, nothing to ask. */
        return Z3_L_FALSE;
    }
    Z3_ast x[KPL_DIM_COUNT];
    Z3_ast g[KPL_ENC_MAX_LOOPS];
    Z3_ast a[KPL_ENC_MAX_LOOPS];
    Z3_ast b[KPL_ENC_MAX_LOOPS];
    Z3_ast f = overlap_formula(cx, x, g, a, b);
    Z3_model model = NULL;
    Z3_lbool r = kpl_prover_decide(cx->pv, f, &model);
    if (r != Z3_L_TRUE) {
        return r;
    }

    int64_t gv[KPL_ENC_MAX_LOOPS];
    int64_t av[KPL_ENC_MAX_LOOPS];
    int64_t bv[KPL_ENC_MAX_LOOPS];
    struct kpl_counterexample *cex = &ob->cex;
    ob->has_cex = true;
    read_point(cx, model, x, cex);
    read_values(cx, model, g, gv);
    read_values(cx, model, a, av);
    read_values(cx, model, b, bv);
    if (cx->level == KPL_LEVEL_REGF) {
        cex->nouter = read_placement(cx, model, KPL_LEVEL_GBUF, g,
                                     &cex->outer);
    }
    cex->nplacement = 2;
    cex->nindex[0] = read_placement(cx, model, cx->level, a, &cex->index[0]);
    cex->nindex[1] = read_placement(cx, model, cx->level, b, &cex->index[1]);
    kpl_prover_read_params(cx->pv, model, cex);
    kpl_smt_model_free(smt, model);
    describe(cx, ob);
    kpl_prover_end(cx->pv, ob, KPL_VERDICT_VIOLATED);
    add_core(cx, ob, gv, av, bv);
    return Z3_L_TRUE;
}

/* ---- gap ---- */

struct extra {
    int n;
    int64_t values[MAX_ROUNDS][KPL_ENC_MAX_LOOPS];
};

/* Is there a placement computing x* under g* and the parameters of the
 * model?  Z3_L_TRUE fills found. */
static Z3_lbool any_placement(const struct ctx *cx, Z3_model model,
                              Z3_ast const *x, Z3_ast const *g,
                              int64_t *found)
{
    struct kpl_smt *smt = smt_of(cx);
    Z3_ast xs[KPL_DIM_COUNT];
    Z3_ast gs[KPL_ENC_MAX_LOOPS];
    Z3_ast p[KPL_ENC_MAX_LOOPS];
    int64_t values[KPL_DIM_COUNT] = {0};
    int64_t gv[KPL_ENC_MAX_LOOPS];
    for (int d = 0; d < KPL_LOOP_DIMS; d++) {
        if (x[d] != NULL) {
            kpl_smt_eval_int(smt, model, x[d], &values[d]);
        }
    }
    point_numerals(cx, values, xs);
    read_values(cx, model, g, gv);
    numeral_indices(cx, KPL_LEVEL_GBUF, gv, gs);
    make_indices(cx, cx->level, "y", p);

    Z3_ast f = kpl_smt_and(smt, bounds(cx, cx->level, p),
                           comp_at(cx, xs, gs, p));
    for (int i = 0; i < cx->pv->scheme->nparam; i++) {
        int64_t v = 0;
        kpl_smt_eval_int(smt, model, cx->enc->params[i], &v);
        f = kpl_smt_and(smt, f, kpl_smt_eq(smt, cx->enc->params[i],
                                           kpl_smt_int(smt, v)));
    }
    Z3_model found_model = NULL;
    Z3_lbool r = kpl_prover_decide(cx->pv, f, &found_model);
    if (r == Z3_L_TRUE) {
        read_values(cx, found_model, p, found);
        kpl_smt_model_free(smt, found_model);
    }
    return r;
}

/* The search formula: a parent point that the witness and every extra
 * placement miss. */
static Z3_ast missed(const struct ctx *cx, Z3_ast const *x, Z3_ast const *g,
                     const struct extra *ex)
{
    struct kpl_smt *smt = smt_of(cx);
    Z3_ast w[KPL_ENC_MAX_LOOPS];
    witness(cx, x, g, w);
    Z3_ast f = kpl_enc_box(cx->enc, &cx->el->lv[KPL_LEVEL_GBUF], x,
                           cx->c->dims);
    f = kpl_smt_and(smt, f, parent_holds(cx, x, g));
    f = kpl_smt_and(smt, f, kpl_smt_not(smt, comp_at(cx, x, g, w)));
    for (int k = 0; k < ex->n; k++) {
        Z3_ast e[KPL_ENC_MAX_LOOPS];
        numeral_indices(cx, cx->level, ex->values[k], e);
        Z3_ast hit = kpl_smt_and(smt, bounds(cx, cx->level, e),
                                 comp_at(cx, x, g, e));
        f = kpl_smt_and(smt, f, kpl_smt_not(smt, hit));
    }
    return f;
}

/* The same question with a universal over the level's indices. */
static Z3_ast missed_by_all(const struct ctx *cx, Z3_ast const *x,
                            Z3_ast const *g)
{
    struct kpl_smt *smt = smt_of(cx);
    Z3_ast q[KPL_ENC_MAX_LOOPS];
    Z3_ast bound[KPL_ENC_MAX_LOOPS];
    unsigned nbound = 0;
    make_indices(cx, cx->level, "all", q);
    for (int j = 0; j < KPL_ENC_MAX_LOOPS; j++) {
        if (q[j] != NULL) {
            bound[nbound++] = q[j];
        }
    }
    Z3_ast hit = kpl_smt_and(smt, bounds(cx, cx->level, q),
                             comp_at(cx, x, g, q));
    Z3_ast none = kpl_smt_forall(smt, nbound, bound, kpl_smt_not(smt, hit));
    Z3_ast f = kpl_enc_box(cx->enc, &cx->el->lv[KPL_LEVEL_GBUF], x,
                           cx->c->dims);
    f = kpl_smt_and(smt, f, parent_holds(cx, x, g));
    return kpl_smt_and(smt, f, none);
}

static void report_gap(const struct ctx *cx, struct kpl_obligation *ob,
                       Z3_model model, Z3_ast const *x, Z3_ast const *g)
{
    int64_t gv[KPL_ENC_MAX_LOOPS];
    struct kpl_counterexample *cex = &ob->cex;
    ob->has_cex = true;
    read_point(cx, model, x, cex);
    read_values(cx, model, g, gv);
    if (cx->level == KPL_LEVEL_REGF) {
        cex->nouter = read_placement(cx, model, KPL_LEVEL_GBUF, g,
                                     &cex->outer);
    }
    kpl_prover_read_params(cx->pv, model, cex);
    describe(cx, ob);
    kpl_prover_end(cx->pv, ob, KPL_VERDICT_VIOLATED);
    add_core(cx, ob, gv, NULL, NULL);
}

static Z3_lbool gap(const struct ctx *cx, struct kpl_obligation *ob)
{
    struct kpl_smt *smt = smt_of(cx);
    Z3_ast x[KPL_DIM_COUNT];
    Z3_ast g[KPL_ENC_MAX_LOOPS];
    struct extra ex;
    ex.n = 0;
    make_point(cx, "x", x);
    make_indices(cx, KPL_LEVEL_GBUF, "g", g);

    for (int round = 0; round <= MAX_ROUNDS; round++) {
        bool last = round == MAX_ROUNDS;
        Z3_ast f = last ? missed_by_all(cx, x, g) : missed(cx, x, g, &ex);
        Z3_model model = NULL;
        Z3_lbool r = kpl_prover_decide(cx->pv, f, &model);
        if (r != Z3_L_TRUE) {
            return r;
        }
        int64_t found[KPL_ENC_MAX_LOOPS];
        Z3_lbool again = any_placement(cx, model, x, g, found);
        if (again == Z3_L_FALSE) {
            report_gap(cx, ob, model, x, g);
            kpl_smt_model_free(smt, model);
            return Z3_L_TRUE;
        }
        kpl_smt_model_free(smt, model);
        if (again == Z3_L_UNDEF || last) {
            return Z3_L_UNDEF;
        }
        memcpy(ex.values[ex.n++], found, sizeof found);
    }
    return Z3_L_UNDEF;
}

/*
 * The first question of every component at once (their variables are
 * disjoint): when no component has a missed or doubly computed point,
 * one query proves the obligation.
 */
static Z3_lbool screen(struct kpl_prover *pv, const struct kpl_enc_layer *el,
                       int level, enum kpl_obligation_kind kind,
                       const struct comp *comps, int ncomp)
{
    struct kpl_smt *smt = &pv->smt;
    Z3_ast any = kpl_smt_bool(smt, false);
    for (int i = 0; i < ncomp; i++) {
        struct ctx cx = {pv, &pv->enc, el, level, &comps[i]};
        Z3_ast x[KPL_DIM_COUNT];
        Z3_ast g[KPL_ENC_MAX_LOOPS];
        Z3_ast a[KPL_ENC_MAX_LOOPS];
        Z3_ast b[KPL_ENC_MAX_LOOPS];
        Z3_ast f = NULL;
        if (kind == KPL_OBL_GAP) {
            struct extra none;
            none.n = 0;
            make_point(&cx, "x", x);
            make_indices(&cx, KPL_LEVEL_GBUF, "g", g);
            f = missed(&cx, x, g, &none);
        } else if (comps[i].loops[level] != 0) {
            f = overlap_formula(&cx, x, g, a, b);
        } else {
            continue;
        }
        any = kpl_smt_or(smt, any, f);
    }
    Z3_model model = NULL;
    Z3_lbool r = kpl_prover_decide(pv, any, &model);
    kpl_smt_model_free(smt, model);
    return r;
}

void kpl_prove_coverage(struct kpl_prover *pv, const struct kpl_enc_layer *el,
                        int level, enum kpl_obligation_kind kind)
{
    struct comp comps[G_COUNT + 1];
    int ncomp = components(el, comps);
    const struct kpl_level_map *lm = el->lv[level].lm;
    struct kpl_obligation *ob = kpl_prover_begin(pv, kind, el->layer, level,
                                                 -1, lm->span);
    if (ob == NULL) {
        return;
    }
    size_t mark = kpl_smt_mark(&pv->smt);
    Z3_lbool screened = screen(pv, el, level, kind, comps, ncomp);
    kpl_smt_release(&pv->smt, mark);
    if (screened == Z3_L_FALSE) {
        kpl_prover_end(pv, ob, KPL_VERDICT_PROVED);
        return;
    }
    bool undecided = false;
    char reason[sizeof pv->reason] = "";
    for (int i = 0; i < ncomp; i++) {
        struct ctx cx = {pv, &pv->enc, el, level, &comps[i]};
        mark = kpl_smt_mark(&pv->smt);
        Z3_lbool r = kind == KPL_OBL_GAP ? gap(&cx, ob) : overlap(&cx, ob);
        kpl_smt_release(&pv->smt, mark);
        if (r == Z3_L_TRUE) {
            return; /* ended as violated */
        }
        if (r == Z3_L_UNDEF && !undecided) {
            undecided = true;
            memcpy(reason, pv->reason, sizeof reason);
        }
    }
    if (undecided) {
        memcpy(pv->reason, reason, sizeof reason);
    }
    kpl_prover_end(pv, ob, undecided ? KPL_VERDICT_UNKNOWN
                                     : KPL_VERDICT_PROVED);
}
