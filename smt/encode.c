/*
 * Building the Z3 model of a layer's mapping: directive values as terms,
 * trip counts as formulas, and the predicates the obligations are made of
 * (a placement computes a point, index bounds, the parent's box).  See
 * smt/encode.h for the two modes.
 */
#include "smt/encode.h"

#include <string.h>

#include "parser/ast.h"

static bool has_dim(const struct kpl_layer *l, int t, int d)
{
    return (l->tensor_dims[t] & KPL_DIM_BIT(d)) != 0;
}

static void fail(struct kpl_enc *enc, const char *message)
{
    if (enc->error == NULL) {
        enc->error = message;
    }
}

Z3_ast kpl_enc_expr(struct kpl_enc *enc, const struct kpl_expr *e,
                    int64_t value)
{
    struct kpl_smt *smt = enc->smt;
    if (e == NULL) {
        return kpl_smt_int(smt, value);
    }
    switch (e->kind) {
    case KPL_EXPR_NUMBER:
        return kpl_smt_int(smt, e->value);
    case KPL_EXPR_PARAM:
        for (int i = 0; i < enc->scheme->nparam; i++) {
            if (strcmp(enc->scheme->params[i].name, e->name) == 0) {
                return enc->params[i];
            }
        }
        fail(enc, kpl_arena_printf(enc->arena, "unknown parameter '%s'",
                                   e->name));
        return NULL;
    case KPL_EXPR_ADD:
        return kpl_smt_add(smt, kpl_enc_expr(enc, e->lhs, 0),
                           kpl_enc_expr(enc, e->rhs, 0));
    case KPL_EXPR_SUB:
        return kpl_smt_sub(smt, kpl_enc_expr(enc, e->lhs, 0),
                           kpl_enc_expr(enc, e->rhs, 0));
    case KPL_EXPR_MUL:
        return kpl_smt_mul(smt, kpl_enc_expr(enc, e->lhs, 0),
                           kpl_enc_expr(enc, e->rhs, 0));
    case KPL_EXPR_DIV:
        /* Limitation: Z3's div rounds toward minus infinity only for a
         * positive divisor; a negative divisor gives Euclidean division
         * where the language rounds down. */
        return kpl_smt_div(smt, kpl_enc_expr(enc, e->lhs, 0),
                           kpl_enc_expr(enc, e->rhs, 0));
    case KPL_EXPR_NEG:
        return kpl_smt_neg(smt, kpl_enc_expr(enc, e->lhs, 0));
    }
    return NULL;
}

int kpl_enc_group_new(struct kpl_enc *enc, struct kpl_span span,
                      const char *what, int level)
{
    if (!enc->tracked) {
        return -1;
    }
    if (enc->ngroup == enc->capgroup) {
        int cap = enc->capgroup ? enc->capgroup * 2 : 64;
        struct kpl_enc_group *grown =
            kpl_arena_array(enc->arena, (size_t)cap, sizeof *grown);
        if (grown == NULL) {
            return -1;
        }
        if (enc->ngroup > 0) {
            memcpy(grown, enc->groups, (size_t)enc->ngroup * sizeof *grown);
        }
        enc->groups = grown;
        enc->capgroup = cap;
    }
    struct kpl_enc_group *g = &enc->groups[enc->ngroup];
    g->span = span;
    g->what = what;
    g->level = level;
    g->lit = kpl_smt_bool_var(
        enc->smt, kpl_arena_printf(enc->arena, "track!%d", enc->ngroup));
    return enc->ngroup++;
}

static bool push_def(struct kpl_enc *enc, Z3_ast eq, int group)
{
    if (enc->ndef == enc->capdef) {
        int cap = enc->capdef ? enc->capdef * 2 : 256;
        struct kpl_enc_def *grown =
            kpl_arena_array(enc->arena, (size_t)cap, sizeof *grown);
        if (grown == NULL) {
            return false;
        }
        if (enc->ndef > 0) {
            memcpy(grown, enc->defs, (size_t)enc->ndef * sizeof *grown);
        }
        enc->defs = grown;
        enc->capdef = cap;
    }
    enc->defs[enc->ndef].eq = eq;
    enc->defs[enc->ndef].group = group;
    enc->ndef++;
    return true;
}

Z3_ast kpl_enc_bind(struct kpl_enc *enc, const char *name, Z3_ast value,
                    int group, int64_t at_least)
{
    if (!enc->tracked || value == NULL) {
        return value;
    }
    struct kpl_smt *smt = enc->smt;
    Z3_ast var = kpl_smt_int_var(smt, name);
    if (!push_def(enc, kpl_smt_eq(smt, var, value), group)) {
        return NULL;
    }
    Z3_ast floor = kpl_smt_le(smt, kpl_smt_int(smt, at_least), var);
    enc->domain = kpl_smt_and(smt, enc->domain, floor);
    return var;
}

bool kpl_enc_init(struct kpl_enc *enc, struct kpl_smt *smt,
                  struct kpl_arena *arena, const struct kpl_scheme *scheme,
                  bool tracked)
{
    memset(enc, 0, sizeof *enc);
    enc->smt = smt;
    enc->arena = arena;
    enc->scheme = scheme;
    enc->tracked = tracked;
    enc->batch_group = -1;
    enc->domain = kpl_smt_bool(smt, true);
    enc->param_bounds = enc->domain;

    int n = scheme->nparam;
    enc->params = kpl_arena_array(arena, n > 0 ? (size_t)n : 1,
                                  sizeof *enc->params);
    if (enc->params == NULL) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        const struct kpl_param *p = &scheme->params[i];
        Z3_ast v = kpl_smt_int_var(
            smt, kpl_arena_printf(arena, "param!%s", p->name));
        enc->params[i] = v;
        Z3_ast lo = kpl_smt_int(smt, p->lo);
        Z3_ast hi = kpl_smt_int(smt, p->hi);
        Z3_ast in = kpl_smt_and(smt, kpl_smt_le(smt, lo, v),
                                kpl_smt_le(smt, v, hi));
        enc->param_bounds = kpl_smt_and(smt, enc->param_bounds, in);
    }

    Z3_ast batch = kpl_enc_expr(enc, scheme->batch_expr, scheme->batch);
    struct kpl_span span = scheme->batch_expr != NULL
                               ? scheme->batch_expr->span
                               : scheme->span;
    enc->batch_group = kpl_enc_group_new(enc, span, "the scheme's batch",
                                          -1);
    enc->batch = kpl_enc_bind(enc, "batch", batch, enc->batch_group, 1);
    return enc->batch != NULL && enc->error == NULL;
}

Z3_ast kpl_enc_layer_extent(struct kpl_enc *enc, const struct kpl_layer *l,
                            enum kpl_dim d)
{
    if (d == KPL_DIM_N) {
        return enc->batch;
    }
    return kpl_smt_int(enc->smt, kpl_layer_extent(l, 1, d));
}

static const char *var_name(struct kpl_enc *enc, int layer, int level,
                            const char *what, const char *dim)
{
    return kpl_arena_printf(enc->arena, "L%d.%s.%s.%s", layer,
                            kpl_level_names[level], what, dim);
}

/* Tiles and sharing factors of every tensor the layer has. */
static void build_tiles(struct kpl_enc *enc, const struct kpl_enc_layer *el,
                        int level, struct kpl_enc_level *lv)
{
    const struct kpl_level_map *lm = lv->lm;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        lv->tensor_group[t] = -1;
        if (el->l->tensor_dims[t] == 0) {
            continue;
        }
        struct kpl_span span = lm->tile_given[t] ? lm->tile_span[t]
                                                 : lm->span;
        const char *what = kpl_arena_printf(
            enc->arena, "tensor '%s' at %s", kpl_tensor_names[t],
            kpl_level_names[level]);
        int group = kpl_enc_group_new(enc, span, what, level);
        lv->tensor_group[t] = group;
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (!has_dim(el->l, t, d)) {
                continue;
            }
            Z3_ast value = kpl_enc_expr(enc, lm->tile_expr[t][d],
                                        lm->tile[t][d]);
            lv->tile[t][d] = kpl_enc_bind(
                enc, var_name(enc, el->layer, level, kpl_tensor_names[t],
                              kpl_dim_names[d]),
                value, group, 1);
        }
        int64_t share = lm->share[t] > 0 ? lm->share[t] : 1;
        Z3_ast value = kpl_enc_expr(enc, lm->share_expr[t], share);
        lv->share[t] = kpl_enc_bind(
            enc, var_name(enc, el->layer, level, kpl_tensor_names[t],
                          "share"),
            value, group, 1);
    }
}

/* Parent extents (the GBUF tile or the layer) and the level's extents. */
static void build_extents(struct kpl_enc *enc, struct kpl_enc_layer *el,
                          int level, struct kpl_enc_level *lv)
{
    struct kpl_smt *smt = enc->smt;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        Z3_ast whole = kpl_enc_layer_extent(enc, el->l, (enum kpl_dim)d);
        Z3_ast parent = whole;
        Z3_ast extent = NULL;
        const struct kpl_enc_level *gbuf = &el->lv[KPL_LEVEL_GBUF];
        Z3_ast above = NULL;
        for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
            if (!has_dim(el->l, t, d)) {
                continue;
            }
            extent = extent == NULL ? lv->tile[t][d]
                                    : kpl_smt_max(smt, extent,
                                                  lv->tile[t][d]);
            above = above == NULL ? gbuf->tile[t][d]
                                  : kpl_smt_max(smt, above,
                                                gbuf->tile[t][d]);
        }
        if (level == KPL_LEVEL_REGF && above != NULL) {
            parent = above;
        }
        lv->parent[d] = parent;
        lv->extent[d] = extent != NULL ? extent : parent;
    }
}

static void build_loop(struct kpl_enc *enc, const struct kpl_enc_layer *el,
                       int level, struct kpl_enc_loop *loop)
{
    const char *kind = loop->is_stack ? "stack" : "update";
    const char *what = kpl_arena_printf(enc->arena, "%s %d at %s", kind,
                                        loop->index + 1,
                                        kpl_level_names[level]);
    loop->group = kpl_enc_group_new(enc, loop->loop->span, what, level);
    const char *tag = kpl_arena_printf(enc->arena, "%s%d", kind,
                                       loop->index + 1);
    for (int k = 0; k < loop->loop->nshift; k++) {
        const struct kpl_shift *sh = &loop->loop->shifts[k];
        Z3_ast step = kpl_enc_expr(enc, sh->step_expr, sh->step);
        if (loop->shift[sh->dim] != NULL) {
            step = kpl_smt_add(enc->smt, loop->shift[sh->dim], step);
        }
        loop->shift[sh->dim] = kpl_enc_bind(
            enc, var_name(enc, el->layer, level, tag, kpl_dim_names[sh->dim]),
            step, loop->group, 0);
        loop->dims |= KPL_DIM_BIT(sh->dim);
    }
}

/* Trips of an update: the IR header's formula, smallest over its dims. */
static Z3_ast trips_formula(struct kpl_enc *enc, const struct kpl_enc_level *lv,
                            const struct kpl_enc_loop *u)
{
    struct kpl_smt *smt = enc->smt;
    Z3_ast one = kpl_smt_int(smt, 1);
    Z3_ast zero = kpl_smt_int(smt, 0);
    Z3_ast best = NULL;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        Z3_ast step = u->shift[d];
        if (step == NULL) {
            continue;
        }
        Z3_ast covered = lv->extent[d];
        for (int j = 0; j < lv->nloop; j++) {
            const struct kpl_enc_loop *s = &lv->loops[j];
            if (s->is_stack && s->shift[d] != NULL) {
                Z3_ast span = kpl_smt_mul(smt, kpl_smt_sub(smt, s->count, one),
                                          s->shift[d]);
                covered = kpl_smt_add(smt, covered, span);
            }
        }
        Z3_ast parent = lv->parent[d];
        Z3_ast first = kpl_smt_max(smt, covered, step);
        Z3_ast rest = kpl_smt_sub(smt, parent, first);
        Z3_ast more = kpl_smt_add(smt, one, kpl_smt_ceil_div(smt, rest, step));
        Z3_ast trips = kpl_smt_ite(
            smt, kpl_smt_le(smt, parent, covered), one,
            kpl_smt_ite(smt, kpl_smt_le(smt, rest, zero), one, more));
        best = best == NULL ? trips : kpl_smt_min(smt, best, trips);
    }
    return best != NULL ? best : one;
}

static void build_loops(struct kpl_enc *enc, const struct kpl_enc_layer *el,
                        int level, struct kpl_enc_level *lv)
{
    const struct kpl_level_map *lm = lv->lm;
    lv->nloop = 0;
    for (int j = 0; j < lm->nstack; j++) {
        struct kpl_enc_loop *loop = &lv->loops[lv->nloop++];
        memset(loop, 0, sizeof *loop);
        loop->is_stack = true;
        loop->index = j;
        loop->loop = &lm->stacks[j];
        build_loop(enc, el, level, loop);
        Z3_ast count = kpl_enc_expr(enc, loop->loop->count_expr,
                                    loop->loop->count);
        loop->count = kpl_enc_bind(
            enc, var_name(enc, el->layer, level, "stack-count",
                          kpl_arena_printf(enc->arena, "%d", j + 1)),
            count, loop->group, 1);
    }
    for (int j = 0; j < lm->nupdate; j++) {
        struct kpl_enc_loop *loop = &lv->loops[lv->nloop++];
        memset(loop, 0, sizeof *loop);
        loop->index = j;
        loop->loop = &lm->updates[j];
        build_loop(enc, el, level, loop);
    }
    /* Trips need every stack's count and every update's steps. */
    for (int j = lm->nstack; j < lv->nloop; j++) {
        struct kpl_enc_loop *loop = &lv->loops[j];
        loop->count = kpl_enc_bind(
            enc, var_name(enc, el->layer, level, "trips",
                          kpl_arena_printf(enc->arena, "%d", loop->index + 1)),
            trips_formula(enc, lv, loop), loop->group, 1);
    }
}

bool kpl_enc_layer_build(struct kpl_enc *enc, int layer,
                         struct kpl_enc_layer *out)
{
    memset(out, 0, sizeof *out);
    out->layer = layer;
    out->l = &enc->scheme->net->layers[layer];
    const struct kpl_layer_map *map = &enc->scheme->maps[layer];

    /* GBUF first: its tiles are the REGF level's parent extents. */
    for (int level = KPL_LEVEL_GBUF; level >= KPL_LEVEL_REGF; level--) {
        struct kpl_enc_level *lv = &out->lv[level];
        lv->lm = &map->level[level];
        build_tiles(enc, out, level, lv);
        build_extents(enc, out, level, lv);
        build_loops(enc, out, level, lv);
    }
    return !enc->smt->failed && enc->error == NULL &&
           !kpl_arena_failed(enc->arena);
}

Z3_ast kpl_enc_point_index(struct kpl_enc *enc, const struct kpl_layer *l,
                           Z3_ast const *p, enum kpl_dim d)
{
    struct kpl_smt *smt = enc->smt;
    if (d == KPL_DIM_XI) {
        Z3_ast scaled = kpl_smt_mul(smt, p[KPL_DIM_XO],
                                    kpl_smt_int(smt, l->stride_x));
        return kpl_smt_add(smt, scaled, p[KPL_DIM_R]);
    }
    if (d == KPL_DIM_YI) {
        Z3_ast scaled = kpl_smt_mul(smt, p[KPL_DIM_YO],
                                    kpl_smt_int(smt, l->stride_y));
        return kpl_smt_add(smt, scaled, p[KPL_DIM_S]);
    }
    return p[d];
}

void kpl_enc_offsets(struct kpl_enc *enc, const struct kpl_enc_level *lv,
                     Z3_ast const *idx, Z3_ast *off)
{
    struct kpl_smt *smt = enc->smt;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        Z3_ast sum = kpl_smt_int(smt, 0);
        for (int j = 0; j < lv->nloop; j++) {
            if (lv->loops[j].shift[d] == NULL || idx[j] == NULL) {
                continue;
            }
            sum = kpl_smt_add(smt, sum, kpl_smt_mul(smt, idx[j],
                                                    lv->loops[j].shift[d]));
        }
        off[d] = sum;
    }
}

Z3_ast kpl_enc_computes(struct kpl_enc *enc, const struct kpl_layer *l,
                        const struct kpl_enc_level *lv, Z3_ast const *p,
                        Z3_ast const *off, unsigned mask, bool clip)
{
    struct kpl_smt *smt = enc->smt;
    Z3_ast all = kpl_smt_bool(smt, true);
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if ((mask & KPL_DIM_BIT(d)) == 0) {
            continue;
        }
        Z3_ast at = NULL;
        for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
            if (!has_dim(l, t, d)) {
                continue;
            }
            if (at == NULL) {
                at = kpl_enc_point_index(enc, l, p, (enum kpl_dim)d);
            }
            if (clip) {
                /* The range ends at the parent's edge. */
                all = kpl_smt_and(smt, all,
                                  kpl_smt_lt(smt, at, lv->parent[d]));
            }
            Z3_ast end = kpl_smt_add(smt, off[d], lv->tile[t][d]);
            all = kpl_smt_and(smt, all,
                              kpl_smt_in_range(smt, at, off[d], end));
        }
    }
    return all;
}

Z3_ast kpl_enc_bounds(struct kpl_enc *enc, const struct kpl_enc_level *lv,
                      Z3_ast const *idx, uint64_t loop_mask)
{
    struct kpl_smt *smt = enc->smt;
    Z3_ast all = kpl_smt_bool(smt, true);
    Z3_ast zero = kpl_smt_int(smt, 0);
    for (int j = 0; j < lv->nloop; j++) {
        if ((loop_mask & ((uint64_t)1 << j)) == 0) {
            continue;
        }
        all = kpl_smt_and(smt, all, kpl_smt_in_range(smt, idx[j], zero,
                                                     lv->loops[j].count));
    }
    return all;
}

Z3_ast kpl_enc_box(struct kpl_enc *enc, const struct kpl_enc_level *lv,
                   Z3_ast const *p, unsigned mask)
{
    struct kpl_smt *smt = enc->smt;
    Z3_ast all = kpl_smt_bool(smt, true);
    Z3_ast zero = kpl_smt_int(smt, 0);
    for (int d = 0; d < KPL_LOOP_DIMS; d++) {
        if ((mask & KPL_DIM_BIT(d)) == 0) {
            continue;
        }
        all = kpl_smt_and(smt, all,
                          kpl_smt_in_range(smt, p[d], zero, lv->parent[d]));
    }
    return all;
}
