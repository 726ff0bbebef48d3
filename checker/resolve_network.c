/*
 * Resolution of `network` blocks: names, the graph, and shape inference.
 *
 * Statements may come in any order; producers are looked up among all the
 * inputs and layers of the block, the graph is sorted topologically (stable
 * in source order) and a cycle is an error that names its layers.  Shapes
 * are then inferred in that order: channels of several producers add up
 * (eltwise merges them instead), the window and stride must fit the
 * producer's size, and padding not written is the difference between the
 * rows the output needs and the rows the input has.
 */
#include "checker/resolve_internal.h"

#include "base/names.h"

#include <string.h>

enum node_kind { NODE_INPUT, NODE_LAYER };

struct node {
    const struct kpl_ast_layer *ast;
    enum node_kind kind;
    enum kpl_layer_kind layer_kind;
    int nprev;
    int *prev;        /* node indices */
    int order;        /* position in topological order, -1 before */
    int ir_index;     /* index among inputs or layers of the IR */
    int64_t c, h, w;  /* output shape per image */
};

struct netctx {
    struct resolver *rs;
    const struct kpl_ast_network *ast;
    int nnode;
    struct node *nodes;
    struct kpl_names names; /* node name -> index */
    bool training;
    const struct kpl_ast_layer *training_flag; /* the first `training;` */
    bool failed;
};

static bool parse_kind(const char *text, enum node_kind *nk,
                       enum kpl_layer_kind *lk)
{
    static const struct {
        const char *name;
        enum kpl_layer_kind kind;
    } kinds[] = {
        {"conv", KPL_LAYER_CONV},       {"fc", KPL_LAYER_FC},
        {"pool", KPL_LAYER_POOL},       {"eltwise", KPL_LAYER_ELTWISE},
        {"dwconv", KPL_LAYER_DWCONV},
    };
    if (strcmp(text, "input") == 0) {
        *nk = NODE_INPUT;
        return true;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(text, kinds[i].name) == 0) {
            *nk = NODE_LAYER;
            *lk = kinds[i].kind;
            return true;
        }
    }
    return false;
}

static int find_node(const struct netctx *nc, const char *name)
{
    return kpl_names_get(&nc->names, name);
}

/* `training;`: sets the flag, or reports it given twice. */
static void take_training_flag(struct netctx *nc,
                               const struct kpl_ast_layer *s)
{
    if (nc->training_flag == NULL) {
        nc->training_flag = s;
        nc->training = true;
        return;
    }
    struct kpl_diags *diags = nc->rs->diags;
    struct kpl_diag *d = kpl_error(diags, "duplicate", s->name_span,
                                   "flag '%s' given twice", s->name);
    kpl_diag_note(diags, d, nc->training_flag->name_span,
                  "first given here");
    nc->failed = true;
}

/* Pass 1: kinds, flags and duplicate names. */
static void collect_nodes(struct netctx *nc)
{
    int count = 0;
    for (const struct kpl_ast_layer *s = nc->ast->stmts; s; s = s->next) {
        count++;
    }
    nc->nodes = kpl_arena_array(nc->rs->arena, (size_t)count + 1,
                                sizeof *nc->nodes);
    if (nc->nodes == NULL ||
        !kpl_names_init(&nc->names, nc->rs->arena, (size_t)count)) {
        nc->nodes = NULL;
        nc->failed = true;
        return;
    }

    struct kpl_diags *diags = nc->rs->diags;
    for (const struct kpl_ast_layer *s = nc->ast->stmts; s; s = s->next) {
        if (s->kind == NULL) {
            if (strcmp(s->name, "training") == 0) {
                take_training_flag(nc, s);
            } else {
                kpl_error(diags, "unknown-name", s->name_span,
                          "unknown network flag '%s'; the only flag is "
                          "'training'", s->name);
                nc->failed = true;
            }
            continue;
        }
        struct node *n = &nc->nodes[nc->nnode];
        if (!parse_kind(s->kind, &n->kind, &n->layer_kind)) {
            kpl_error(diags, "unknown-name", s->kind_span,
                      "unknown layer kind '%s'; expected input, conv, fc, "
                      "pool, eltwise or dwconv", s->kind);
            nc->failed = true;
            continue;
        }
        int previous = find_node(nc, s->name);
        if (previous >= 0) {
            struct kpl_diag *d = kpl_error(diags, "duplicate", s->name_span,
                                           "'%s' is defined twice", s->name);
            kpl_diag_note(diags, d, nc->nodes[previous].ast->name_span,
                          "first defined here");
            nc->failed = true;
            continue;
        }
        n->ast = s;
        n->order = -1;
        kpl_names_put(&nc->names, s->name, nc->nnode);
        nc->nnode++;
    }
}

/* Pass 2: producers by name. */
static void link_nodes(struct netctx *nc)
{
    struct kpl_diags *diags = nc->rs->diags;
    for (int i = 0; i < nc->nnode; i++) {
        struct node *n = &nc->nodes[i];
        int count = 0;
        for (const struct kpl_name *p = n->ast->prevs; p; p = p->next) {
            count++;
        }
        if (n->kind == NODE_INPUT && count > 0) {
            kpl_error(diags, "shape", n->ast->name_span,
                      "input '%s' cannot have producers", n->ast->name);
            nc->failed = true;
            continue;
        }
        if (n->kind == NODE_LAYER && count == 0) {
            kpl_error(diags, "shape", n->ast->name_span,
                      "layer '%s' has no producer: write '%s <- NAME'",
                      n->ast->name, n->ast->name);
            nc->failed = true;
            continue;
        }
        n->prev = kpl_arena_array(nc->rs->arena, (size_t)count + 1,
                                  sizeof *n->prev);
        if (n->prev == NULL) {
            nc->failed = true;
            return;
        }
        for (const struct kpl_name *p = n->ast->prevs; p; p = p->next) {
            int target = find_node(nc, p->text);
            if (target < 0) {
                kpl_error(diags, "unknown-name", p->span,
                          "unknown producer '%s'", p->text);
                nc->failed = true;
                continue;
            }
            n->prev[n->nprev++] = target;
        }
    }
}

/* A binary min-heap of node indices, for ready nodes in source order. */
struct heap {
    int *items;
    int count;
};

static void heap_push(struct heap *h, int value)
{
    int i = h->count++;
    while (i > 0 && h->items[(i - 1) / 2] > value) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = value;
}

static int heap_pop(struct heap *h)
{
    int top = h->items[0];
    int last = h->items[--h->count];
    int i = 0;
    for (;;) {
        int child = 2 * i + 1;
        if (child >= h->count) {
            break;
        }
        if (child + 1 < h->count && h->items[child + 1] < h->items[child]) {
            child++;
        }
        if (h->items[child] >= last) {
            break;
        }
        h->items[i] = h->items[child];
        i = child;
    }
    h->items[i] = last;
    return top;
}

/*
 * Successors of every node as one array (CSR): succ[first[i]..first[i+1]).
 * A producer named twice by one layer appears twice, matching pending.
 */
static bool successors(struct netctx *nc, int **first, int **succ)
{
    struct kpl_arena *arena = nc->rs->arena;
    int edges = 0;
    for (int i = 0; i < nc->nnode; i++) {
        edges += nc->nodes[i].nprev;
    }
    *first = kpl_arena_array(arena, (size_t)nc->nnode + 1, sizeof **first);
    *succ = kpl_arena_array(arena, (size_t)edges + 1, sizeof **succ);
    int *fill = kpl_arena_array(arena, (size_t)nc->nnode + 1, sizeof *fill);
    if (*first == NULL || *succ == NULL || fill == NULL) {
        return false;
    }
    for (int i = 0; i < nc->nnode; i++) {
        for (int p = 0; p < nc->nodes[i].nprev; p++) {
            (*first)[nc->nodes[i].prev[p] + 1]++;
        }
    }
    for (int i = 0; i < nc->nnode; i++) {
        (*first)[i + 1] += (*first)[i];
        fill[i] = (*first)[i];
    }
    for (int i = 0; i < nc->nnode; i++) {
        for (int p = 0; p < nc->nodes[i].nprev; p++) {
            (*succ)[fill[nc->nodes[i].prev[p]]++] = i;
        }
    }
    return true;
}

/*
 * Pass 3: topological order, taking the ready node that comes first in the
 * source each time, so a block already in topological order keeps it.
 */
static int *sort_nodes(struct netctx *nc)
{
    struct kpl_arena *arena = nc->rs->arena;
    size_t n = (size_t)nc->nnode + 1;
    int *order = kpl_arena_array(arena, n, sizeof *order);
    int *pending = kpl_arena_array(arena, n, sizeof *pending);
    struct heap ready = {kpl_arena_array(arena, n, sizeof(int)), 0};
    int *first = NULL;
    int *succ = NULL;
    if (!order || !pending || !ready.items ||
        !successors(nc, &first, &succ)) {
        nc->failed = true;
        return NULL;
    }
    for (int i = 0; i < nc->nnode; i++) {
        pending[i] = nc->nodes[i].nprev;
        if (pending[i] == 0) {
            heap_push(&ready, i);
        }
    }

    int placed = 0;
    while (ready.count > 0) {
        int i = heap_pop(&ready);
        nc->nodes[i].order = placed;
        order[placed++] = i;
        for (int e = first[i]; e < first[i + 1]; e++) {
            if (--pending[succ[e]] == 0) {
                heap_push(&ready, succ[e]);
            }
        }
    }
    if (placed < nc->nnode) {
        struct kpl_diag *d = NULL;
        for (int i = 0; i < nc->nnode; i++) {
            if (nc->nodes[i].order >= 0) {
                continue;
            }
            if (d == NULL) {
                d = kpl_error(nc->rs->diags, "cycle",
                              nc->nodes[i].ast->name_span,
                              "layer '%s' depends on itself through a "
                              "cycle", nc->nodes[i].ast->name);
            } else {
                kpl_diag_note(nc->rs->diags, d, nc->nodes[i].ast->name_span,
                              "'%s' is on or behind the cycle",
                              nc->nodes[i].ast->name);
            }
        }
        nc->failed = true;
        return NULL;
    }
    return order;
}

/* Evaluates a network number: literal arithmetic, positive, bounded. */
static bool eval_number(struct netctx *nc, const struct kpl_expr *e,
                        int64_t min, int64_t *out)
{
    int64_t v = 0;
    const struct kpl_expr *culprit = NULL;
    enum kpl_eval_error err = kpl_expr_eval_why(e, NULL, 0, &v, &culprit);
    if (err != KPL_EVAL_OK) {
        kpl_resolve_eval_error(nc->rs->diags, err, culprit,
                          ": networks take numbers only");
        nc->failed = true;
        return false;
    }
    if (v < min || v > KPL_MAX_EXTENT) {
        kpl_error(nc->rs->diags, "value", e->span,
                  "%lld is out of range: expected %lld to %lld",
                  (long long)v, (long long)min, (long long)KPL_MAX_EXTENT);
        nc->failed = true;
        return false;
    }
    *out = v;
    return true;
}

/* Shape list values by dim name: C, K, H, W; 0 when not written. */
struct shape_vals {
    int64_t c, k, h, w;
    const struct kpl_dimval *cv, *kv, *hv, *wv;
};

static void read_shape(struct netctx *nc, const struct node *n,
                       struct shape_vals *sv)
{
    memset(sv, 0, sizeof *sv);
    for (const struct kpl_dimval *dv = n->ast->shape; dv; dv = dv->next) {
        int64_t *slot = NULL;
        const struct kpl_dimval **where = NULL;
        if (strcmp(dv->dim, "C") == 0) {
            slot = &sv->c;
            where = &sv->cv;
        } else if (strcmp(dv->dim, "K") == 0) {
            slot = &sv->k;
            where = &sv->kv;
        } else if (strcmp(dv->dim, "H") == 0) {
            slot = &sv->h;
            where = &sv->hv;
        } else if (strcmp(dv->dim, "W") == 0) {
            slot = &sv->w;
            where = &sv->wv;
        } else {
            kpl_error(nc->rs->diags, "unknown-dim", dv->dim_span,
                      "unknown shape dimension '%s'; expected C, K, H or W",
                      dv->dim);
            nc->failed = true;
            continue;
        }
        if (*where != NULL) {
            kpl_error(nc->rs->diags, "duplicate", dv->dim_span,
                      "dimension '%s' given twice", dv->dim);
            nc->failed = true;
            continue;
        }
        *where = dv;
        eval_number(nc, dv->value, 1, slot);
    }
}

struct window_vals {
    int64_t r, s, sx, sy, px, py;
    bool has_window, has_stride, has_pad;
    struct kpl_span window_span, stride_span, pad_span;
};

static void read_pair(struct netctx *nc, const struct kpl_option *o,
                      int64_t min, int64_t *a, int64_t *b)
{
    if (eval_number(nc, o->first, min, a)) {
        *b = *a;
    }
    if (o->second != NULL) {
        eval_number(nc, o->second, min, b);
    }
}

static void read_options(struct netctx *nc, const struct node *n,
                         struct window_vals *wv)
{
    memset(wv, 0, sizeof *wv);
    wv->r = wv->s = wv->sx = wv->sy = 1;
    bool seen[3] = {false, false, false};
    for (const struct kpl_option *o = n->ast->options; o; o = o->next) {
        int which = strcmp(o->name, "window") == 0   ? 0
                    : strcmp(o->name, "stride") == 0 ? 1
                    : strcmp(o->name, "pad") == 0    ? 2
                                                     : -1;
        if (which < 0) {
            kpl_error(nc->rs->diags, "unknown-name", o->span,
                      "unknown layer option '%s'; expected window, stride "
                      "or pad", o->name);
            nc->failed = true;
            continue;
        }
        if (seen[which]) {
            kpl_error(nc->rs->diags, "duplicate", o->span,
                      "option '%s' given twice", o->name);
            nc->failed = true;
            continue;
        }
        seen[which] = true;
        if (which == 0) {
            read_pair(nc, o, 1, &wv->r, &wv->s);
            wv->has_window = true;
            wv->window_span = o->span;
        } else if (which == 1) {
            read_pair(nc, o, 1, &wv->sx, &wv->sy);
            wv->has_stride = true;
            wv->stride_span = o->span;
        } else {
            read_pair(nc, o, 0, &wv->px, &wv->py);
            wv->has_pad = true;
            wv->pad_span = o->span;
        }
    }
}

/* Producer shapes: channels add up; all must share rows and columns. */
static bool producer_shape(struct netctx *nc, const struct node *n,
                           int64_t *c, int64_t *h, int64_t *w)
{
    *c = 0;
    for (int p = 0; p < n->nprev; p++) {
        const struct node *src = &nc->nodes[n->prev[p]];
        if (p == 0) {
            *h = src->h;
            *w = src->w;
        } else if (src->h != *h || src->w != *w) {
            kpl_error(nc->rs->diags, "shape", n->ast->name_span,
                      "producers of '%s' disagree in size: '%s' is %lldx%lld"
                      " but '%s' is %lldx%lld", n->ast->name,
                      nc->nodes[n->prev[0]].ast->name, (long long)*h,
                      (long long)*w, src->ast->name, (long long)src->h,
                      (long long)src->w);
            nc->failed = true;
            return false;
        }
        *c += src->c;
    }
    return true;
}

/*
 * Padding along one axis: explicit, or implied by the output size.  The
 * padded input holds (out - 1) * stride + window rows.
 */
static bool axis_padding(struct netctx *nc, const struct node *n,
                         const char *axis, int64_t in, int64_t out,
                         int64_t window, int64_t stride, bool explicit_pad,
                         int64_t pad, int64_t *pad_before)
{
    int64_t need = (out - 1) * stride + window;
    if (explicit_pad) {
        if (need > in + 2 * pad) {
            kpl_error(nc->rs->diags, "shape", n->ast->name_span,
                      "'%s' needs %lld input %s for %lld outputs (window "
                      "%lld, stride %lld) but its input has %lld plus "
                      "padding %lld on each side", n->ast->name,
                      (long long)need, axis, (long long)out,
                      (long long)window, (long long)stride, (long long)in,
                      (long long)pad);
            nc->failed = true;
            return false;
        }
        *pad_before = pad;
        return true;
    }
    int64_t total = need > in ? need - in : 0;
    if (total > 2 * (window - 1)) {
        kpl_error(nc->rs->diags, "shape", n->ast->name_span,
                  "'%s' needs %lld input %s for %lld outputs (window %lld, "
                  "stride %lld) but its input has only %lld: the implied "
                  "padding %lld exceeds the window", n->ast->name,
                  (long long)need, axis, (long long)out, (long long)window,
                  (long long)stride, (long long)in, (long long)total);
        nc->failed = true;
        return false;
    }
    *pad_before = total / 2;
    return true;
}

static void shape_input(struct netctx *nc, struct node *n)
{
    struct shape_vals sv;
    read_shape(nc, n, &sv);
    if (sv.cv == NULL || sv.hv == NULL || sv.wv == NULL || sv.kv != NULL) {
        kpl_error(nc->rs->diags, "shape", n->ast->name_span,
                  "input '%s' needs exactly [C=.., H=.., W=..]",
                  n->ast->name);
        nc->failed = true;
        return;
    }
    n->c = sv.c;
    n->h = sv.h;
    n->w = sv.w;
}

/* Output channels and size of a layer from its kind and shape list. */
static bool layer_outputs(struct netctx *nc, struct node *n,
                          const struct shape_vals *sv,
                          struct window_vals *wv, struct kpl_layer *l)
{
    struct kpl_diags *diags = nc->rs->diags;
    bool tied = n->layer_kind == KPL_LAYER_POOL ||
                n->layer_kind == KPL_LAYER_DWCONV ||
                n->layer_kind == KPL_LAYER_ELTWISE;

    if (sv->cv != NULL && sv->c != l->in_c) {
        kpl_error(diags, "shape", sv->cv->value->span,
                  "'%s' declares C=%lld but its producers give %lld "
                  "channels", n->ast->name, (long long)sv->c,
                  (long long)l->in_c);
        return false;
    }
    if (tied) {
        l->k = n->layer_kind == KPL_LAYER_ELTWISE
                   ? nc->nodes[n->prev[0]].c : l->in_c;
        if (sv->kv != NULL && sv->k != l->k) {
            kpl_error(diags, "shape", sv->kv->value->span,
                      "'%s' (%s) keeps its %lld channels: K=%lld does not "
                      "match", n->ast->name, kpl_layer_kind_name(l->kind),
                      (long long)l->k, (long long)sv->k);
            return false;
        }
    } else if (sv->kv == NULL) {
        kpl_error(diags, "shape", n->ast->name_span,
                  "%s layer '%s' needs its output channels: write [K=..]",
                  kpl_layer_kind_name(l->kind), n->ast->name);
        return false;
    } else {
        l->k = sv->k;
    }

    if (n->layer_kind == KPL_LAYER_FC || n->layer_kind == KPL_LAYER_ELTWISE) {
        bool fc = n->layer_kind == KPL_LAYER_FC;
        l->xo = fc ? 1 : l->in_h;
        l->yo = fc ? 1 : l->in_w;
        if (fc && !wv->has_window) {
            wv->r = l->in_h;
            wv->s = l->in_w;
        }
        if ((sv->hv && sv->h != l->xo) || (sv->wv && sv->w != l->yo)) {
            kpl_error(diags, "shape", n->ast->name_span,
                      "%s layer '%s' has a %lldx%lld output; H and W cannot "
                      "change it", kpl_layer_kind_name(l->kind),
                      n->ast->name, (long long)l->xo, (long long)l->yo);
            return false;
        }
        return true;
    }
    if (sv->hv == NULL || sv->wv == NULL) {
        kpl_error(diags, "shape", n->ast->name_span,
                  "%s layer '%s' needs its output size: write [H=.., W=..]",
                  kpl_layer_kind_name(l->kind), n->ast->name);
        return false;
    }
    l->xo = sv->h;
    l->yo = sv->w;
    return true;
}

/*
 * An fc layer reads its whole input at once: a window, when written, must
 * be the input's size, and a stride or a pad would mean nothing.
 */
static bool fc_options_fit(struct netctx *nc, const struct node *n,
                           const struct window_vals *wv,
                           const struct kpl_layer *l)
{
    struct kpl_diags *diags = nc->rs->diags;
    bool ok = true;
    if (wv->has_window && (wv->r != l->in_h || wv->s != l->in_w)) {
        kpl_error(diags, "shape", wv->window_span,
                  "window %lldx%lld of fc layer '%s' does not cover its "
                  "%lldx%lld input; an fc window is the whole input "
                  "(leave it out)", (long long)wv->r, (long long)wv->s,
                  n->ast->name, (long long)l->in_h, (long long)l->in_w);
        ok = false;
    }
    if (wv->has_stride) {
        kpl_error(diags, "shape", wv->stride_span,
                  "fc layer '%s' takes no stride: its window covers its "
                  "whole input", n->ast->name);
        ok = false;
    }
    if (wv->has_pad) {
        kpl_error(diags, "shape", wv->pad_span,
                  "fc layer '%s' takes no pad: its window covers its "
                  "whole input", n->ast->name);
        ok = false;
    }
    return ok;
}

/*
 * An explicit pad, like the implied one, is at most R - 1 rows and S - 1
 * columns on each side: a row more would hold no input under any window.
 */
static bool pad_fits_window(struct netctx *nc, const struct node *n,
                            const struct window_vals *wv)
{
    if (!wv->has_pad || (wv->px < wv->r && wv->py < wv->s)) {
        return true;
    }
    bool rows = wv->px >= wv->r;
    int64_t pad = rows ? wv->px : wv->py;
    int64_t window = rows ? wv->r : wv->s;
    const char *unit = rows ? "row" : "column";
    kpl_error(nc->rs->diags, "shape", wv->pad_span,
              "'%s' pads %lld %s%s on each side but its window of %lld "
              "allows at most %lld", n->ast->name, (long long)pad, unit,
              pad == 1 ? "" : "s", (long long)window,
              (long long)(window - 1));
    return false;
}

static void shape_layer(struct netctx *nc, struct node *n,
                        struct kpl_layer *l)
{
    struct shape_vals sv;
    struct window_vals wv;
    int errors = nc->rs->diags->nerrors;
    read_shape(nc, n, &sv);
    read_options(nc, n, &wv);
    l->name = n->ast->name;
    l->span = n->ast->name_span;
    l->kind = n->layer_kind;
    l->role = KPL_ROLE_FORWARD;
    l->forward = -1;
    if (nc->rs->diags->nerrors > errors) {
        return; /* a bad number: shapes built on it would only mislead */
    }
    if (!producer_shape(nc, n, &l->in_c, &l->in_h, &l->in_w)) {
        return;
    }

    if (n->layer_kind == KPL_LAYER_ELTWISE) {
        for (int p = 0; p < n->nprev; p++) {
            if (nc->nodes[n->prev[p]].c != nc->nodes[n->prev[0]].c) {
                kpl_error(nc->rs->diags, "shape", n->ast->name_span,
                          "eltwise '%s' merges producers with different "
                          "channels", n->ast->name);
                nc->failed = true;
                return;
            }
        }
        if (wv.has_window || wv.sx != 1 || wv.sy != 1 || wv.has_pad) {
            kpl_error(nc->rs->diags, "shape", n->ast->name_span,
                      "eltwise '%s' takes no window, stride or pad",
                      n->ast->name);
            nc->failed = true;
            return;
        }
    }
    if (n->layer_kind == KPL_LAYER_FC && !fc_options_fit(nc, n, &wv, l)) {
        nc->failed = true;
        return;
    }
    if (!layer_outputs(nc, n, &sv, &wv, l)) {
        nc->failed = true;
        return;
    }
    if ((n->layer_kind == KPL_LAYER_CONV || n->layer_kind == KPL_LAYER_POOL ||
         n->layer_kind == KPL_LAYER_DWCONV) && !wv.has_window) {
        wv.r = wv.s = 1;
    }
    if (!pad_fits_window(nc, n, &wv)) {
        nc->failed = true;
        return;
    }

    l->r = wv.r;
    l->s = wv.s;
    l->stride_x = wv.sx;
    l->stride_y = wv.sy;
    bool rows = axis_padding(nc, n, "rows", l->in_h, l->xo, l->r, l->stride_x,
                             wv.has_pad, wv.px, &l->pad_x);
    bool cols = rows && axis_padding(nc, n, "columns", l->in_w, l->yo, l->s,
                                     l->stride_y, wv.has_pad, wv.py,
                                     &l->pad_y);
    if (!cols) {
        return;
    }

    bool tied = n->layer_kind != KPL_LAYER_CONV &&
                n->layer_kind != KPL_LAYER_FC;
    l->c = n->layer_kind == KPL_LAYER_ELTWISE ? n->nprev
           : tied                             ? 1
                                              : l->in_c;
    kpl_layer_finish(l);
    n->c = l->k;
    n->h = l->xo;
    n->w = l->yo;
    if (kpl_layer_ops(l, 1) >= INT64_MAX / 4096) {
        kpl_error(nc->rs->diags, "value", n->ast->name_span,
                  "layer '%s' is too large: its operation count overflows",
                  n->ast->name);
        nc->failed = true;
    }
}

/* A producer whose shape failed (c == 0) leaves its consumers unshaped. */
static bool producers_valid(const struct netctx *nc, const struct node *n)
{
    for (int p = 0; p < n->nprev; p++) {
        if (nc->nodes[n->prev[p]].c <= 0) {
            return false;
        }
    }
    return n->kind == NODE_INPUT || n->nprev > 0;
}

/* Pass 4: IR in topological order. */
static struct kpl_network *build_ir(struct netctx *nc, const int *order)
{
    struct kpl_network *net = kpl_arena_alloc(nc->rs->arena, sizeof *net);
    int ninput = 0;
    for (int i = 0; i < nc->nnode; i++) {
        ninput += nc->nodes[i].kind == NODE_INPUT;
    }
    if (net == NULL) {
        return NULL;
    }
    net->name = nc->ast->name;
    net->span = nc->ast->name_span;
    net->training = nc->training;
    net->inputs = kpl_arena_array(nc->rs->arena, (size_t)ninput + 1,
                                  sizeof *net->inputs);
    net->layers = kpl_arena_array(nc->rs->arena,
                                  (size_t)(nc->nnode - ninput) + 1,
                                  sizeof *net->layers);
    if (net->inputs == NULL || net->layers == NULL) {
        return NULL;
    }

    for (int o = 0; o < nc->nnode; o++) {
        struct node *n = &nc->nodes[order[o]];
        if (!producers_valid(nc, n)) {
            continue; /* already reported; its shape stays unknown */
        }
        if (n->kind == NODE_INPUT) {
            shape_input(nc, n);
            struct kpl_input *in = &net->inputs[net->ninput];
            in->name = n->ast->name;
            in->span = n->ast->name_span;
            in->c = n->c;
            in->h = n->h;
            in->w = n->w;
            n->ir_index = net->ninput++;
            continue;
        }
        struct kpl_layer *l = &net->layers[net->nlayer];
        shape_layer(nc, n, l);
        l->prev = kpl_arena_array(nc->rs->arena, (size_t)n->nprev + 1,
                                  sizeof *l->prev);
        if (l->prev == NULL) {
            return NULL;
        }
        for (int p = 0; p < n->nprev; p++) {
            const struct node *src = &nc->nodes[n->prev[p]];
            l->prev[p].is_input = src->kind == NODE_INPUT;
            l->prev[p].index = src->ir_index;
        }
        l->nprev = n->nprev;
        n->ir_index = net->nlayer++;
    }
    return nc->failed ? NULL : net;
}

struct kpl_network *resolve_network(struct resolver *rs,
                                    const struct kpl_ast_network *ast)
{
    struct netctx nc = {.rs = rs, .ast = ast};
    collect_nodes(&nc);
    if (nc.nodes == NULL) {
        return NULL;
    }
    /* Keep going after errors, so that one run reports them all. */
    link_nodes(&nc);
    int *order = sort_nodes(&nc);
    if (order == NULL) {
        return NULL;
    }
    struct kpl_network *net = build_ir(&nc, order);
    if (net != NULL && net->nlayer == 0) {
        kpl_error(rs->diags, "empty", ast->name_span,
                  "network '%s' has no layer", ast->name);
        return NULL;
    }
    if (net != NULL && net->training) {
        if (kpl_network_check_training_names(net, rs->diags) > 0) {
            return NULL;
        }
        net = kpl_network_training(net, rs->arena);
    }
    return net;
}
