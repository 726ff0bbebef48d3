/*
 * kpl_scheme_to_ast: a resolved scheme written back as an AST for the
 * canonical printer.  Directives come out in the order the language docs
 * use: tensors (wgt, ifm, ofm), then stacks, then updates, innermost first.
 * Every node gets an empty span.
 */
#include "solver/solve.h"

static struct kpl_expr *number(struct kpl_arena *arena, int64_t value)
{
    struct kpl_expr *e = kpl_arena_alloc(arena, sizeof *e);
    if (e != NULL) {
        e->kind = KPL_EXPR_NUMBER;
        e->value = value;
    }
    return e;
}

static struct kpl_ast_region *region_ast(struct kpl_arena *arena,
                                         const struct kpl_region *r)
{
    struct kpl_ast_region *a = kpl_arena_alloc(arena, sizeof *a);
    if (a != NULL) {
        a->row0 = number(arena, r->row0);
        a->row1 = number(arena, r->row1);
        a->col0 = number(arena, r->col0);
        a->col1 = number(arena, r->col1);
    }
    return a;
}

static bool same_region(const struct kpl_region *a,
                        const struct kpl_region *b)
{
    return a->row0 == b->row0 && a->row1 == b->row1 && a->col0 == b->col0 &&
           a->col1 == b->col1;
}

static struct kpl_ast_segment *segment_ast(struct kpl_arena *arena,
                                           const struct kpl_scheme *scheme,
                                           const struct kpl_segment *seg)
{
    struct kpl_ast_segment *a = kpl_arena_alloc(arena, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    bool shared = true;
    for (int i = 1; i < seg->nlayer; i++) {
        shared &= same_region(&seg->regions[0], &seg->regions[i]);
    }
    if (shared && seg->nlayer > 0) {
        a->region = region_ast(arena, &seg->regions[0]);
    }

    struct kpl_seg_item **tail = &a->items;
    for (int i = 0; i < seg->nlayer; i++) {
        struct kpl_seg_item *item = kpl_arena_alloc(arena, sizeof *item);
        if (item == NULL) {
            return a;
        }
        item->layer = scheme->net->layers[seg->layers[i]].name;
        if (!shared) {
            item->region = region_ast(arena, &seg->regions[i]);
        }
        *tail = item;
        tail = &item->next;
    }
    return a;
}

static struct kpl_directive *tensor_directive(struct kpl_arena *arena,
                                              const struct kpl_layer *layer,
                                              const struct kpl_level_map *lm,
                                              int t)
{
    struct kpl_directive *dir = kpl_arena_alloc(arena, sizeof *dir);
    if (dir == NULL) {
        return NULL;
    }
    dir->kind = KPL_DIRECTIVE_TENSOR;
    dir->tensor = kpl_tensor_names[t];
    if (lm->share[t] > 1) {
        dir->shared = number(arena, lm->share[t]);
    }
    struct kpl_dimval **tail = &dir->extents;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (!(layer->tensor_dims[t] & KPL_DIM_BIT(d))) {
            continue;
        }
        struct kpl_dimval *dv = kpl_arena_alloc(arena, sizeof *dv);
        if (dv == NULL) {
            return dir;
        }
        dv->dim = kpl_dim_names[d];
        dv->value = number(arena, lm->tile[t][d]);
        *tail = dv;
        tail = &dv->next;
    }
    return dir;
}

static struct kpl_directive *loop_directive(struct kpl_arena *arena,
                                            const struct kpl_loop *loop,
                                            bool stack)
{
    struct kpl_directive *dir = kpl_arena_alloc(arena, sizeof *dir);
    if (dir == NULL) {
        return NULL;
    }
    dir->kind = stack ? KPL_DIRECTIVE_STACK : KPL_DIRECTIVE_UPDATE;
    if (stack) {
        dir->count = number(arena, loop->count);
    }
    struct kpl_ast_shift **tail = &dir->shifts;
    for (int i = 0; i < loop->nshift; i++) {
        struct kpl_ast_shift *s = kpl_arena_alloc(arena, sizeof *s);
        if (s == NULL) {
            return dir;
        }
        s->dim = kpl_dim_names[loop->shifts[i].dim];
        s->step = number(arena, loop->shifts[i].step);
        *tail = s;
        tail = &s->next;
    }
    return dir;
}

static struct kpl_ast_level *level_ast(struct kpl_arena *arena,
                                       const struct kpl_layer *layer,
                                       const struct kpl_level_map *lm,
                                       enum kpl_level lv)
{
    struct kpl_ast_level *a = kpl_arena_alloc(arena, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    a->name = kpl_level_names[lv];
    struct kpl_directive **tail = &a->directives;
    struct kpl_directive *dir = NULL;

    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (layer->tensor_dims[t] != 0 && lm->tile_given[t]) {
            dir = tensor_directive(arena, layer, lm, t);
            if (dir == NULL) {
                return a;
            }
            *tail = dir;
            tail = &dir->next;
        }
    }
    for (int i = 0; i < lm->nstack + lm->nupdate; i++) {
        bool stack = i < lm->nstack;
        const struct kpl_loop *loop = stack ? &lm->stacks[i]
                                            : &lm->updates[i - lm->nstack];
        dir = loop_directive(arena, loop, stack);
        if (dir == NULL) {
            return a;
        }
        *tail = dir;
        tail = &dir->next;
    }
    return a;
}

static struct kpl_ast_layermap *layer_ast(struct kpl_arena *arena,
                                          const struct kpl_layer *layer,
                                          const struct kpl_layer_map *map)
{
    struct kpl_ast_layermap *a = kpl_arena_alloc(arena, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    a->layer = layer->name;
    a->levels = level_ast(arena, layer, &map->level[KPL_LEVEL_REGF],
                          KPL_LEVEL_REGF);
    if (a->levels != NULL) {
        a->levels->next = level_ast(arena, layer,
                                    &map->level[KPL_LEVEL_GBUF],
                                    KPL_LEVEL_GBUF);
    }
    return a;
}

struct kpl_ast_scheme *kpl_scheme_to_ast(const struct kpl_scheme *scheme,
                                         struct kpl_arena *arena)
{
    struct kpl_ast_scheme *a = kpl_arena_alloc(arena, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    a->name = scheme->name;
    a->network = scheme->net->name;
    a->arch = scheme->arch->name;
    a->batch = number(arena, scheme->batch);

    struct kpl_ast_segment **stail = &a->segments;
    for (int i = 0; i < scheme->nsegment; i++) {
        struct kpl_ast_segment *seg =
            segment_ast(arena, scheme, &scheme->segments[i]);
        if (seg == NULL) {
            return NULL;
        }
        *stail = seg;
        stail = &seg->next;
    }

    struct kpl_ast_layermap **ltail = &a->layers;
    for (int i = 0; i < scheme->net->nlayer; i++) {
        if (!scheme->maps[i].present) {
            continue;
        }
        struct kpl_ast_layermap *lm =
            layer_ast(arena, &scheme->net->layers[i], &scheme->maps[i]);
        if (lm == NULL) {
            return NULL;
        }
        *ltail = lm;
        ltail = &lm->next;
    }
    return kpl_arena_failed(arena) ? NULL : a;
}
