/*
 * Plans: the solver's compact mapping form, its rules, its fast estimate
 * and its translation into the IR's level maps (see plan.h).
 */
#include "solver/plan.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { GROUP_BATCH, GROUP_CHANNEL_IN, GROUP_CHANNEL_OUT };

/* Group permutations, innermost first. */
static const int group_orders[PLAN_ORDERS][3] = {
    {GROUP_BATCH, GROUP_CHANNEL_IN, GROUP_CHANNEL_OUT},
    {GROUP_BATCH, GROUP_CHANNEL_OUT, GROUP_CHANNEL_IN},
    {GROUP_CHANNEL_IN, GROUP_BATCH, GROUP_CHANNEL_OUT},
    {GROUP_CHANNEL_IN, GROUP_CHANNEL_OUT, GROUP_BATCH},
    {GROUP_CHANNEL_OUT, GROUP_BATCH, GROUP_CHANNEL_IN},
    {GROUP_CHANNEL_OUT, GROUP_CHANNEL_IN, GROUP_BATCH},
};

/* Dims of each group, innermost first. */
static const int group_dims[3][3] = {
    {KPL_DIM_YO, KPL_DIM_XO, KPL_DIM_N},
    {KPL_DIM_S, KPL_DIM_R, KPL_DIM_C},
    {KPL_DIM_K, -1, -1},
};

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static double mean_dram_hops(const struct kpl_arch *arch,
                             const struct kpl_region *region)
{
    int64_t rows = arch->node_rows;
    int64_t cols = arch->node_cols;
    double sum = 0;
    int64_t count = 0;

    if (arch->dram_place == KPL_DRAM_STACKED) {
        return 0;
    }
    for (int64_t r = region->row0; r < region->row1; r++) {
        for (int64_t c = region->col0; c < region->col1; c++) {
            int64_t dr = r < rows - 1 - r ? r : rows - 1 - r;
            int64_t dc = c < cols - 1 - c ? c : cols - 1 - c;
            sum += (double)(arch->dram_place == KPL_DRAM_EDGES ? dc
                                                               : dr + dc);
            count++;
        }
    }
    return count > 0 ? sum / (double)count : 0;
}

void plan_ctx_init(struct plan_ctx *ctx, const struct kpl_layer *layer,
                   const struct kpl_arch *arch, int64_t batch,
                   enum kpl_goal goal, const struct kpl_region *region)
{
    const unsigned loop_mask = (1u << PLAN_DIMS) - 1;

    *ctx = (struct plan_ctx){0};
    ctx->layer = layer;
    ctx->arch = arch;
    ctx->batch = batch;
    ctx->goal = goal;
    for (int d = 0; d < PLAN_DIMS; d++) {
        ctx->ext[d] = kpl_layer_extent(layer, batch, (enum kpl_dim)d);
    }
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        unsigned dims = layer->tensor_dims[t];
        unsigned rel = dims & loop_mask;
        if (dims & KPL_DIM_BIT(KPL_DIM_XI)) {
            rel |= KPL_DIM_BIT(KPL_DIM_XO) | KPL_DIM_BIT(KPL_DIM_R);
        }
        if (dims & KPL_DIM_BIT(KPL_DIM_YI)) {
            rel |= KPL_DIM_BIT(KPL_DIM_YO) | KPL_DIM_BIT(KPL_DIM_S);
        }
        ctx->rel[t] = rel;
        for (int d = 0; d < PLAN_DIMS; d++) {
            if (rel & KPL_DIM_BIT(d)) {
                ctx->rel_dim[t][ctx->rel_ndim[t]++] = d;
            }
        }
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (dims & KPL_DIM_BIT(d)) {
                ctx->tensor_dim[t][ctx->tensor_ndim[t]++] = d;
            }
        }
        ctx->direct |= dims & loop_mask;
    }
    ctx->region = *region;
    ctx->nodes = kpl_region_nodes(region);
    ctx->chip_nodes = kpl_mul_sat(arch->node_rows, arch->node_cols);
    ctx->dram_hops = mean_dram_hops(arch, region);
    ctx->words[KPL_LEVEL_REGF] = kpl_arch_words(arch, KPL_LEVEL_REGF);
    ctx->words[KPL_LEVEL_GBUF] = kpl_arch_words(arch, KPL_LEVEL_GBUF);
    ctx->pes = kpl_mul_sat(arch->pe_rows, arch->pe_cols);
    ctx->ops = (double)kpl_layer_ops(layer, batch);
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        ctx->tensor_size[t] = (double)kpl_layer_tensor_words(
            layer, batch, (enum kpl_tensor)t);
    }
}

struct kpl_layer_ctx plan_cost_ctx(const struct plan_ctx *ctx)
{
    return (struct kpl_layer_ctx){
        .region = ctx->region,
        .ifm_on_chip = ctx->ifm_on_chip,
        .ofm_on_chip = ctx->ofm_on_chip,
        .ifm_hops_given = true,
        .ifm_hops = ctx->ifm_hops,
    };
}

bool plan_dim_free(const struct plan_ctx *ctx, int d)
{
    return (ctx->direct & KPL_DIM_BIT(d)) == 0;
}

static int64_t parent_of(const struct plan_ctx *ctx, const struct plan *p,
                         enum kpl_level lv, int d)
{
    return lv == KPL_LEVEL_GBUF ? ctx->ext[d]
                                : p->lv[KPL_LEVEL_GBUF].tile[d];
}

int64_t plan_trips(const struct plan *p, enum kpl_level lv, int d,
                   const struct plan_ctx *ctx)
{
    const struct plan_level *l = &p->lv[lv];
    int64_t covered = l->tile[d] * l->stack[d];
    int64_t parent = parent_of(ctx, p, lv, d);
    return covered >= parent ? 1 : ceil_div(parent, covered);
}

/* Extent of tensor dim d (Xi, Yi derived) for loop tiles. */
static inline int64_t tensor_extent(const struct plan_ctx *ctx,
                             const int64_t tile[PLAN_DIMS], int d)
{
    const struct kpl_layer *l = ctx->layer;
    if (d == KPL_DIM_XI) {
        return (tile[KPL_DIM_XO] - 1) * l->stride_x + tile[KPL_DIM_R];
    }
    if (d == KPL_DIM_YI) {
        return (tile[KPL_DIM_YO] - 1) * l->stride_y + tile[KPL_DIM_S];
    }
    return tile[d];
}

static int64_t tensor_words(const struct plan_ctx *ctx,
                            const int64_t tile[PLAN_DIMS], int t)
{
    int64_t words = 1;
    for (int i = 0; i < ctx->tensor_ndim[t]; i++) {
        words *= tensor_extent(ctx, tile, ctx->tensor_dim[t][i]);
    }
    return words;
}

int64_t plan_tensor_words(const struct plan_ctx *ctx,
                          const int64_t tile[PLAN_DIMS], int t)
{
    return tensor_words(ctx, tile, t);
}

int64_t plan_words(const struct plan_ctx *ctx, const struct plan *p,
                   enum kpl_level lv)
{
    int64_t words = 0;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (ctx->tensor_ndim[t] != 0) {
            words = kpl_add_sat(words, tensor_words(ctx, p->lv[lv].tile, t));
        }
    }
    return words;
}

/* Stack counts are bounded by the nodes or PEs, so the product is small. */
int64_t plan_level_copies(const struct plan_level *l)
{
    int64_t copies = 1;
    for (int d = 0; d < PLAN_DIMS; d++) {
        copies *= l->stack[d];
    }
    return copies;
}

/* Window dim paired with an output dim, and back. */
static int window_of(int d)
{
    return d == KPL_DIM_XO ? KPL_DIM_R : d == KPL_DIM_YO ? KPL_DIM_S : -1;
}

/*
 * A dim no tensor names keeps its whole extent, except a pooling window at
 * the REGF level: the ifm tile alone then selects the window rows a PE
 * adds up, which is exact while the PE array covers every output row of
 * the GBUF tile at once (the input shift of the window update is then the
 * only one that can end its trips).
 */
static bool free_dim_ok(const struct plan_ctx *ctx, const struct plan *p,
                        enum kpl_level lv, int d)
{
    const struct plan_level *l = &p->lv[lv];
    int64_t parent = parent_of(ctx, p, lv, d);
    if (l->stack[d] != 1) {
        return false;
    }
    if (l->tile[d] == parent) {
        return true;
    }
    int out = d == KPL_DIM_R ? KPL_DIM_XO : d == KPL_DIM_S ? KPL_DIM_YO : -1;
    if (lv != KPL_LEVEL_REGF || out < 0 ||
        !(ctx->rel[KPL_TENSOR_IFM] & KPL_DIM_BIT(d))) {
        return false;
    }
    return l->tile[out] * l->stack[out] == parent_of(ctx, p, lv, out);
}

bool plan_level_valid(const struct plan_ctx *ctx, const struct plan *p,
                        enum kpl_level lv)
{
    const struct plan_level *l = &p->lv[lv];
    int64_t limit = lv == KPL_LEVEL_GBUF ? ctx->nodes : ctx->pes;

    for (int d = 0; d < PLAN_DIMS; d++) {
        int64_t parent = parent_of(ctx, p, lv, d);
        int64_t covered = l->tile[d] * l->stack[d];
        if (l->tile[d] < 1 || l->tile[d] > parent || l->stack[d] < 1) {
            return false;
        }
        if (plan_dim_free(ctx, d) && !free_dim_ok(ctx, p, lv, d)) {
            return false;
        }
        if ((d == KPL_DIM_R || d == KPL_DIM_S) && covered > parent) {
            return false;
        }
        int w = window_of(d);
        if (w >= 0 && covered > parent && plan_trips(p, lv, w, ctx) > 1) {
            return false;
        }
    }
    if (plan_level_copies(l) > limit) {
        return false;
    }
    return plan_words(ctx, p, lv) <= ctx->words[lv];
}

bool plan_valid(const struct plan_ctx *ctx, const struct plan *p)
{
    return plan_level_valid(ctx, p, KPL_LEVEL_GBUF) &&
           plan_level_valid(ctx, p, KPL_LEVEL_REGF);
}

/* Update dims of a level from its trip counts, innermost first. */
static int update_dims(int order, const int64_t trips[PLAN_DIMS],
                       int dims[PLAN_DIMS])
{
    int n = 0;
    const int *groups = group_orders[order];
    for (int g = 0; g < 3; g++) {
        for (int i = 0; i < 3; i++) {
            int d = group_dims[groups[g]][i];
            if (d >= 0 && trips[d] > 1) {
                dims[n++] = d;
            }
        }
    }
    return n;
}

int plan_order_dims(int order, const int64_t trips[PLAN_DIMS],
                    int dims[PLAN_DIMS])
{
    return update_dims(order, trips, dims);
}

int plan_update_dims(const struct plan_ctx *ctx, const struct plan *p,
                     enum kpl_level lv, int dims[PLAN_DIMS])
{
    int64_t trips[PLAN_DIMS];
    for (int d = 0; d < PLAN_DIMS; d++) {
        trips[d] = plan_trips(p, lv, d, ctx);
    }
    return update_dims(p->lv[lv].order, trips, dims);
}

/* Share of a tensor's tile that is new after one step along d. */
static double new_fraction(const struct plan_ctx *ctx,
                           const struct plan_level *l, int t, int d)
{
    const struct kpl_layer *layer = ctx->layer;
    int64_t step = l->tile[d] * l->stack[d];
    int input = d == KPL_DIM_XO || d == KPL_DIM_R   ? KPL_DIM_XI
                : d == KPL_DIM_YO || d == KPL_DIM_S ? KPL_DIM_YI
                                                    : -1;
    if ((layer->tensor_dims[t] & KPL_DIM_BIT(d)) || input < 0) {
        return 1;
    }
    int64_t stride = input == KPL_DIM_XI ? layer->stride_x : layer->stride_y;
    int64_t shift = (d == KPL_DIM_XO || d == KPL_DIM_YO) ? step * stride
                                                         : step;
    int64_t extent = tensor_extent(ctx, l->tile, input);
    return shift >= extent ? 1 : (double)shift / (double)extent;
}

/* Trips and update dims of one level, and its iterations. */
struct loops {
    int64_t trips[PLAN_DIMS];
    int dims[PLAN_DIMS];
    int n;
    double iters;
};

static void loops_init(const struct plan_ctx *ctx, const struct plan *p,
                       enum kpl_level lv, struct loops *lp)
{
    lp->iters = 1;
    for (int d = 0; d < PLAN_DIMS; d++) {
        lp->trips[d] = plan_trips(p, lv, d, ctx);
        lp->iters *= (double)lp->trips[d];
    }
    lp->n = update_dims(p->lv[lv].order, lp->trips, lp->dims);
}

/* Per-copy traffic of tensor t into a level, per run of the level. */
struct flow {
    double unit;    /* distinct words the updates bring in */
    double refetch; /* times the outer irrelevant updates repeat it */
    bool touched;   /* some update changes the tile */
};

static void level_flow(const struct plan_ctx *ctx, const struct plan *p,
                       const struct loops *lp, enum kpl_level lv, int t,
                       struct flow *out)
{
    const struct plan_level *l = &p->lv[lv];

    out->unit = (double)tensor_words(ctx, l->tile, t);
    out->refetch = 1;
    out->touched = false;
    for (int i = 0; i < lp->n; i++) {
        int d = lp->dims[i];
        double trips = (double)lp->trips[d];
        if (ctx->rel[t] & KPL_DIM_BIT(d)) {
            if (!out->touched) {
                out->unit *= 1 + (trips - 1) * new_fraction(ctx, l, t, d);
                out->touched = true;
            } else {
                out->unit *= trips;
            }
        } else if (out->touched) {
            out->refetch *= trips;
        }
    }
}

/* Product over the dims tensor t depends on of v (trips or stacks). */
static double relevant_product(const struct plan_ctx *ctx,
                               const int64_t v[PLAN_DIMS], int t)
{
    int64_t product = 1;
    for (int i = 0; i < ctx->rel_ndim[t]; i++) {
        product *= v[ctx->rel_dim[t][i]];
    }
    return (double)product;
}

void plan_outer_init(const struct plan_ctx *ctx, const struct plan *p,
                     struct plan_outer *out)
{
    struct loops lp;
    loops_init(ctx, p, KPL_LEVEL_GBUF, &lp);
    out->iters = lp.iters;
    out->nodes = (double)plan_level_copies(&p->lv[KPL_LEVEL_GBUF]);
    out->dram = out->remote = out->remote_hops = 0;

    /* DRAM (or a pipelined neighbour) to GBUF.  The read-modify-write
     * tensor is written on every visit and read back on all but each
     * node's first sweep (partial sums of a node partition over a dim it
     * does not depend on are summed in DRAM, one sweep per node). */
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (ctx->tensor_ndim[t] == 0) {
            continue;
        }
        struct flow g;
        level_flow(ctx, p, &lp, KPL_LEVEL_GBUF, t, &g);
        double first = g.unit * out->nodes;
        double visits = first * g.refetch;
        double words = t == (int)ctx->layer->out
                           ? 2 * visits - (visits < first ? visits : first)
                           : visits;
        bool on_chip = (t == KPL_TENSOR_IFM && ctx->ifm_on_chip) ||
                       (t == KPL_TENSOR_OFM && ctx->ofm_on_chip);
        if (on_chip) {
            out->remote += words;
            out->remote_hops += t == KPL_TENSOR_IFM ? words * ctx->ifm_hops
                                                    : 0;
        } else {
            out->dram += words;
        }
        out->first[t] = first;
        out->idle_reloads[t] =
            relevant_product(ctx, lp.trips, t) * g.refetch;
    }
}

/* GBUF to the PE array: the bus words of tensor t. */
static double tensor_bus(const struct plan_ctx *ctx, const struct plan *p,
                         const struct plan_outer *outer,
                         const struct loops *lp, int t)
{
    struct flow r;
    level_flow(ctx, p, lp, KPL_LEVEL_REGF, t, &r);
    double reloads = r.touched ? outer->iters : outer->idle_reloads[t];
    double distinct =
        relevant_product(ctx, p->lv[KPL_LEVEL_REGF].stack, t);
    double visits = r.unit * r.refetch * distinct * reloads * outer->nodes;
    double first = outer->first[t];
    return t == (int)ctx->layer->out
               ? 2 * visits - (visits < first ? visits : first)
               : visits;
}

void plan_estimate_in(const struct plan_ctx *ctx,
                      const struct plan_outer *outer, const struct plan *p,
                      struct plan_est *out)
{
    const struct kpl_arch *arch = ctx->arch;
    struct loops lp;
    loops_init(ctx, p, KPL_LEVEL_REGF, &lp);
    double bus = 0, regf = 0;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (ctx->tensor_ndim[t] != 0) {
            bus += tensor_bus(ctx, p, outer, &lp, t);
            regf += t == (int)ctx->layer->out ? 2 * ctx->ops : ctx->ops;
        }
    }

    double compute = lp.iters * outer->iters;
    for (int d = 0; d < PLAN_DIMS; d++) {
        compute *= (double)p->lv[KPL_LEVEL_REGF].tile[d];
    }
    double word_bytes = (double)arch->word_bits / 8.0;
    double dram_cycles = arch->dram_bw > 0
                             ? outer->dram * word_bytes / arch->dram_bw
                             : 0;
    double bus_words = arch->bus_bits > 0
                           ? (double)arch->bus_bits / (double)arch->word_bits
                           : 0;
    double bus_cycles = bus_words > 0 ? bus / outer->nodes / bus_words : 0;
    double cycles = compute;
    cycles = dram_cycles > cycles ? dram_cycles : cycles;
    cycles = bus_cycles > cycles ? bus_cycles : cycles;

    double share = ctx->chip_nodes > 0
                       ? (double)ctx->nodes / (double)ctx->chip_nodes
                       : 1;
    /* A forwarded tensor's words are GBUF accesses like DRAM words
     * (checker/cost.c); the ifm's also cross the NoC from its producers. */
    double gbuf = bus + outer->dram + outer->remote;
    out->cycles = cycles;
    out->dram_words = outer->dram;
    out->energy = arch->e_mac * ctx->ops + arch->e_regf * regf +
                  arch->e_bus * bus + arch->e_gbuf * gbuf +
                  arch->e_dram * outer->dram +
                  arch->e_hop * (outer->dram * ctx->dram_hops +
                                 outer->remote_hops) +
                  arch->static_pj_per_cycle * cycles * share;
}

void plan_estimate(const struct plan_ctx *ctx, const struct plan *p,
                   struct plan_est *out)
{
    struct plan_outer outer;
    plan_outer_init(ctx, p, &outer);
    plan_estimate_in(ctx, &outer, p, out);
}

double plan_objective(enum kpl_goal goal, const struct plan_est *est)
{
    switch (goal) {
    case KPL_GOAL_DELAY:
        return est->cycles * (1 + 1e-9) + est->energy * 1e-12;
    case KPL_GOAL_EDP:
        return est->energy * est->cycles;
    case KPL_GOAL_ENERGY:
        break;
    }
    return est->energy;
}

/* Shifts of a loop over loop dim d with the given step. */
static void loop_shifts(const struct plan_ctx *ctx, int d, int64_t step,
                        struct kpl_loop *loop)
{
    const struct kpl_layer *l = ctx->layer;
    bool has_xi = false, has_yi = false;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        has_xi |= (l->tensor_dims[t] & KPL_DIM_BIT(KPL_DIM_XI)) != 0;
        has_yi |= (l->tensor_dims[t] & KPL_DIM_BIT(KPL_DIM_YI)) != 0;
    }

    loop->nshift = 0;
    if (!plan_dim_free(ctx, d)) {
        loop->shifts[loop->nshift++] =
            (struct kpl_shift){.dim = (enum kpl_dim)d, .step = step};
    }
    if (has_xi && (d == KPL_DIM_XO || d == KPL_DIM_R)) {
        int64_t s = d == KPL_DIM_XO ? step * l->stride_x : step;
        loop->shifts[loop->nshift++] =
            (struct kpl_shift){.dim = KPL_DIM_XI, .step = s};
    }
    if (has_yi && (d == KPL_DIM_YO || d == KPL_DIM_S)) {
        int64_t s = d == KPL_DIM_YO ? step * l->stride_y : step;
        loop->shifts[loop->nshift++] =
            (struct kpl_shift){.dim = KPL_DIM_YI, .step = s};
    }
}

static void materialize_level(const struct plan_ctx *ctx,
                              const struct plan *p, enum kpl_level lv,
                              struct kpl_level_map *lm)
{
    const struct plan_level *l = &p->lv[lv];
    int dims[PLAN_DIMS];
    int n = plan_update_dims(ctx, p, lv, dims);

    /* Only the loops written are cleared: the map is large (16 loops
     * of each kind) and the search writes one per priced plan; readers
     * stop at nstack and nupdate. */
    memset(lm, 0, offsetof(struct kpl_level_map, stacks));
    lm->nupdate = 0;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        unsigned tdims = ctx->layer->tensor_dims[t];
        lm->share[t] = 1;
        if (tdims == 0) {
            continue;
        }
        lm->tile_given[t] = true;
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (tdims & KPL_DIM_BIT(d)) {
                lm->tile[t][d] = tensor_extent(ctx, l->tile, d);
            }
        }
    }
    for (int d = 0; d < PLAN_DIMS; d++) {
        if (l->stack[d] > 1) {
            struct kpl_loop *loop = &lm->stacks[lm->nstack++];
            *loop = (struct kpl_loop){0};
            loop_shifts(ctx, d, l->tile[d], loop);
            loop->count = l->stack[d];
        }
    }
    for (int i = 0; i < n; i++) {
        struct kpl_loop *loop = &lm->updates[lm->nupdate++];
        *loop = (struct kpl_loop){0};
        int d = dims[i];
        loop_shifts(ctx, d, l->tile[d] * l->stack[d], loop);
        loop->count = plan_trips(p, lv, d, ctx);
    }
}

void plan_materialize(const struct plan_ctx *ctx, const struct plan *p,
                      struct kpl_layer_map *map)
{
    map->present = true;
    map->span = (struct kpl_span){0};
    materialize_level(ctx, p, KPL_LEVEL_GBUF, &map->level[KPL_LEVEL_GBUF]);
    materialize_level(ctx, p, KPL_LEVEL_REGF, &map->level[KPL_LEVEL_REGF]);
}
