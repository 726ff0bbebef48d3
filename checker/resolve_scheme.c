/*
 * Resolution of `scheme` blocks: parameters, segments and layer maps.
 *
 * Every number is evaluated with the parameters' instance values and
 * checked for range here; whether the mapping is valid is the checker's
 * business (checker/check.c), which runs on the IR built here.
 */
#include "checker/resolve_internal.h"

#include "base/names.h"

#include <string.h>

struct schemectx {
    struct resolver *rs;
    const struct kpl_ast_scheme *ast;
    struct kpl_scheme *scheme;
    struct kpl_names layer_names; /* layer name -> index */
    bool failed;
};

static const char *const tensor_dim_list[] = {
    "C, K, R, S", "N, C, Xi, Yi", "N, K, Xo, Yo",
};

/* Evaluates with the scheme's parameters; min <= value <= max. */
static bool eval_int(struct schemectx *sc, const struct kpl_expr *e,
                     int64_t min, int64_t max, int64_t *out)
{
    const struct kpl_scheme *s = sc->scheme;
    int64_t v = 0;
    const struct kpl_expr *culprit = NULL;
    enum kpl_eval_error err = kpl_expr_eval_why(e, s->params, s->nparam, &v,
                                                &culprit);
    if (err != KPL_EVAL_OK) {
        kpl_resolve_eval_error(sc->rs->diags, err, culprit, "");
        sc->failed = true;
        return false;
    }
    if (v < min || v > max) {
        kpl_error(sc->rs->diags, "value", e->span,
                  "%lld is out of range: expected %lld to %lld",
                  (long long)v, (long long)min, (long long)max);
        sc->failed = true;
        return false;
    }
    *out = v;
    return true;
}

static void resolve_params(struct schemectx *sc)
{
    int count = 0;
    for (const struct kpl_ast_param *p = sc->ast->params; p; p = p->next) {
        count++;
    }
    struct kpl_scheme *s = sc->scheme;
    s->params = kpl_arena_array(sc->rs->arena, (size_t)count + 1,
                                sizeof *s->params);
    if (s->params == NULL) {
        sc->failed = true;
        return;
    }
    for (const struct kpl_ast_param *p = sc->ast->params; p; p = p->next) {
        bool twice = false;
        for (int i = 0; i < s->nparam; i++) {
            twice = twice || strcmp(s->params[i].name, p->name) == 0;
        }
        if (twice) {
            kpl_error(sc->rs->diags, "duplicate", p->span,
                      "parameter '%s' declared twice", p->name);
            sc->failed = true;
            continue;
        }
        struct kpl_param *ir = &s->params[s->nparam];
        ir->name = p->name;
        ir->span = p->span;
        bool ok = eval_int(sc, p->lo, 0, KPL_MAX_EXTENT, &ir->lo) &&
                  eval_int(sc, p->hi, ir->lo, KPL_MAX_EXTENT, &ir->hi) &&
                  eval_int(sc, p->value, ir->lo, ir->hi, &ir->value);
        if (ok) {
            s->nparam++;
        }
    }
}

static int find_layer(const struct schemectx *sc, const char *name)
{
    return kpl_names_get(&sc->layer_names, name);
}

static void unknown_layer(struct schemectx *sc, const char *name,
                          struct kpl_span span)
{
    kpl_error(sc->rs->diags, "unknown-name", span,
              "network '%s' has no layer '%s'", sc->scheme->net->name, name);
    sc->failed = true;
}

static bool eval_region(struct schemectx *sc, const struct kpl_ast_region *r,
                        struct kpl_region *out)
{
    return eval_int(sc, r->row0, 0, KPL_MAX_EXTENT, &out->row0) &&
           eval_int(sc, r->row1, 0, KPL_MAX_EXTENT, &out->row1) &&
           eval_int(sc, r->col0, 0, KPL_MAX_EXTENT, &out->col0) &&
           eval_int(sc, r->col1, 0, KPL_MAX_EXTENT, &out->col1);
}

static void resolve_segment(struct schemectx *sc,
                            const struct kpl_ast_segment *ast,
                            struct kpl_segment *seg)
{
    int count = 0;
    for (const struct kpl_seg_item *it = ast->items; it; it = it->next) {
        count++;
    }
    struct kpl_arena *arena = sc->rs->arena;
    seg->span = ast->span;
    seg->layers = kpl_arena_array(arena, (size_t)count + 1, sizeof(int));
    seg->regions = kpl_arena_array(arena, (size_t)count + 1,
                                   sizeof *seg->regions);
    seg->layer_spans = kpl_arena_array(arena, (size_t)count + 1,
                                       sizeof *seg->layer_spans);
    if (!seg->layers || !seg->regions || !seg->layer_spans) {
        sc->failed = true;
        return;
    }

    const struct kpl_arch *arch = sc->scheme->arch;
    struct kpl_region whole = {0, arch->node_rows, 0, arch->node_cols};
    for (const struct kpl_seg_item *it = ast->items; it; it = it->next) {
        if (ast->region != NULL && it->region != NULL) {
            kpl_error(sc->rs->diags, "segment", it->region->span,
                      "a segment takes one region for all its layers "
                      "(`nodes [..]`) or one region per layer, not both");
            sc->failed = true;
            return;
        }
    }
    struct kpl_region shared = whole;
    if (ast->region != NULL && !eval_region(sc, ast->region, &shared)) {
        return;
    }
    for (const struct kpl_seg_item *it = ast->items; it; it = it->next) {
        int layer = find_layer(sc, it->layer);
        if (layer < 0) {
            unknown_layer(sc, it->layer, it->span);
            continue;
        }
        struct kpl_region region = shared;
        if (it->region != NULL) {
            seg->spatial = true;
            if (!eval_region(sc, it->region, &region)) {
                continue;
            }
        }
        seg->layers[seg->nlayer] = layer;
        seg->regions[seg->nlayer] = region;
        seg->layer_spans[seg->nlayer] = it->span;
        seg->nlayer++;
    }
}

static void resolve_segments(struct schemectx *sc)
{
    int count = 0;
    for (const struct kpl_ast_segment *g = sc->ast->segments; g;
         g = g->next) {
        count++;
    }
    struct kpl_scheme *s = sc->scheme;
    s->segments = kpl_arena_array(sc->rs->arena, (size_t)count + 1,
                                  sizeof *s->segments);
    if (s->segments == NULL) {
        sc->failed = true;
        return;
    }
    for (const struct kpl_ast_segment *g = sc->ast->segments; g;
         g = g->next) {
        resolve_segment(sc, g, &s->segments[s->nsegment++]);
    }
}

/* `tensor NAME (DIM=v, ...) [shared k];` */
static void tensor_directive(struct schemectx *sc,
                             const struct kpl_layer *layer,
                             const struct kpl_directive *d,
                             struct kpl_level_map *lm)
{
    struct kpl_diags *diags = sc->rs->diags;
    int t = kpl_tensor_parse(d->tensor);
    if (t < 0 || layer->tensor_dims[t] == 0) {
        kpl_error(diags, "unknown-name", d->tensor_span,
                  t < 0 ? "unknown tensor '%s'; expected wgt, ifm or ofm"
                        : "%s layer '%s' has no tensor '%s'",
                  t < 0 ? d->tensor : kpl_layer_kind_name(layer->kind),
                  layer->name, d->tensor);
        sc->failed = true;
        return;
    }
    if (lm->tile_given[t]) {
        kpl_error(diags, "duplicate", d->span,
                  "tensor '%s' given twice at this level", d->tensor);
        sc->failed = true;
        return;
    }
    lm->tile_given[t] = true;
    lm->tile_span[t] = d->span;
    for (int dim = 0; dim < KPL_DIM_COUNT; dim++) {
        bool has = layer->tensor_dims[t] & KPL_DIM_BIT(dim);
        lm->tile[t][dim] = has ? 1 : 0;
    }

    for (const struct kpl_dimval *dv = d->extents; dv; dv = dv->next) {
        int dim = kpl_dim_parse(dv->dim);
        if (dim < 0 || !(layer->tensor_dims[t] & KPL_DIM_BIT(dim))) {
            bool tied = layer->kind != KPL_LAYER_CONV &&
                        layer->kind != KPL_LAYER_FC;
            kpl_error(diags, "unknown-dim", dv->dim_span,
                      "'%s' is not a dimension of tensor '%s' of %s layer "
                      "'%s' (it has %s)", dv->dim, d->tensor,
                      kpl_layer_kind_name(layer->kind), layer->name,
                      tied && t == KPL_TENSOR_IFM
                          ? (layer->kind == KPL_LAYER_ELTWISE
                                 ? "N, C, K, Xi, Yi" : "N, K, Xi, Yi")
                      : tied && t == KPL_TENSOR_WGT ? "K, R, S"
                                                    : tensor_dim_list[t]);
            sc->failed = true;
            continue;
        }
        eval_int(sc, dv->value, 1, KPL_MAX_EXTENT, &lm->tile[t][dim]);
        lm->tile_expr[t][dim] = dv->value;
    }

    lm->share[t] = 1;
    if (d->shared != NULL) {
        eval_int(sc, d->shared, 1, KPL_MAX_EXTENT, &lm->share[t]);
        lm->share_expr[t] = d->shared;
    }
}

/* `stack (...) x n;` or `update (...);` */
static void loop_directive(struct schemectx *sc,
                           const struct kpl_layer *layer,
                           const struct kpl_directive *d,
                           struct kpl_level_map *lm)
{
    bool stack = d->kind == KPL_DIRECTIVE_STACK;
    int *count = stack ? &lm->nstack : &lm->nupdate;
    if (*count >= KPL_MAX_LOOPS) {
        kpl_error(sc->rs->diags, "value", d->span,
                  "more than %d %s directives at one level", KPL_MAX_LOOPS,
                  stack ? "stack" : "update");
        sc->failed = true;
        return;
    }
    struct kpl_loop *loop = stack ? &lm->stacks[*count]
                                  : &lm->updates[*count];
    (*count)++;
    loop->span = d->span;

    for (const struct kpl_ast_shift *sh = d->shifts; sh; sh = sh->next) {
        int dim = kpl_dim_parse(sh->dim);
        if (dim < 0) {
            kpl_error(sc->rs->diags, "unknown-dim", sh->dim_span,
                      "unknown dimension '%s'; expected N, C, K, Xo, Yo, "
                      "R, S, Xi or Yi", sh->dim);
            sc->failed = true;
            continue;
        }
        for (int i = 0; i < loop->nshift; i++) {
            if (loop->shifts[i].dim == (enum kpl_dim)dim) {
                kpl_error(sc->rs->diags, "duplicate", sh->dim_span,
                          "dimension '%s' shifted twice in one directive",
                          sh->dim);
                sc->failed = true;
            }
        }
        if (loop->nshift >= KPL_DIM_COUNT) {
            continue;
        }
        struct kpl_shift *shift = &loop->shifts[loop->nshift++];
        shift->dim = (enum kpl_dim)dim;
        shift->span = kpl_span_join(sh->dim_span, sh->step->span);
        shift->step_expr = sh->step;
        eval_int(sc, sh->step, 1, KPL_MAX_EXTENT, &shift->step);
    }
    (void)layer;

    if (stack) {
        loop->count_expr = d->count;
        eval_int(sc, d->count, 1, KPL_MAX_EXTENT, &loop->count);
    }
}

static void resolve_level(struct schemectx *sc, const struct kpl_layer *layer,
                          const struct kpl_ast_level *lv,
                          struct kpl_level_map *lm)
{
    lm->span = lv->name_span;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        lm->share[t] = 1;
    }
    for (const struct kpl_directive *d = lv->directives; d; d = d->next) {
        if (d->kind == KPL_DIRECTIVE_TENSOR) {
            tensor_directive(sc, layer, d, lm);
        } else {
            loop_directive(sc, layer, d, lm);
        }
    }
}

static void resolve_layermap(struct schemectx *sc,
                             const struct kpl_ast_layermap *ast)
{
    const struct kpl_network *net = sc->scheme->net;
    int index = find_layer(sc, ast->layer);
    if (index < 0) {
        unknown_layer(sc, ast->layer, ast->name_span);
        return;
    }
    struct kpl_layer_map *map = &sc->scheme->maps[index];
    if (map->present) {
        struct kpl_diag *d = kpl_error(sc->rs->diags, "duplicate",
                                       ast->name_span,
                                       "layer '%s' is mapped twice",
                                       ast->layer);
        kpl_diag_note(sc->rs->diags, d, map->span, "first mapped here");
        sc->failed = true;
        return;
    }
    map->present = true;
    map->span = ast->name_span;

    bool seen[KPL_LEVEL_COUNT] = {false, false};
    for (const struct kpl_ast_level *lv = ast->levels; lv; lv = lv->next) {
        int level = strcmp(lv->name, "regf") == 0   ? KPL_LEVEL_REGF
                    : strcmp(lv->name, "gbuf") == 0 ? KPL_LEVEL_GBUF
                                                    : -1;
        if (level < 0) {
            kpl_error(sc->rs->diags, "unknown-name", lv->name_span,
                      "unknown buffer level '%s'; expected regf or gbuf",
                      lv->name);
            sc->failed = true;
            continue;
        }
        if (seen[level]) {
            kpl_error(sc->rs->diags, "duplicate", lv->name_span,
                      "level '%s' given twice for layer '%s'", lv->name,
                      ast->layer);
            sc->failed = true;
            continue;
        }
        seen[level] = true;
        resolve_level(sc, &net->layers[index], lv, &map->level[level]);
    }
    for (int level = 0; level < KPL_LEVEL_COUNT; level++) {
        if (!seen[level]) {
            kpl_error(sc->rs->diags, "missing", ast->name_span,
                      "layer '%s' has no '%s' level", ast->layer,
                      kpl_level_names[level]);
            sc->failed = true;
        }
    }
}

static void check_all_mapped(struct schemectx *sc)
{
    const struct kpl_network *net = sc->scheme->net;
    for (int i = 0; i < net->nlayer; i++) {
        if (!sc->scheme->maps[i].present) {
            kpl_error(sc->rs->diags, "missing", sc->ast->name_span,
                      "scheme '%s' does not map layer '%s'", sc->ast->name,
                      net->layers[i].name);
            sc->failed = true;
        }
    }
}

/*
 * The scheme's network and arch.  One that is declared but failed to
 * resolve was reported already: saying it is unknown would mislead.
 */
static bool bind_names(struct schemectx *sc)
{
    const struct kpl_program *prog = sc->rs->prog;
    sc->scheme->net = kpl_program_network(prog, sc->ast->network);
    sc->scheme->arch = kpl_program_arch(prog, sc->ast->arch);
    if (sc->scheme->net == NULL &&
        kpl_program_find_item(prog, KPL_ITEM_NETWORK, sc->ast->network)) {
        return false;
    }
    if (sc->scheme->arch == NULL &&
        kpl_program_find_item(prog, KPL_ITEM_ARCH, sc->ast->arch)) {
        return false;
    }
    if (sc->scheme->net == NULL) {
        kpl_error(sc->rs->diags, "unknown-name", sc->ast->network_span,
                  "unknown network '%s'", sc->ast->network);
    }
    if (sc->scheme->arch == NULL) {
        kpl_error(sc->rs->diags, "unknown-name", sc->ast->arch_span,
                  "unknown arch '%s'", sc->ast->arch);
    }
    return sc->scheme->net != NULL && sc->scheme->arch != NULL;
}

struct kpl_scheme *resolve_scheme(struct resolver *rs,
                                  const struct kpl_ast_scheme *ast)
{
    struct kpl_scheme *s = kpl_arena_alloc(rs->arena, sizeof *s);
    if (s == NULL) {
        return NULL;
    }
    struct schemectx sc = {.rs = rs, .ast = ast, .scheme = s};
    s->name = ast->name;
    s->span = ast->name_span;
    if (!bind_names(&sc)) {
        return NULL;
    }
    s->maps = kpl_arena_array(rs->arena, (size_t)s->net->nlayer + 1,
                              sizeof *s->maps);
    if (s->maps == NULL ||
        !kpl_names_init(&sc.layer_names, rs->arena,
                        (size_t)s->net->nlayer)) {
        return NULL;
    }
    for (int i = 0; i < s->net->nlayer; i++) {
        kpl_names_put(&sc.layer_names, s->net->layers[i].name, i);
    }

    resolve_params(&sc);
    if (sc.failed) {
        return NULL; /* every later number may use the parameters */
    }
    if (ast->batch != NULL) {
        s->batch_expr = ast->batch;
        eval_int(&sc, ast->batch, 1, KPL_MAX_EXTENT, &s->batch);
    }
    resolve_segments(&sc);
    for (const struct kpl_ast_layermap *m = ast->layers; m; m = m->next) {
        resolve_layermap(&sc, m);
    }
    check_all_mapped(&sc);
    if (sc.failed) {
        return NULL;
    }
    kpl_scheme_compute_trips(s);
    return s;
}
