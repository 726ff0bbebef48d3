/*
 * Structural equality of ASTs, ignoring spans: what a parse -> print ->
 * parse round trip must preserve.  Names compare as strings, numbers of
 * arch words by their text and value, expressions as trees.
 */
#include "parser/print.h"

#include <string.h>

static bool same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

/* Expression trees are at most KPL_PARSE_MAX_NESTING deep when parsed. */
static bool expr_equal(const struct kpl_expr *a, const struct kpl_expr *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    if (a->kind != b->kind) {
        return false;
    }
    switch (a->kind) {
    case KPL_EXPR_NUMBER:
        return a->value == b->value;
    case KPL_EXPR_PARAM:
        return same_text(a->name, b->name);
    default:
        return expr_equal(a->lhs, b->lhs) && expr_equal(a->rhs, b->rhs);
    }
}

static bool words_equal(const struct kpl_word *a, const struct kpl_word *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        if (a->kind != b->kind || !same_text(a->text, b->text)
            || (a->kind == KPL_WORD_NUMBER && a->number != b->number)) {
            return false;
        }
    }
    return a == b;
}

static bool props_equal(const struct kpl_prop *a, const struct kpl_prop *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        const struct kpl_clause *ca = a->clauses;
        const struct kpl_clause *cb = b->clauses;

        if (!same_text(a->key, b->key)) {
            return false;
        }
        for (; ca != NULL && cb != NULL; ca = ca->next, cb = cb->next) {
            if (!words_equal(ca->words, cb->words)) {
                return false;
            }
        }
        if (ca != cb) {
            return false;
        }
    }
    return a == b;
}

static bool arch_equal(const struct kpl_ast_arch *a,
                       const struct kpl_ast_arch *b)
{
    return same_text(a->name, b->name) && props_equal(a->props, b->props);
}

static bool names_equal(const struct kpl_name *a, const struct kpl_name *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        if (!same_text(a->text, b->text)) {
            return false;
        }
    }
    return a == b;
}

static bool dimvals_equal(const struct kpl_dimval *a,
                          const struct kpl_dimval *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        if (!same_text(a->dim, b->dim) || !expr_equal(a->value, b->value)) {
            return false;
        }
    }
    return a == b;
}

static bool options_equal(const struct kpl_option *a,
                          const struct kpl_option *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        if (!same_text(a->name, b->name) || !expr_equal(a->first, b->first)
            || !expr_equal(a->second, b->second)) {
            return false;
        }
    }
    return a == b;
}

static bool layer_equal(const struct kpl_ast_layer *a,
                        const struct kpl_ast_layer *b)
{
    return same_text(a->kind, b->kind) && same_text(a->name, b->name)
           && names_equal(a->prevs, b->prevs)
           && a->has_shape == b->has_shape
           && dimvals_equal(a->shape, b->shape)
           && options_equal(a->options, b->options);
}

static bool network_equal(const struct kpl_ast_network *a,
                          const struct kpl_ast_network *b)
{
    const struct kpl_ast_layer *la = a->stmts;
    const struct kpl_ast_layer *lb = b->stmts;

    if (!same_text(a->name, b->name)) {
        return false;
    }
    for (; la != NULL && lb != NULL; la = la->next, lb = lb->next) {
        if (!layer_equal(la, lb)) {
            return false;
        }
    }
    return la == lb;
}

static bool region_equal(const struct kpl_ast_region *a,
                         const struct kpl_ast_region *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return expr_equal(a->row0, b->row0) && expr_equal(a->row1, b->row1)
           && expr_equal(a->col0, b->col0) && expr_equal(a->col1, b->col1);
}

static bool params_equal(const struct kpl_ast_param *a,
                         const struct kpl_ast_param *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        if (!same_text(a->name, b->name) || !expr_equal(a->value, b->value)
            || !expr_equal(a->lo, b->lo) || !expr_equal(a->hi, b->hi)) {
            return false;
        }
    }
    return a == b;
}

static bool segment_equal(const struct kpl_ast_segment *a,
                          const struct kpl_ast_segment *b)
{
    const struct kpl_seg_item *ia = a->items;
    const struct kpl_seg_item *ib = b->items;

    if (!region_equal(a->region, b->region)) {
        return false;
    }
    for (; ia != NULL && ib != NULL; ia = ia->next, ib = ib->next) {
        if (!same_text(ia->layer, ib->layer)
            || !region_equal(ia->region, ib->region)) {
            return false;
        }
    }
    return ia == ib;
}

static bool segments_equal(const struct kpl_ast_segment *a,
                           const struct kpl_ast_segment *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        if (!segment_equal(a, b)) {
            return false;
        }
    }
    return a == b;
}

static bool shifts_equal(const struct kpl_ast_shift *a,
                         const struct kpl_ast_shift *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        if (!same_text(a->dim, b->dim) || !expr_equal(a->step, b->step)) {
            return false;
        }
    }
    return a == b;
}

static bool directive_equal(const struct kpl_directive *a,
                            const struct kpl_directive *b)
{
    return a->kind == b->kind && same_text(a->tensor, b->tensor)
           && dimvals_equal(a->extents, b->extents)
           && expr_equal(a->shared, b->shared)
           && shifts_equal(a->shifts, b->shifts)
           && expr_equal(a->count, b->count);
}

static bool level_equal(const struct kpl_ast_level *a,
                        const struct kpl_ast_level *b)
{
    const struct kpl_directive *da = a->directives;
    const struct kpl_directive *db = b->directives;

    if (!same_text(a->name, b->name)) {
        return false;
    }
    for (; da != NULL && db != NULL; da = da->next, db = db->next) {
        if (!directive_equal(da, db)) {
            return false;
        }
    }
    return da == db;
}

static bool layermaps_equal(const struct kpl_ast_layermap *a,
                            const struct kpl_ast_layermap *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        const struct kpl_ast_level *la = a->levels;
        const struct kpl_ast_level *lb = b->levels;

        if (!same_text(a->layer, b->layer)) {
            return false;
        }
        for (; la != NULL && lb != NULL; la = la->next, lb = lb->next) {
            if (!level_equal(la, lb)) {
                return false;
            }
        }
        if (la != lb) {
            return false;
        }
    }
    return a == b;
}

static bool scheme_equal(const struct kpl_ast_scheme *a,
                         const struct kpl_ast_scheme *b)
{
    return same_text(a->name, b->name) && same_text(a->network, b->network)
           && same_text(a->arch, b->arch) && expr_equal(a->batch, b->batch)
           && params_equal(a->params, b->params)
           && segments_equal(a->segments, b->segments)
           && layermaps_equal(a->layers, b->layers);
}

static bool item_equal(const struct kpl_item *a, const struct kpl_item *b)
{
    if (a->kind != b->kind) {
        return false;
    }
    switch (a->kind) {
    case KPL_ITEM_IMPORT:
        return a->import_bundled == b->import_bundled
               && same_text(a->import_path, b->import_path);
    case KPL_ITEM_ARCH:
        return a->arch != NULL && b->arch != NULL
               ? arch_equal(a->arch, b->arch) : a->arch == b->arch;
    case KPL_ITEM_NETWORK:
        return a->network != NULL && b->network != NULL
               ? network_equal(a->network, b->network)
               : a->network == b->network;
    case KPL_ITEM_SCHEME:
        return a->scheme != NULL && b->scheme != NULL
               ? scheme_equal(a->scheme, b->scheme)
               : a->scheme == b->scheme;
    }
    return false;
}

bool kpl_ast_file_equal(const struct kpl_ast_file *a,
                        const struct kpl_ast_file *b)
{
    const struct kpl_item *ia = NULL;
    const struct kpl_item *ib = NULL;

    if (a == NULL || b == NULL) {
        return a == b;
    }
    ia = a->items;
    ib = b->items;
    for (; ia != NULL && ib != NULL; ia = ia->next, ib = ib->next) {
        if (!item_equal(ia, ib)) {
            return false;
        }
    }
    return ia == ib;
}
