/*
 * The cost model: energy and time of a layer, of a segment and of a whole
 * scheme, from the directives alone.  docs/cost-model.md states every
 * formula; this file follows it.
 *
 * Traffic is counted per tensor and per level by walking the level's loops
 * one tensor dimension at a time.  A loop (stack or update) moves a tensor
 * along the first of its dimensions that it shifts; the words that a set of
 * loops brings in along one dimension are a sum of clipped extents, which
 * walk_sum evaluates in closed form except near the parent's edge.  Since
 * every loop moves one dimension, the traffic of a tensor is the product of
 * its per-dimension sums.  kpl_cost_layer allocates nothing and takes time
 * linear in loops times tensors (plus the few edge positions).
 */
#include "checker/cost.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

#define DIM_LOOPS (2 * KPL_MAX_LOOPS)

/* One loop as seen along one dimension: count positions, step apart. */
struct walk_loop {
    int64_t count;
    int64_t step;
};

/*
 * Positions of a tile of `extent` words along one dimension, offset by
 * every combination of the loops' indices, clipped to [0, parent).  With
 * inner walks, a position contributes the sum of the inner walks over its
 * clipped extent instead of the extent itself: the REGF level inside each
 * GBUF tile.
 */
struct walk {
    int64_t extent;
    int nloop;
    struct walk_loop loops[DIM_LOOPS]; /* ascending step: outermost last */
    int ninner;
    const struct walk *inner[2];
    int64_t inner_base[2];
};

static double walk_sum(const struct walk *w, int64_t parent, int64_t base,
                       int nloop);

static double walk_leaf(const struct walk *w, int64_t len)
{
    if (w->ninner == 0) {
        return (double)len;
    }
    double sum = 0.0;
    for (int i = 0; i < w->ninner; i++) {
        sum += walk_sum(w->inner[i], len, w->inner_base[i],
                        w->inner[i]->nloop);
    }
    return sum;
}

/* Sum over index combinations of the first nloop loops, from base. */
static double walk_sum(const struct walk *w, int64_t parent, int64_t base,
                       int nloop)
{
    if (base >= parent) {
        return 0.0;
    }
    if (nloop == 0) {
        int64_t room = parent - base;
        return walk_leaf(w, room < w->extent ? room : w->extent);
    }

    /* The inner loops' reach and their number of combinations. */
    const struct walk_loop *outer = &w->loops[nloop - 1];
    int64_t reach = w->extent;
    double combos = 1.0;
    for (int j = 0; j < nloop - 1; j++) {
        reach = kpl_add_sat(reach, kpl_mul_sat(w->loops[j].count - 1,
                                               w->loops[j].step));
        combos *= (double)w->loops[j].count;
    }

    /* Outer positions whose whole inner pattern fits: no clipping. */
    int64_t nfull = 0;
    if (parent - base >= reach) {
        nfull = (parent - base - reach) / outer->step + 1;
        if (nfull > outer->count) {
            nfull = outer->count;
        }
    }
    double total = 0.0;
    if (nfull > 0) {
        total = (double)nfull * combos * walk_leaf(w, w->extent);
    }

    /* The few positions that reach past the edge. */
    for (int64_t i = nfull; i < outer->count; i++) {
        int64_t at = kpl_add_sat(base, kpl_mul_sat(i, outer->step));
        if (at >= parent) {
            break;
        }
        total += walk_sum(w, parent, at, nloop - 1);
    }
    return total;
}

static void walk_init(struct walk *w, int64_t extent)
{
    w->extent = extent > 0 ? extent : 1;
    w->nloop = 0;
    w->ninner = 0;
}

/* Adds a loop, keeping the list sorted by ascending step. */
static void walk_add(struct walk *w, int64_t count, int64_t step)
{
    if (count <= 1 || step <= 0 || w->nloop >= DIM_LOOPS) {
        return;
    }
    int i = w->nloop;
    while (i > 0 && w->loops[i - 1].step > step) {
        w->loops[i] = w->loops[i - 1];
        i--;
    }
    w->loops[i].count = count;
    w->loops[i].step = step;
    w->nloop++;
}

static double walk_total(const struct walk *w, int64_t parent, int64_t base)
{
    return walk_sum(w, parent, base, w->nloop);
}

/* ---- one level of one layer ---- */

struct level_view {
    const struct kpl_layer *layer;
    const struct kpl_level_map *lm;
    int64_t parent[KPL_DIM_COUNT];
    int64_t trips[KPL_MAX_LOOPS];
    int64_t all_trips; /* product over updates */
};

static void level_view_init(struct level_view *v,
                            const struct kpl_scheme *scheme, int layer,
                            enum kpl_level level)
{
    v->layer = &scheme->net->layers[layer];
    v->lm = &scheme->maps[layer].level[level];
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        v->parent[d] = kpl_parent_extent(scheme, layer, level,
                                         (enum kpl_dim)d);
    }
    v->all_trips = 1;
    for (int u = 0; u < v->lm->nupdate && u < KPL_MAX_LOOPS; u++) {
        int64_t trips = v->lm->updates[u].count;
        if (trips <= 0) {
            trips = kpl_update_trips(scheme, layer, level,
                                     &v->lm->updates[u]);
        }
        v->trips[u] = trips > 0 ? trips : 1;
        v->all_trips = kpl_mul_sat(v->all_trips, v->trips[u]);
    }
}

/*
 * The first dimension in `dims` that the loop moves, or -1.
 * Limitation: a loop that moves two dimensions of one tensor is clipped
 * along the first only; its positions are counted right, but the edge
 * clipping along the second dimension is missed.
 */
static int loop_dim(const struct kpl_loop *loop, unsigned dims)
{
    for (int i = 0; i < loop->nshift; i++) {
        const struct kpl_shift *s = &loop->shifts[i];
        if (s->step > 0 && (dims & KPL_DIM_BIT(s->dim))) {
            return (int)s->dim;
        }
    }
    return -1;
}

static int64_t loop_step(const struct kpl_loop *loop, int dim)
{
    for (int i = 0; i < loop->nshift; i++) {
        if ((int)loop->shifts[i].dim == dim) {
            return loop->shifts[i].step;
        }
    }
    return 0;
}

static int nupdates(const struct level_view *v)
{
    return v->lm->nupdate < KPL_MAX_LOOPS ? v->lm->nupdate : KPL_MAX_LOOPS;
}

static int nstacks(const struct level_view *v)
{
    return v->lm->nstack < KPL_MAX_LOOPS ? v->lm->nstack : KPL_MAX_LOOPS;
}

/* Does update u change tensor t (moves one of its dims, trips > 1)? */
static bool update_relevant(const struct level_view *v, int u, unsigned dims)
{
    return v->trips[u] > 1 && loop_dim(&v->lm->updates[u], dims) >= 0;
}

/* Innermost update that changes t, or -1. */
static int first_relevant(const struct level_view *v, unsigned dims)
{
    for (int u = 0; u < nupdates(v); u++) {
        if (update_relevant(v, u, dims)) {
            return u;
        }
    }
    return -1;
}

/* Trips of updates outside `first` that leave t unchanged: re-fetches. */
static double refetch(const struct level_view *v, unsigned dims, int first)
{
    double factor = 1.0;
    if (first < 0) {
        return factor;
    }
    for (int u = first + 1; u < nupdates(v); u++) {
        if (loop_dim(&v->lm->updates[u], dims) < 0) {
            factor *= (double)v->trips[u];
        }
    }
    return factor;
}

/* Trips of updates inside `first` (all, if none) that leave t unchanged. */
static double stay(const struct level_view *v, unsigned dims, int first)
{
    double factor = 1.0;
    int end = first < 0 ? nupdates(v) : first;
    for (int u = 0; u < end; u++) {
        if (loop_dim(&v->lm->updates[u], dims) < 0) {
            factor *= (double)v->trips[u];
        }
    }
    return factor;
}

static int64_t tile_of(const struct level_view *v, enum kpl_tensor t, int d)
{
    int64_t e = v->lm->tile[t][d];
    if (e <= 0) {
        e = 1;
    }
    return e < v->parent[d] ? e : v->parent[d];
}

/* How a level's copies (stacks) count. */
enum copies {
    COPIES_EACH,  /* every copy separately: per-node DRAM traffic */
    COPIES_UNION, /* each distinct word once: a multicast bus */
    COPIES_FIRST, /* copy 0 only: the busiest buffer */
};

/*
 * Adds the stacks that move t along d.  For a union, copies that overlap or
 * abut fold into one wider tile first; the rest stay separate positions.
 */
static void walk_add_stacks(struct walk *w, const struct level_view *v,
                            unsigned dims, int d, enum copies copies)
{
    struct walk_loop sorted[KPL_MAX_LOOPS];
    int n = 0;
    if (copies == COPIES_FIRST) {
        return;
    }
    for (int j = 0; j < nstacks(v); j++) {
        const struct kpl_loop *s = &v->lm->stacks[j];
        if (loop_dim(s, dims) != d || s->count <= 1) {
            continue;
        }
        int i = n++;
        int64_t step = loop_step(s, d);
        while (i > 0 && sorted[i - 1].step > step) {
            sorted[i] = sorted[i - 1];
            i--;
        }
        sorted[i].count = s->count;
        sorted[i].step = step;
    }

    /* Limitation: copies that overlap with gaps between them (neither
     * contiguous nor disjoint) count as disjoint: a slight over-count. */
    bool contiguous = copies == COPIES_UNION;
    for (int i = 0; i < n; i++) {
        if (contiguous && sorted[i].step <= w->extent) {
            w->extent = kpl_add_sat(w->extent,
                                    kpl_mul_sat(sorted[i].count - 1,
                                                sorted[i].step));
        } else {
            contiguous = false;
            walk_add(w, sorted[i].count, sorted[i].step);
        }
    }
}

/* Adds the updates that change t along d, except update `skip`. */
static void walk_add_updates(struct walk *w, const struct level_view *v,
                             unsigned dims, int d, int skip)
{
    for (int u = 0; u < nupdates(v); u++) {
        const struct kpl_loop *up = &v->lm->updates[u];
        if (u == skip || !update_relevant(v, u, dims) ||
            loop_dim(up, dims) != d) {
            continue;
        }
        walk_add(w, v->trips[u], loop_step(up, d));
    }
}

/*
 * The walks along d of t's sweep of the level: w[0] the whole tiles, and
 * along the dim of t's first relevant update w[1], its later trips, which
 * bring only the new slice: step wide if the step is below the tile, else
 * a whole tile.  Outer updates rewind the inner ones, so their trips bring
 * whole tiles.  Returns the number of walks; base[i] is w[i]'s offset.
 */
static int dim_walks(const struct level_view *v, enum kpl_tensor t, int d,
                     int first, enum copies copies, struct walk w[2],
                     int64_t base[2])
{
    unsigned dims = v->layer->tensor_dims[t];
    int64_t e = tile_of(v, t, d);
    walk_init(&w[0], e);
    walk_add_stacks(&w[0], v, dims, d, copies);
    walk_add_updates(&w[0], v, dims, d, first);
    base[0] = 0;
    if (first < 0 || loop_dim(&v->lm->updates[first], dims) != d) {
        return 1;
    }

    int64_t step = loop_step(&v->lm->updates[first], d);
    int64_t width = step < e ? step : e;
    walk_init(&w[1], width);
    walk_add_stacks(&w[1], v, dims, d, copies);
    walk_add_updates(&w[1], v, dims, d, first);
    walk_add(&w[1], v->trips[first] - 1, step);
    base[1] = step + e - width;
    return 2;
}

/* Product of the counts of stacks that leave t where it is (replicas). */
static double replicas(const struct level_view *v, unsigned dims)
{
    double n = 1.0;
    for (int j = 0; j < nstacks(v); j++) {
        const struct kpl_loop *s = &v->lm->stacks[j];
        if (loop_dim(s, dims) < 0 && s->count > 1) {
            n *= (double)s->count;
        }
    }
    return n;
}

/* Words of t that the level's sweep brings in, before re-fetches. */
static double sweep_words(const struct level_view *v, enum kpl_tensor t,
                          int first, enum copies copies)
{
    unsigned dims = v->layer->tensor_dims[t];
    double words = 1.0;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        struct walk w[2];
        int64_t base[2];
        if (!(dims & KPL_DIM_BIT(d))) {
            continue;
        }
        int n = dim_walks(v, t, d, first, copies, w, base);
        double along = 0.0;
        for (int i = 0; i < n; i++) {
            along += walk_total(&w[i], v->parent[d], base[i]);
        }
        words *= along;
    }
    return copies == COPIES_EACH ? words * replicas(v, dims) : words;
}

/*
 * Words of t that the PE arrays receive: the REGF sweep (each distinct
 * word once per array) inside every GBUF tile position that moves t, each
 * tile clipped at the layer's edge; node 0 (COPIES_FIRST) or all nodes
 * (COPIES_EACH).
 */
static double array_words(const struct level_view *g,
                          const struct level_view *r, enum kpl_tensor t,
                          int first, enum copies copies)
{
    unsigned dims = g->layer->tensor_dims[t];
    double words = 1.0;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        struct walk inner[2];
        int64_t base[2];
        struct walk outer;
        if (!(dims & KPL_DIM_BIT(d))) {
            continue;
        }
        int ninner = dim_walks(r, t, d, first, COPIES_UNION, inner, base);
        walk_init(&outer, tile_of(g, t, d));
        outer.ninner = ninner;
        for (int i = 0; i < ninner; i++) {
            outer.inner[i] = &inner[i];
            outer.inner_base[i] = base[i];
        }
        walk_add_stacks(&outer, g, dims, d, copies);
        walk_add_updates(&outer, g, dims, d, -1);
        words *= walk_total(&outer, g->parent[d], 0);
    }
    return copies == COPIES_EACH ? words * replicas(g, dims) : words;
}

/* The first loop dimension (N..S) an update moves, or -1. */
static int update_loop_dim(const struct kpl_loop *u)
{
    return loop_dim(u, (1u << KPL_LOOP_DIMS) - 1u);
}

/*
 * Extent of loop dim d in one tile of the level.  A window dim that no
 * tensor has (pooling) spans what the ifm tile leaves for it beside the
 * ofm tile: Xi - (Xo - 1) * stride.
 */
static int64_t loop_extent(const struct level_view *v, int d)
{
    const struct kpl_layer *l = v->layer;
    int64_t ext = kpl_tile_extent(l, v->lm, v->parent[d], (enum kpl_dim)d);
    unsigned all = 0;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        all |= l->tensor_dims[t];
    }
    if ((d == KPL_DIM_R || d == KPL_DIM_S) && !(all & KPL_DIM_BIT(d))) {
        int in = d == KPL_DIM_R ? KPL_DIM_XI : KPL_DIM_YI;
        int out = d == KPL_DIM_R ? KPL_DIM_XO : KPL_DIM_YO;
        int64_t stride = d == KPL_DIM_R ? l->stride_x : l->stride_y;
        int64_t outs = kpl_tile_extent(l, v->lm, v->parent[out],
                                       (enum kpl_dim)out);
        int64_t room = v->lm->tile[KPL_TENSOR_IFM][in] - (outs - 1) * stride;
        if (room >= 1 && room < ext) {
            ext = room;
        }
    }
    if (ext <= 0) {
        ext = 1;
    }
    return ext < v->parent[d] ? ext : v->parent[d];
}

/*
 * MACs of the busiest PE: PE 0 of node 0, whose tiles are clipped least,
 * over every trip of both levels.  Each update counts along its first loop
 * dimension.
 */
static double busiest_pe_ops(const struct level_view *g,
                             const struct level_view *r)
{
    double ops = 1.0;
    for (int d = 0; d < KPL_LOOP_DIMS; d++) {
        struct walk outer;
        struct walk inner;
        walk_init(&outer, loop_extent(g, d));
        walk_init(&inner, loop_extent(r, d));
        outer.ninner = 1;
        outer.inner[0] = &inner;
        outer.inner_base[0] = 0;
        for (int u = 0; u < nupdates(g); u++) {
            const struct kpl_loop *up = &g->lm->updates[u];
            if (update_loop_dim(up) == d) {
                walk_add(&outer, g->trips[u], loop_step(up, d));
            }
        }
        for (int u = 0; u < nupdates(r); u++) {
            const struct kpl_loop *up = &r->lm->updates[u];
            if (update_loop_dim(up) == d) {
                walk_add(&inner, r->trips[u], loop_step(up, d));
            }
        }
        ops *= walk_total(&outer, g->parent[d], 0);
    }
    return ops;
}

/* ---- NoC distances ---- */

static double mean_edge_distance(int64_t lo, int64_t hi, int64_t size)
{
    if (hi <= lo) {
        return 0.0;
    }
    double sum = 0.0;
    for (int64_t i = lo; i < hi; i++) {
        int64_t far = size - 1 - i;
        sum += (double)(i < far ? i : far);
    }
    return sum / (double)(hi - lo);
}

/* Mean hops from a node of the region to its nearest DRAM port. */
static double dram_distance(const struct kpl_arch *arch,
                            const struct kpl_region *region)
{
    struct kpl_region whole = {0, arch->node_rows, 0, arch->node_cols};
    if (kpl_region_nodes(region) <= 0) {
        region = &whole;
    }
    double cols = mean_edge_distance(region->col0, region->col1,
                                     arch->node_cols);
    switch (arch->dram_place) {
    case KPL_DRAM_CORNERS:
        return cols + mean_edge_distance(region->row0, region->row1,
                                         arch->node_rows);
    case KPL_DRAM_EDGES:
        return cols;
    case KPL_DRAM_STACKED:
        break;
    }
    return 0.0;
}

double kpl_region_distance(const struct kpl_region *a,
                           const struct kpl_region *b)
{
    double drow = (double)(a->row0 + a->row1 - b->row0 - b->row1) / 2.0;
    double dcol = (double)(a->col0 + a->col1 - b->col0 - b->col1) / 2.0;
    return fabs(drow) + fabs(dcol);
}

static const struct kpl_segment *find_segment(const struct kpl_scheme *s,
                                              int layer, int *pos)
{
    for (int i = 0; i < s->nsegment; i++) {
        const struct kpl_segment *seg = &s->segments[i];
        for (int j = 0; j < seg->nlayer; j++) {
            if (seg->layers[j] == layer) {
                *pos = j;
                return seg;
            }
        }
    }
    return NULL;
}

/* Mean hops from the producers in the segment to the layer's region. */
static double forward_distance(const struct kpl_scheme *scheme, int layer,
                               const struct kpl_layer_ctx *ctx)
{
    int pos = 0;
    const struct kpl_segment *seg = find_segment(scheme, layer, &pos);
    const struct kpl_layer *l = &scheme->net->layers[layer];
    if (seg == NULL || seg->regions == NULL) {
        return 0.0;
    }
    double sum = 0.0;
    int n = 0;
    for (int p = 0; p < l->nprev; p++) {
        for (int j = 0; j < seg->nlayer && !l->prev[p].is_input; j++) {
            if (seg->layers[j] == l->prev[p].index) {
                sum += kpl_region_distance(&seg->regions[j], &ctx->region);
                n++;
            }
        }
    }
    return n > 0 ? sum / (double)n : 0.0;
}

/* ---- the layer ---- */

/*
 * Limitation: the flags name the ifm and ofm tensors; a backward layer,
 * whose forwarded tensor is another one, is not special-cased.
 */
static bool tensor_on_chip(const struct kpl_layer_ctx *ctx,
                           enum kpl_tensor t)
{
    return (t == KPL_TENSOR_IFM && ctx->ifm_on_chip) ||
           (t == KPL_TENSOR_OFM && ctx->ofm_on_chip);
}

/* Fraction of the mesh that the region holds (static power share). */
static double region_share(const struct kpl_arch *arch,
                           const struct kpl_region *region)
{
    double mesh = (double)kpl_mul_sat(arch->node_rows, arch->node_cols);
    double nodes = (double)kpl_region_nodes(region);
    if (mesh <= 0.0 || nodes <= 0.0) {
        return 1.0;
    }
    return nodes < mesh ? nodes / mesh : 1.0;
}

struct tensor_flow {
    double dram;   /* words fetched from (or spilled to) the outside */
    double bus;    /* GBUF <-> PE array words, all nodes */
    double bus_node; /* the same, busiest node */
    double rotate; /* words moved between nodes that share a tile */
};

/* Trips of the level's updates that leave t where it is. */
static double idle_trips(const struct level_view *v, unsigned dims)
{
    double factor = 1.0;
    for (int u = 0; u < nupdates(v); u++) {
        if (loop_dim(&v->lm->updates[u], dims) < 0) {
            factor *= (double)v->trips[u];
        }
    }
    return factor;
}

static void tensor_flow(const struct level_view *g, const struct level_view *r,
                        enum kpl_tensor t, struct tensor_flow *f)
{
    unsigned dims = g->layer->tensor_dims[t];
    bool rmw = t == g->layer->out;

    /* GBUF level: each node's own copy, fetched from DRAM. */
    int fg = first_relevant(g, dims);
    double sweep = sweep_words(g, t, fg, COPIES_EACH);
    double sweep_node = sweep_words(g, t, fg, COPIES_FIRST);
    double visits = sweep * refetch(g, dims, fg);
    double share = g->lm->share[t] > 1 ? (double)g->lm->share[t] : 1.0;
    f->dram = (rmw ? 2.0 * visits - sweep : visits) / share;
    f->rotate = f->dram * (share - 1.0);

    /*
     * REGF level, rerun at every GBUF position; a tensor that no REGF
     * update changes stays in the PEs across GBUF trips that keep it.
     * Limitation: inside a clipped GBUF tile the REGF trip counts stay
     * those of a full tile, so a re-fetch caused by a trip that lies
     * wholly past the edge is still counted.  REGF `shared k` changes
     * capacity only: rotation between PEs is free.
     */
    int fr = first_relevant(r, dims);
    double again = refetch(r, dims, fr) * idle_trips(g, dims);
    if (fr < 0) {
        again /= stay(g, dims, fg);
    }
    f->bus = array_words(g, r, t, fr, COPIES_EACH) * again;
    f->bus_node = array_words(g, r, t, fr, COPIES_FIRST) * again;
    if (rmw) {
        f->bus = 2.0 * f->bus - fmin(sweep, f->bus);
        f->bus_node = 2.0 * f->bus_node - fmin(sweep_node, f->bus_node);
    }
}

static void layer_time(const struct kpl_arch *arch, double busiest_ops,
                       double bus_node_words, struct kpl_layer_cost *out)
{
    out->compute_cycles = ceil(busiest_ops);

    out->dram_cycles = 0.0;
    if (arch->dram_bw > 0.0) {
        double bytes = out->dram_words * (double)arch->word_bits / 8.0;
        out->dram_cycles = ceil(bytes / arch->dram_bw);
    }

    out->bus_cycles = 0.0;
    if (arch->bus_bits > 0 && arch->word_bits > 0) {
        double per_cycle = (double)arch->bus_bits / (double)arch->word_bits;
        out->bus_cycles = ceil(bus_node_words / per_cycle);
    }

    out->cycles = fmax(out->compute_cycles,
                       fmax(out->dram_cycles, out->bus_cycles));
}

static void layer_energy(const struct kpl_arch *arch,
                         const struct kpl_layer_ctx *ctx,
                         struct kpl_layer_cost *out)
{
    struct kpl_energy *e = &out->energy;
    e->mac = out->ops * arch->e_mac;
    e->dram = out->dram_words * arch->e_dram;
    e->gbuf = out->gbuf_words * arch->e_gbuf;
    e->bus = out->bus_words * arch->e_bus;
    e->regf = out->regf_words * arch->e_regf;
    e->noc = out->hops * arch->e_hop;
    e->stat = arch->static_pj_per_cycle * out->cycles *
              region_share(arch, &ctx->region);
}

void kpl_cost_layer(const struct kpl_scheme *scheme, int layer,
                    const struct kpl_layer_ctx *ctx,
                    struct kpl_layer_cost *out)
{
    const struct kpl_layer *l = &scheme->net->layers[layer];
    const struct kpl_arch *arch = scheme->arch;
    struct level_view g;
    struct level_view r;
    *out = (struct kpl_layer_cost){0};
    if (!scheme->maps[layer].present) {
        return;
    }
    level_view_init(&g, scheme, layer, KPL_LEVEL_GBUF);
    level_view_init(&r, scheme, layer, KPL_LEVEL_REGF);
    out->ops = (double)kpl_layer_ops(l, scheme->batch);

    double dram_hop = dram_distance(arch, &ctx->region);
    double bus_node = 0.0;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (l->tensor_dims[t] == 0) {
            continue;
        }
        struct tensor_flow f;
        tensor_flow(&g, &r, (enum kpl_tensor)t, &f);
        bool on_chip = tensor_on_chip(ctx, (enum kpl_tensor)t);

        /* A forwarded tensor is a remote GBUF access instead of DRAM. */
        out->regf_words += t == (int)l->out ? 2.0 * out->ops : out->ops;
        out->bus_words += f.bus;
        out->gbuf_words += f.bus + f.dram + 2.0 * f.rotate;
        out->hops += f.rotate;
        if (on_chip) {
            if (t == KPL_TENSOR_IFM) {
                out->hops += f.dram * (ctx->ifm_hops_given
                                           ? ctx->ifm_hops
                                           : forward_distance(scheme, layer,
                                                              ctx));
            }
        } else {
            out->dram_words += f.dram;
            out->hops += f.dram * dram_hop;
        }
        bus_node += f.bus_node;
    }

    layer_time(arch, busiest_pe_ops(&g, &r), bus_node, out);
    layer_energy(arch, ctx, out);
}

double kpl_energy_total(const struct kpl_energy *e)
{
    return e->mac + e->dram + e->gbuf + e->bus + e->regf + e->noc + e->stat;
}

/* ---- contexts, segments and the scheme ---- */

static bool in_segment(const struct kpl_segment *seg, int layer)
{
    for (int j = 0; j < seg->nlayer; j++) {
        if (seg->layers[j] == layer) {
            return true;
        }
    }
    return false;
}

static bool consumes(const struct kpl_layer *l, int producer)
{
    for (int p = 0; p < l->nprev; p++) {
        if (!l->prev[p].is_input && l->prev[p].index == producer) {
            return true;
        }
    }
    return false;
}

void kpl_layer_context(const struct kpl_scheme *scheme, int layer,
                       struct kpl_layer_ctx *out)
{
    const struct kpl_arch *arch = scheme->arch;
    const struct kpl_network *net = scheme->net;
    const struct kpl_layer *l = &net->layers[layer];
    int pos = 0;
    const struct kpl_segment *seg = find_segment(scheme, layer, &pos);

    *out = (struct kpl_layer_ctx){
        .region = {0, arch->node_rows, 0, arch->node_cols},
    };
    if (seg == NULL) {
        return;
    }
    if (seg->regions != NULL) {
        out->region = seg->regions[pos];
    }

    /* On chip only when every producer (consumer) is in the segment.
     * Limitation: a layer with some producers outside the segment is
     * charged DRAM for all of its input. */
    bool all_in = l->nprev > 0;
    for (int p = 0; p < l->nprev; p++) {
        if (l->prev[p].is_input || !in_segment(seg, l->prev[p].index)) {
            all_in = false;
        }
    }
    out->ifm_on_chip = all_in;

    int consumers = 0;
    all_in = true;
    for (int i = layer + 1; i < net->nlayer; i++) {
        if (consumes(&net->layers[i], layer)) {
            consumers++;
            all_in = all_in && in_segment(seg, i);
        }
    }
    out->ofm_on_chip = consumers > 0 && all_in;
}

/* Pipeline groups of a spatial segment: its layers' outermost GBUF trips. */
static double pipeline_groups(const struct kpl_scheme *scheme,
                              const struct kpl_segment *seg)
{
    double groups = 0.0;
    for (int j = 0; j < seg->nlayer; j++) {
        int i = seg->layers[j];
        if (!scheme->maps[i].present) {
            continue;
        }
        struct level_view g;
        level_view_init(&g, scheme, i, KPL_LEVEL_GBUF);
        int n = nupdates(&g);
        double outer = n > 0 ? (double)g.trips[n - 1] : 1.0;
        if (groups == 0.0 || outer < groups) {
            groups = outer;
        }
    }
    return groups > 0.0 ? groups : 1.0;
}

static double segment_cycles(const struct kpl_scheme *scheme,
                             const struct kpl_segment *seg,
                             const struct kpl_layer_cost *layers)
{
    double sum = 0.0;
    double slowest = 0.0;
    double dram = 0.0;
    for (int j = 0; j < seg->nlayer; j++) {
        const struct kpl_layer_cost *c = &layers[seg->layers[j]];
        sum += c->cycles;
        slowest = fmax(slowest, c->cycles);
        dram += c->dram_cycles;
    }
    if (!seg->spatial || seg->nlayer <= 1) {
        return sum;
    }

    /* Slowest stage for every group, plus one group of each other stage;
     * the regions share the DRAM bandwidth. */
    double groups = pipeline_groups(scheme, seg);
    double piped = slowest + (sum - slowest) / groups;
    return fmax(ceil(piped), dram);
}

static void energy_add(struct kpl_energy *sum, const struct kpl_energy *e)
{
    sum->mac += e->mac;
    sum->dram += e->dram;
    sum->gbuf += e->gbuf;
    sum->bus += e->bus;
    sum->regf += e->regf;
    sum->noc += e->noc;
    sum->stat += e->stat;
}

int kpl_cost_scheme(const struct kpl_scheme *scheme, struct kpl_arena *arena,
                    struct kpl_scheme_cost *out)
{
    const struct kpl_arch *arch = scheme->arch;
    int nlayer = scheme->net->nlayer;
    *out = (struct kpl_scheme_cost){0};
    out->layers = kpl_arena_array(arena, (size_t)(nlayer > 0 ? nlayer : 1),
                                  sizeof *out->layers);
    out->segment_cycles = kpl_arena_array(
        arena, (size_t)(scheme->nsegment > 0 ? scheme->nsegment : 1),
        sizeof *out->segment_cycles);
    if (out->layers == NULL || out->segment_cycles == NULL) {
        return -1;
    }
    out->nlayer = nlayer;
    out->nsegment = scheme->nsegment;

    for (int i = 0; i < nlayer; i++) {
        struct kpl_layer_ctx ctx;
        kpl_layer_context(scheme, i, &ctx);
        kpl_cost_layer(scheme, i, &ctx, &out->layers[i]);
    }

    /* Segments; a spatial segment's regions stay powered for all of it. */
    for (int s = 0; s < scheme->nsegment; s++) {
        const struct kpl_segment *seg = &scheme->segments[s];
        double cycles = segment_cycles(scheme, seg, out->layers);
        out->segment_cycles[s] = cycles;
        out->total_cycles += cycles;
        for (int j = 0; seg->spatial && j < seg->nlayer; j++) {
            struct kpl_layer_ctx ctx;
            kpl_layer_context(scheme, seg->layers[j], &ctx);
            out->layers[seg->layers[j]].energy.stat =
                arch->static_pj_per_cycle * cycles *
                region_share(arch, &ctx.region);
        }
    }

    /* Mapped layers that no segment names run alone. */
    for (int i = 0; i < nlayer; i++) {
        int pos = 0;
        if (find_segment(scheme, i, &pos) == NULL) {
            out->total_cycles += out->layers[i].cycles;
        }
        energy_add(&out->total, &out->layers[i].energy);
    }
    out->total_energy = kpl_energy_total(&out->total);
    return 0;
}

/* ---- text summary ---- */

/* Picks a unit so that the value prints with 1 to 3 integer digits. */
static void format_energy(double pj, char *buf, size_t size)
{
    static const char *const units[] = {"pJ", "nJ", "uJ", "mJ", "J", "kJ"};
    double value = pj;
    int unit = 0;
    while (fabs(value) >= 1000.0 && unit < 5) {
        value /= 1000.0;
        unit++;
    }
    (void)snprintf(buf, size, "%.3f %s", value, units[unit]);
}

static void format_time(double seconds, char *buf, size_t size)
{
    static const char *const units[] = {"s", "ms", "us", "ns"};
    double value = seconds;
    int unit = 0;
    while (value != 0.0 && fabs(value) < 1.0 && unit < 3) {
        value *= 1000.0;
        unit++;
    }
    (void)snprintf(buf, size, "%.3f %s", value, units[unit]);
}

static void render_component(struct kpl_buf *out, const char *name,
                             double pj, double total)
{
    char text[64];
    format_energy(pj, text, sizeof text);
    double percent = total > 0.0 ? 100.0 * pj / total : 0.0;
    kpl_buf_printf(out, "  %-7s %14s %6.1f%%\n", name, text, percent);
}

static void render_layers(const struct kpl_scheme *scheme,
                          const struct kpl_scheme_cost *cost,
                          struct kpl_buf *out)
{
    kpl_buf_printf(out, "%-12s %11s %10s %9s %9s %9s %9s\n", "layer",
                   "energy", "cycles", "dram", "gbuf", "bus", "regf");
    for (int i = 0; i < cost->nlayer; i++) {
        const struct kpl_layer_cost *c = &cost->layers[i];
        char text[64];
        if (!scheme->maps[i].present) {
            continue;
        }
        format_energy(kpl_energy_total(&c->energy), text, sizeof text);
        kpl_buf_printf(out, "%-12s %11s %10.0f %9.3g %9.3g %9.3g %9.3g\n",
                       scheme->net->layers[i].name, text, c->cycles,
                       c->dram_words, c->gbuf_words, c->bus_words,
                       c->regf_words);
    }
}

void kpl_cost_render_text(const struct kpl_scheme *scheme,
                          const struct kpl_scheme_cost *cost, bool per_layer,
                          struct kpl_buf *out)
{
    const struct kpl_energy *e = &cost->total;
    double total = cost->total_energy;
    char text[64];

    format_energy(total, text, sizeof text);
    kpl_buf_printf(out, "energy %s\n", text);
    render_component(out, "mac", e->mac, total);
    render_component(out, "dram", e->dram, total);
    render_component(out, "gbuf", e->gbuf, total);
    render_component(out, "bus", e->bus, total);
    render_component(out, "regf", e->regf, total);
    render_component(out, "noc", e->noc, total);
    render_component(out, "static", e->stat, total);

    kpl_buf_printf(out, "time %.0f cycles", cost->total_cycles);
    if (scheme->arch->freq_mhz > 0.0) {
        format_time(cost->total_cycles / (scheme->arch->freq_mhz * 1e6),
                    text, sizeof text);
        kpl_buf_printf(out, " (%s at %g MHz)", text, scheme->arch->freq_mhz);
    }
    kpl_buf_puts(out, "\n");

    if (per_layer) {
        render_layers(scheme, cost, out);
    }
}
