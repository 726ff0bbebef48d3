/*
 * Intra-layer search (design brief, section 5, step 4).
 *
 * Descent: choose how the layer is split over the region's nodes (GBUF
 * stacks), then, bottom-up, how each node's share is split over its PE
 * array (REGF stacks), grow the REGF tile greedily until the register file
 * is full, then grow the GBUF tile from what the PE array covers until the
 * global buffer is full.  Each growth step tries every loop dimension and
 * keeps the step that lowers the estimate most; a dimension grows by the
 * smallest prime factor of what is left of it (or doubles, or jumps to its
 * whole extent).  Every update order is tried at each level.  The estimate
 * is plan_estimate; the cheapest plan seen on the way is kept.
 *
 * Exhaustive: the same space (same partitions, same stacks, same tile
 * sizes, every order) enumerated without pruning, for small layers and as
 * the quality reference.
 */
#include "solver/intra.h"

#include "checker/cost.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_COUNTS 1024 /* split sizes of extents up to 262144 */
#define KEEP_PARTS 4
#define KEEP_STACKS 2
#define KEEP_STACKS_ALONE 16 /* the same with a single node partition */
#define SCORE_STACKS 6 /* stacks the full search grows before ranking */
#define SCORE_STACKS_ALONE 64 /* the same with a single node partition */
#define CLIMB_STEPS 8 /* steps of the partition climb */
#define SCORE_PARTS 8 /* partitions per rough score grown before ranking */
#define KEEP_REGF 1
#define REFINE_STARTS 2 /* candidates the refinement starts from */
#define EXACT_PRICINGS 300 /* of the REGF search under the best plan */
#define POLISH_LEAST 3000 /* pricings, the least a polish gets */

/* Node partitions may split these dims. */
static const int part_dims[] = {
    KPL_DIM_N, KPL_DIM_K, KPL_DIM_XO, KPL_DIM_YO, KPL_DIM_C,
};
#define NPART_DIMS 5

struct ranked {
    double score;
    struct plan plan;
};

double intra_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/*
 * The tile extents of the directive space along an extent e: every
 * distinct ceil(e / k) for k = 1..e (the per-copy extents of a uniform
 * split; the divisors of e are among them), ascending.  At most
 * 2 sqrt(e) values; returns how many were written (at most max).
 */
static int split_sizes(int64_t e, int64_t *out, int max)
{
    int n = 0;
    int64_t k = 1;
    while (e > 0 && k <= e && n < max) {
        int64_t size = ceil_div(e, k);
        out[n++] = size;
        if (size == 1) {
            break;
        }
        k = ceil_div(e, size - 1); /* the first k with a smaller size */
    }
    for (int i = 0; i < n / 2; i++) {
        int64_t t = out[i];
        out[i] = out[n - 1 - i];
        out[n - 1 - i] = t;
    }
    return n;
}

/*
 * Copy counts of the directive space for an extent e on at most `limit`
 * buffers: ceil(e / s) for every split size s, the fewest copies that
 * give that per-copy extent (more would leave copies empty), ascending.
 */
static int copy_counts(int64_t e, int64_t limit, int64_t *counts)
{
    int64_t sizes[MAX_COUNTS];
    int ns = split_sizes(e, sizes, MAX_COUNTS);
    int n = 0;
    for (int i = ns - 1; i >= 0; i--) {
        int64_t c = ceil_div(e, sizes[i]);
        if (c <= limit && (n == 0 || counts[n - 1] != c)) {
            counts[n++] = c;
        }
    }
    return n;
}

/* The fewest copies of an extent e that give the per-copy extent c
 * copies give (more would leave copies empty). */
static int64_t fewest_copies(int64_t e, int64_t c)
{
    return ceil_div(e, ceil_div(e, c));
}

/*
 * The descent's copy counts: powers of two, divisors of e and the largest
 * count, each moved to the fewest copies with the same per-copy extent,
 * so that they lie in the directive space; ascending.
 */
static int descent_counts(int64_t e, int64_t limit, int64_t *counts)
{
    int64_t top = e < limit ? e : limit;
    int n = 0;
    for (int64_t c = 1; c <= top && n < MAX_COUNTS - 1; c++) {
        bool wanted = c == 1 || c == top || (c & (c - 1)) == 0 ||
                      (c <= 4096 && e % c == 0);
        int64_t fewest = fewest_copies(e, c);
        if (wanted && (n == 0 || counts[n - 1] < fewest)) {
            counts[n++] = fewest;
        }
    }
    return n;
}

/* The largest split size of lim at most c (c >= 1). */
static int64_t snap_down(int64_t lim, int64_t c)
{
    if (c >= lim) {
        return lim;
    }
    return ceil_div(lim, ceil_div(lim, c));
}

/* Keeps the best `keep` entries of a list sorted by score, ties first in. */
static void rank_insert(struct ranked *list, int *n, int keep,
                        double score, const struct plan *p)
{
    int pos = *n;
    while (pos > 0 && list[pos - 1].score > score) {
        pos--;
    }
    if (pos >= keep) {
        return;
    }
    int last = *n < keep ? *n : keep - 1;
    memmove(&list[pos + 1], &list[pos],
            (size_t)(last - pos) * sizeof *list);
    list[pos].score = score;
    list[pos].plan = *p;
    if (*n < keep) {
        (*n)++;
    }
}

/*
 * Unit tiles everywhere (whole extents for free dims), no stacks.  When a
 * pooling window does not fit the register file whole, the REGF level
 * starts from one window row and column instead.
 */
static void unit_plan(const struct plan_ctx *ctx, struct plan *p)
{
    *p = (struct plan){0};
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        for (int d = 0; d < PLAN_DIMS; d++) {
            p->lv[lv].tile[d] = plan_dim_free(ctx, d) ? ctx->ext[d] : 1;
            p->lv[lv].stack[d] = 1;
        }
    }
    struct plan_level *r = &p->lv[KPL_LEVEL_REGF];
    if (plan_words(ctx, p, KPL_LEVEL_REGF) > ctx->words[KPL_LEVEL_REGF]) {
        for (int d = KPL_DIM_R; d <= KPL_DIM_S; d++) {
            if (plan_dim_free(ctx, d)) {
                r->tile[d] = 1;
            }
        }
    }
}

bool intra_unit_plan(const struct plan_ctx *ctx, struct plan *p)
{
    unit_plan(ctx, p);
    return plan_valid(ctx, p);
}

static double evaluate(const struct plan_ctx *ctx, const struct plan *p,
                       struct plan_est *est)
{
    struct plan_est local;
    if (est == NULL) {
        est = &local;
    }
    plan_estimate(ctx, p, est);
    return plan_objective(ctx->goal, est);
}

/* The same for a plan with the GBUF level outer was computed from. */
static double evaluate_in(const struct plan_ctx *ctx,
                          const struct plan_outer *outer,
                          const struct plan *p)
{
    struct plan_est est;
    plan_estimate_in(ctx, outer, p, &est);
    return plan_objective(ctx->goal, &est);
}

/* ---- node partitions ---- */

/*
 * Words of tensor t that the nodes of a GBUF partition must fetch at
 * least once between them: per dim the summed extents of the copies
 * (the extent itself; along Xi the union of the output windows, or R
 * per output column when windows do not overlap), times the copies of
 * the dims t does not depend on.
 */
static double compulsory_words(const struct plan_ctx *ctx,
                               const int64_t stack[PLAN_DIMS], int t)
{
    const struct kpl_layer *l = ctx->layer;
    unsigned dims = l->tensor_dims[t];
    double words = 1;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (!(dims & KPL_DIM_BIT(d))) {
            continue;
        }
        if (d == KPL_DIM_XI || d == KPL_DIM_YI) {
            int out = d == KPL_DIM_XI ? KPL_DIM_XO : KPL_DIM_YO;
            int win = d == KPL_DIM_XI ? KPL_DIM_R : KPL_DIM_S;
            double stride = (double)(d == KPL_DIM_XI ? l->stride_x
                                                     : l->stride_y);
            double o = (double)ctx->ext[out];
            double w = (double)ctx->ext[win];
            words *= w >= stride ? (o - 1) * stride + w : o * w;
        } else if (d < PLAN_DIMS) {
            words *= (double)ctx->ext[d];
        }
    }
    for (int d = 0; d < PLAN_DIMS; d++) {
        if (!(ctx->rel[t] & KPL_DIM_BIT(d))) {
            words *= (double)stack[d];
        }
    }
    return words;
}

enum penalty {
    PENALTY_FULL,
    PENALTY_SQRT,
    PENALTY_NONE,
    PENALTY_FIT,
    PENALTY_FIT_HALF,
    PENALTIES
};

struct part_search {
    const struct plan_ctx *ctx;
    double base[KPL_TENSOR_COUNT]; /* compulsory words of one copy */
    int64_t counts[NPART_DIMS][MAX_COUNTS];
    int ncounts[NPART_DIMS];
    int64_t chosen[NPART_DIMS];
    struct ranked *list[PENALTIES]; /* one list per penalty walked */
    int n[PENALTIES];
    int npenalty; /* the first npenalty penalties are walked */
    int keep;
};

/* Words that a partition's nodes move between them, their energy (a
 * forwarded tensor at the price of a neighbour's buffer, the ifm with its
 * hops, instead of DRAM's) and those of DRAM. */
struct moved {
    double words, energy, dram;
};

/* What the nodes of a partition (copies `stack`, node share `per`) move
 * of tensor t: every node's partial sums once (base: the compulsory words
 * of one copy; a strided window's skipped inputs are never read). */
static struct moved tensor_moved(const struct plan_ctx *ctx,
                                 const double base[KPL_TENSOR_COUNT],
                                 const int64_t stack[PLAN_DIMS], int t)
{
    const struct kpl_arch *arch = ctx->arch;
    struct moved m = {.words = base[t]};
    for (int d = 0; d < PLAN_DIMS; d++) {
        if (!(ctx->rel[t] & KPL_DIM_BIT(d))) {
            m.words *= (double)stack[d];
        }
    }
    bool on_chip = (t == KPL_TENSOR_IFM && ctx->ifm_on_chip) ||
                   (t == KPL_TENSOR_OFM && ctx->ofm_on_chip);
    double hops = t == KPL_TENSOR_IFM ? ctx->ifm_hops : 0;
    m.energy = m.words * (on_chip ? arch->e_gbuf + arch->e_hop * hops
                                  : arch->e_dram +
                                        arch->e_hop * ctx->dram_hops);
    m.dram = on_chip ? 0 : m.words;
    return m;
}

/* A partition's traffic as part_scores weighs it: all tensors, the
 * cheapest one, the one of the smallest node share (least) and that
 * share's words, and the words of every node share. */
struct partition_traffic {
    struct moved all, cheapest, least;
    double node_least, footprint;
};

static void partition_traffic(const struct plan_ctx *ctx,
                              const double base[KPL_TENSOR_COUNT],
                              const int64_t stack[PLAN_DIMS],
                              const int64_t per[PLAN_DIMS],
                              struct partition_traffic *out)
{
    *out = (struct partition_traffic){.cheapest = {-1, -1, -1},
                                      .node_least = -1};
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (ctx->layer->tensor_dims[t] == 0) {
            continue;
        }
        struct moved m = tensor_moved(ctx, base, stack, t);
        out->all.words += m.words;
        out->all.energy += m.energy;
        out->all.dram += m.dram;
        if (out->cheapest.energy < 0 || m.energy < out->cheapest.energy) {
            out->cheapest = m;
        }
        double words = (double)plan_tensor_words(ctx, per, t);
        out->footprint += words;
        if (out->node_least < 0 || words < out->node_least) {
            out->node_least = words;
            out->least = m;
        }
    }
}

/*
 * A rough score of a node partition under each of the first npenalty
 * penalties: compulsory traffic, a penalty when a node's share overflows
 * its buffer, and time.  The penalty re-reads the cheapest tensor once
 * per buffer's worth of overflow (full), per square root of it (sqrt:
 * tiles split along two dims), or not at all; or (fit) a node keeps its
 * smallest tensor share in three quarters of its buffer (or in half of
 * it), the rest left for the tiles of the others, which it streams past
 * once, or re-reads them once per square root of the buffers that share
 * needs (tiled along two dims).  A share that fills the whole buffer
 * leaves no room for the others (AlexNet's fc2 on multinode: C over 16
 * nodes fills it with the ifm share; C over 19, the optimum, does not).
 */
static void part_scores(const struct plan_ctx *ctx,
                        const double base[KPL_TENSOR_COUNT], const int64_t *n,
                        int npenalty, double score[PENALTIES])
{
    const struct kpl_arch *arch = ctx->arch;
    int64_t stack[PLAN_DIMS], per[PLAN_DIMS];
    double util = 1, copies = 1;
    for (int d = 0; d < PLAN_DIMS; d++) {
        stack[d] = 1;
    }
    for (int i = 0; i < NPART_DIMS; i++) {
        stack[part_dims[i]] = n[i];
    }
    for (int d = 0; d < PLAN_DIMS; d++) {
        per[d] = ceil_div(ctx->ext[d], stack[d]);
        util *= (double)ctx->ext[d] / (double)(per[d] * stack[d]);
        copies *= (double)stack[d];
    }

    struct partition_traffic tr;
    partition_traffic(ctx, base, stack, per, &tr);
    struct moved others = {tr.all.words - tr.least.words,
                           tr.all.energy - tr.least.energy,
                           tr.all.dram - tr.least.dram};
    double gbuf = (double)ctx->words[KPL_LEVEL_GBUF];
    double ratio = tr.footprint > gbuf && tr.cheapest.words > 0
                       ? tr.footprint / gbuf
                       : 1;
    double refit[2];
    for (int half = 0; half < 2; half++) {
        double buffers = tr.node_least / (half ? gbuf / 2 : gbuf * 0.75);
        refit[half] = buffers > 1 ? sqrt(buffers) - 1 : 0;
    }

    double compute = ctx->ops / (copies * (double)ctx->pes * util);
    double word_bytes = (double)arch->word_bits / 8.0;
    double bus_per_cycle = arch->bus_bits > 0 && arch->word_bits > 0
                               ? (double)arch->bus_bits /
                                     (double)arch->word_bits
                               : INFINITY;
    double share = ctx->chip_nodes > 0
                       ? (double)ctx->nodes / (double)ctx->chip_nodes
                       : 1;
    for (int pen = 0; pen < npenalty; pen++) {
        /* The penalty: how many more times which words are read. */
        bool fit = pen == PENALTY_FIT || pen == PENALTY_FIT_HALF;
        double again = pen == PENALTY_FULL   ? ratio - 1
                       : pen == PENALTY_SQRT ? sqrt(ratio) - 1
                       : fit ? refit[pen == PENALTY_FIT_HALF]
                             : 0;
        const struct moved *reread = fit ? &others : &tr.cheapest;
        double words = tr.all.words + again * reread->words;
        double dram = tr.all.dram + again * reread->dram;
        /* At least the MACs, the DRAM time, and every node's bus carrying
         * its share of the words once (the tie-break of partitions that
         * move the same words: more nodes share the bus time). */
        double cycles = fmax(compute, words / copies / bus_per_cycle);
        if (arch->dram_bw > 0 && dram * word_bytes / arch->dram_bw > cycles) {
            cycles = dram * word_bytes / arch->dram_bw;
        }
        struct plan_est est = {
            .energy = tr.all.energy + again * reread->energy +
                      arch->static_pj_per_cycle * cycles * share,
            .cycles = cycles,
        };
        score[pen] = plan_objective(ctx->goal, &est);
    }
}

/*
 * A layer whose forwarded ofm must stay whole (ctx->ofm_whole) keeps it
 * out of partitions over dims the ofm does not depend on (C): each of
 * those node copies holds its own partial sums, and the checker's segment
 * capacity rule counts the forwarded tile once per node copy.  counts are
 * per part_dims entry.
 */
static bool partition_allowed(const struct plan_ctx *ctx,
                              const int64_t counts[NPART_DIMS])
{
    if (!ctx->ofm_on_chip || !ctx->ofm_whole) {
        return true;
    }
    unsigned ofm = ctx->rel[KPL_TENSOR_OFM];
    for (int i = 0; i < NPART_DIMS; i++) {
        if (counts[i] > 1 && !(ofm & KPL_DIM_BIT(part_dims[i]))) {
            return false;
        }
    }
    return true;
}

/* The same for a plan's GBUF stacks. */
static bool plan_partition_allowed(const struct plan_ctx *ctx,
                                   const struct plan *p)
{
    int64_t counts[NPART_DIMS];
    for (int i = 0; i < NPART_DIMS; i++) {
        counts[i] = p->lv[KPL_LEVEL_GBUF].stack[part_dims[i]];
    }
    return partition_allowed(ctx, counts);
}

/* Puts the chosen partition in list pen when it ranks among the kept. */
static void part_keep(struct part_search *ps, int pen, double score)
{
    struct ranked *list = ps->list[pen];
    int *n = &ps->n[pen];
    bool full = ps->keep < 0 ? *n >= -ps->keep : *n >= ps->keep;
    if (full && (ps->keep < 0 || list[*n - 1].score <= score)) {
        return; /* would not be kept: skip building its plan */
    }
    struct plan p;
    unit_plan(ps->ctx, &p);
    for (int j = 0; j < NPART_DIMS; j++) {
        p.lv[KPL_LEVEL_GBUF].stack[part_dims[j]] = ps->chosen[j];
    }
    if (ps->keep < 0) {
        list[*n].score = score;
        list[(*n)++].plan = p;
    } else {
        rank_insert(list, n, ps->keep, score, &p);
    }
}

static void part_walk(struct part_search *ps, int i, int64_t product)
{
    const struct plan_ctx *ctx = ps->ctx;
    if (i == NPART_DIMS) {
        if (!partition_allowed(ctx, ps->chosen)) {
            return;
        }
        double score[PENALTIES];
        part_scores(ctx, ps->base, ps->chosen, ps->npenalty, score);
        /* Without a penalty, equal scores (a pooling layer moves the same
         * words on any partition that replicates nothing) go to more
         * nodes: the rough score does not see the bus and compute time
         * they share.  Elsewhere the first walked stays. */
        double tie = 1 + 1e-12 / (double)product;
        for (int pen = 0; pen < ps->npenalty; pen++) {
            part_keep(ps, pen, pen == PENALTY_NONE ? score[pen] * tie
                                                   : score[pen]);
        }
        return;
    }
    for (int j = 0; j < ps->ncounts[i]; j++) {
        int64_t c = ps->counts[i][j];
        if (product * c > ctx->nodes) {
            break;
        }
        ps->chosen[i] = c;
        part_walk(ps, i + 1, product * c);
    }
}

/* By score, then by the stacks: a total order, so the sort is
 * deterministic. */
static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a;
    const struct ranked *y = b;
    if (x->score != y->score) {
        return x->score < y->score ? -1 : 1;
    }
    return memcmp(x->plan.lv[KPL_LEVEL_GBUF].stack,
                  y->plan.lv[KPL_LEVEL_GBUF].stack,
                  sizeof x->plan.lv[KPL_LEVEL_GBUF].stack);
}

/*
 * The node partitions, the best `keep` by score, or with keep < 0 all of
 * them (at most -keep), sorted by score, in list; with npenalty > 1 also
 * the best `keep` under each further penalty, after them in list.
 * Returns how many in all.  Counts come from the whole space when
 * `every_count` (or keep < 0), else from the descent's short list.
 */
static int node_partitions(const struct plan_ctx *ctx, struct ranked *list,
                           int keep, bool every_count, int npenalty)
{
    struct part_search ps = {.ctx = ctx, .keep = keep,
                             .npenalty = npenalty};
    int64_t one[PLAN_DIMS];
    for (int d = 0; d < PLAN_DIMS; d++) {
        one[d] = 1;
    }
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        ps.base[t] = compulsory_words(ctx, one, t);
    }
    struct ranked more[PENALTIES][SCORE_PARTS];
    ps.list[0] = list;
    for (int pen = 1; pen < npenalty; pen++) {
        ps.list[pen] = more[pen];
    }
    for (int i = 0; i < NPART_DIMS; i++) {
        int d = part_dims[i];
        if (plan_dim_free(ctx, d)) {
            ps.counts[i][0] = 1;
            ps.ncounts[i] = 1;
        } else {
            ps.ncounts[i] = keep < 0 || every_count
                                ? copy_counts(ctx->ext[d], ctx->nodes,
                                              ps.counts[i])
                                : descent_counts(ctx->ext[d], ctx->nodes,
                                                 ps.counts[i]);
        }
    }
    part_walk(&ps, 0, 1);
    if (keep < 0) {
        qsort(list, (size_t)ps.n[0], sizeof *list, cmp_ranked);
    }
    int n = ps.n[0];
    for (int pen = 1; pen < npenalty; pen++) {
        memcpy(list + n, more[pen], (size_t)ps.n[pen] * sizeof *list);
        n += ps.n[pen];
    }
    return n;
}

/* ---- PE-array stacks ---- */

/* Node share of the layer: the GBUF tile when it holds it all. */
static void set_node_share(const struct plan_ctx *ctx, struct plan *p)
{
    struct plan_level *g = &p->lv[KPL_LEVEL_GBUF];
    for (int d = 0; d < PLAN_DIMS; d++) {
        g->tile[d] = ceil_div(ctx->ext[d], g->stack[d]);
    }
}

/* The PE stacks of one node partition being ranked. */
struct stack_ranking {
    const struct plan_ctx *ctx;
    struct plan_outer outer; /* of the partition's GBUF level */
    struct ranked *list;
    int n, keep;
};

static void try_stack(struct stack_ranking *sr, const struct plan *base,
                      int d1, int64_t c1, int d2, int64_t c2)
{
    struct plan p = *base;
    p.lv[KPL_LEVEL_REGF].stack[d1] = c1;
    if (d2 >= 0) {
        p.lv[KPL_LEVEL_REGF].stack[d2] = c2;
    }
    if (!plan_level_valid(sr->ctx, &p, KPL_LEVEL_REGF)) {
        return;
    }
    rank_insert(sr->list, &sr->n, sr->keep,
                evaluate_in(sr->ctx, &sr->outer, &p), &p);
}

/* The best `keep` PE stacks of base by unit-tile estimate, over one or
 * two dims, into list; returns how many. */
static int pe_stacks(const struct plan_ctx *ctx, const struct plan *base,
                     struct ranked *list, int keep)
{
    const int64_t *share = base->lv[KPL_LEVEL_GBUF].tile;
    int64_t counts[PLAN_DIMS][MAX_COUNTS];
    int ncounts[PLAN_DIMS];
    struct stack_ranking sr = {.ctx = ctx, .list = list, .keep = keep};
    plan_outer_init(ctx, base, &sr.outer);

    for (int d = 0; d < PLAN_DIMS; d++) {
        ncounts[d] = plan_dim_free(ctx, d)
                         ? 0
                         : descent_counts(share[d], ctx->pes, counts[d]);
    }
    rank_insert(list, &sr.n, keep, evaluate_in(ctx, &sr.outer, base), base);
    for (int d1 = 0; d1 < PLAN_DIMS; d1++) {
        for (int i = 1; i < ncounts[d1]; i++) {
            int64_t c1 = counts[d1][i];
            try_stack(&sr, base, d1, c1, -1, 1);
            for (int d2 = d1 + 1; d2 < PLAN_DIMS; d2++) {
                for (int j = 1; j < ncounts[d2]; j++) {
                    int64_t c2 = counts[d2][j];
                    if (c1 * c2 > ctx->pes) {
                        break;
                    }
                    try_stack(&sr, base, d1, c1, d2, c2);
                }
            }
        }
    }
    return sr.n;
}

/* ---- tile growth ---- */

static int64_t smallest_prime_factor(int64_t n)
{
    for (int64_t f = 2; f * f <= n; f++) {
        if (n % f == 0) {
            return f;
        }
    }
    return n;
}

/* Next tile sizes from t towards lim: by the smallest prime factor of what
 * is left, by doubling, and the whole extent, each rounded down to a split
 * size of lim so that the descent stays in the directive space. */
static int next_sizes(int64_t t, int64_t lim, int64_t out[3])
{
    int n = 0;
    int64_t left = ceil_div(lim, t);
    int64_t cand[3] = {t * smallest_prime_factor(left), t * 2, lim};
    for (int i = 0; i < 3; i++) {
        int64_t c = snap_down(lim, cand[i] < lim ? cand[i] : lim);
        bool dup = false;
        for (int j = 0; j < n; j++) {
            dup |= out[j] == c;
        }
        if (c > t && !dup) {
            out[n++] = c;
        }
    }
    return n;
}

/* The largest split size of lim for p's tile along d at level lv whose
 * level words fit the buffer (words grow with the tile); p's own tile
 * when none larger does. */
static int64_t largest_fit(const struct plan_ctx *ctx, const struct plan *p,
                           enum kpl_level lv, int d, int64_t lim)
{
    struct plan q = *p;
    int64_t t = p->lv[lv].tile[d];
    int64_t lo = 1, hi = ceil_div(lim, t); /* copies: fewer is larger */
    int64_t best = t;
    while (lo < hi) {
        int64_t k = lo + (hi - lo) / 2;
        q.lv[lv].tile[d] = ceil_div(lim, k);
        if (plan_words(ctx, &q, lv) <= ctx->words[lv]) {
            best = q.lv[lv].tile[d];
            hi = k;
        } else {
            lo = k + 1;
        }
    }
    return best;
}

/*
 * Greedy growth of level lv's tiles from p, within lim[d]; returns the
 * cheapest plan seen (p itself when nothing better).  Steps keep the plan
 * valid at both levels when `whole`, else at level lv alone.
 */
static double descend(const struct plan_ctx *ctx, struct plan *p,
                      enum kpl_level lv, const int64_t *lim, bool whole)
{
    struct plan cur = *p;
    double best = evaluate(ctx, p, NULL);
    /* The GBUF level stays as it is while the REGF tiles grow. */
    struct plan_outer outer;
    if (lv == KPL_LEVEL_REGF) {
        plan_outer_init(ctx, p, &outer);
    }

    for (;;) {
        struct plan step;
        double step_obj = 0;
        bool found = false;
        for (int d = 0; d < PLAN_DIMS; d++) {
            int64_t sizes[4];
            int ns = next_sizes(cur.lv[lv].tile[d], lim[d], sizes);
            int64_t most = largest_fit(ctx, &cur, lv, d, lim[d]);
            bool dup = most <= cur.lv[lv].tile[d];
            for (int i = 0; i < ns; i++) {
                dup |= sizes[i] == most;
            }
            if (!dup) {
                sizes[ns++] = most;
            }
            for (int i = 0; i < ns; i++) {
                struct plan q = cur;
                q.lv[lv].tile[d] = sizes[i];
                bool ok = whole ? plan_valid(ctx, &q)
                                : plan_level_valid(ctx, &q, lv);
                if (!ok) {
                    continue;
                }
                double obj = lv == KPL_LEVEL_REGF
                                 ? evaluate_in(ctx, &outer, &q)
                                 : evaluate(ctx, &q, NULL);
                if (!found || obj < step_obj) {
                    step = q;
                    step_obj = obj;
                    found = true;
                }
            }
        }
        if (!found) {
            break;
        }
        cur = step;
        if (step_obj < best) {
            best = step_obj;
            *p = cur;
        }
    }
    return best;
}

/* REGF descent for one stack choice; the GBUF tile is the node share. */
static int regf_descents(const struct plan_ctx *ctx, const struct plan *base,
                         struct ranked *list, int keep)
{
    int n = 0;
    int64_t lim[PLAN_DIMS];
    const struct plan_level *r = &base->lv[KPL_LEVEL_REGF];
    const struct plan_level *g = &base->lv[KPL_LEVEL_GBUF];

    for (int d = 0; d < PLAN_DIMS; d++) {
        lim[d] = plan_dim_free(ctx, d) ? ctx->ext[d]
                                       : ceil_div(g->tile[d], r->stack[d]);
    }
    for (int order = 0; order < PLAN_ORDERS; order++) {
        struct plan p = *base;
        p.lv[KPL_LEVEL_REGF].order = order;
        double obj = descend(ctx, &p, KPL_LEVEL_REGF, lim, false);
        rank_insert(list, &n, keep, obj, &p);
    }
    return n;
}

/* Where the GBUF descent starts along d: what the PE array covers, at
 * most the node share lim; a dim no tensor names (a pooling window) keeps
 * its whole extent at the GBUF level even when the REGF level holds one
 * window row. */
static int64_t gbuf_start(const struct plan_ctx *ctx,
                          const struct plan_level *r, int d, int64_t lim)
{
    int64_t covered = r->tile[d] * r->stack[d];
    return plan_dim_free(ctx, d) || covered > lim ? lim : covered;
}

/*
 * How promising a PE stack is once its tiles have grown: both levels
 * grown once (REGF tiles in the first order, then the GBUF tiles from
 * what the array covers, in the orders 0, 2 and 4, one with each group
 * innermost), the best estimate of a plan that fits.  A
 * stack that looks poor with unit tiles (C over 64 PEs, say) can be the
 * best after growth.
 */
static double stack_score(const struct plan_ctx *ctx, const struct plan *p)
{
    struct plan q = *p;
    int64_t lim[PLAN_DIMS];
    const struct plan_level *g = &p->lv[KPL_LEVEL_GBUF];
    for (int d = 0; d < PLAN_DIMS; d++) {
        lim[d] = plan_dim_free(ctx, d)
                     ? ctx->ext[d]
                     : ceil_div(g->tile[d], p->lv[KPL_LEVEL_REGF].stack[d]);
    }
    descend(ctx, &q, KPL_LEVEL_REGF, lim, false);

    /* Only plans that fit both levels count: the REGF growth alone keeps
     * the node share as its GBUF tile, which need not fit. */
    double best = INFINITY;
    struct plan start = q;
    struct plan_level *sg = &start.lv[KPL_LEVEL_GBUF];
    const struct plan_level *r = &q.lv[KPL_LEVEL_REGF];
    for (int d = 0; d < PLAN_DIMS; d++) {
        lim[d] = sg->tile[d];
        sg->tile[d] = gbuf_start(ctx, r, d, lim[d]);
    }
    if (!plan_valid(ctx, &start)) {
        return best;
    }
    for (int order = 0; order < PLAN_ORDERS; order += 2) {
        struct plan t = start;
        t.lv[KPL_LEVEL_GBUF].order = order;
        double obj = descend(ctx, &t, KPL_LEVEL_GBUF, lim, true);
        best = obj < best ? obj : best;
    }
    return best;
}

/* The full search's stacks: the best by unit-tile estimate, ranked
 * again by stack_score; the best `keep` stay, first in list. */
static int rescore_stacks(const struct plan_ctx *ctx, struct ranked *list,
                          int n, int keep)
{
    struct ranked kept[KEEP_STACKS_ALONE];
    int nkept = 0;
    for (int i = 0; i < n; i++) {
        rank_insert(kept, &nkept, keep, stack_score(ctx, &list[i].plan),
                    &list[i].plan);
    }
    memcpy(list, kept, (size_t)nkept * sizeof *kept);
    return nkept;
}

/* Two plans that materialize alike (orders only matter with updates). */
static bool same_plan(const struct plan_ctx *ctx, const struct plan *a,
                      const struct plan *b)
{
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        int da[PLAN_DIMS], db[PLAN_DIMS];
        int na = plan_update_dims(ctx, a, (enum kpl_level)lv, da);
        int nb = plan_update_dims(ctx, b, (enum kpl_level)lv, db);
        if (memcmp(a->lv[lv].tile, b->lv[lv].tile, sizeof a->lv[lv].tile) ||
            memcmp(a->lv[lv].stack, b->lv[lv].stack,
                   sizeof a->lv[lv].stack) ||
            na != nb || memcmp(da, db, (size_t)na * sizeof *da) != 0) {
            return false;
        }
    }
    return true;
}

/* Adds a plan of objective obj to the candidates, keeping the best
 * distinct ones. */
/* Puts p with objective obj at position pos of the candidates, the
 * later ones one down (the last falls off a full list). */
static void insert_candidate(struct intra_result *out, int pos,
                             const struct plan *p, double obj)
{
    int last = out->ncand < INTRA_CANDIDATES ? out->ncand
                                             : INTRA_CANDIDATES - 1;
    memmove(&out->cand[pos + 1], &out->cand[pos],
            (size_t)(last - pos) * sizeof *out->cand);
    memmove(&out->cand_objective[pos + 1], &out->cand_objective[pos],
            (size_t)(last - pos) * sizeof *out->cand_objective);
    out->cand[pos] = *p;
    out->cand_objective[pos] = obj;
    if (out->ncand < INTRA_CANDIDATES) {
        out->ncand++;
    }
    if (pos == 0) {
        out->found = true;
        out->plan = *p;
        out->objective = obj;
    }
}

static void offer_at(const struct plan_ctx *ctx, const struct plan *p,
                     double obj, struct intra_result *out)
{
    for (int i = 0; i < out->ncand; i++) {
        if (same_plan(ctx, &out->cand[i], p)) {
            return;
        }
    }
    int pos = out->ncand;
    while (pos > 0 && out->cand_objective[pos - 1] > obj) {
        pos--;
    }
    if (pos < INTRA_CANDIDATES) {
        insert_candidate(out, pos, p, obj);
    }
}

/* Puts p first among the candidates, dropping a copy of it already there:
 * a plan the cost model found better than the best one so far. */
static void offer_first(const struct plan_ctx *ctx, const struct plan *p,
                        struct intra_result *out)
{
    for (int i = 0; i < out->ncand; i++) {
        if (same_plan(ctx, &out->cand[i], p)) {
            out->ncand--;
            memmove(&out->cand[i], &out->cand[i + 1],
                    (size_t)(out->ncand - i) * sizeof *out->cand);
            memmove(&out->cand_objective[i], &out->cand_objective[i + 1],
                    (size_t)(out->ncand - i) * sizeof *out->cand_objective);
            break;
        }
    }
    insert_candidate(out, 0, p, -INFINITY);
}

/* Offers a plan ranked by the estimate. */
static void offer(const struct plan_ctx *ctx, const struct plan *p,
                  struct intra_result *out)
{
    offer_at(ctx, p, evaluate(ctx, p, NULL), out);
}

/* GBUF descent from what the PE array covers up to the node share. */
static void gbuf_descents(const struct plan_ctx *ctx, const struct plan *base,
                          struct intra_result *out)
{
    int64_t lim[PLAN_DIMS];
    struct plan start = *base;
    struct plan_level *g = &start.lv[KPL_LEVEL_GBUF];
    const struct plan_level *r = &base->lv[KPL_LEVEL_REGF];

    for (int d = 0; d < PLAN_DIMS; d++) {
        lim[d] = g->tile[d];
        g->tile[d] = gbuf_start(ctx, r, d, lim[d]);
    }
    if (!plan_valid(ctx, &start)) {
        return;
    }
    for (int order = 0; order < PLAN_ORDERS; order++) {
        struct plan p = start;
        p.lv[KPL_LEVEL_GBUF].order = order;
        descend(ctx, &p, KPL_LEVEL_GBUF, lim, true);
        offer(ctx, &p, out);
    }
}

/* True when list[i] repeats an earlier entry, or mirrors one (Xo and Yo
 * swapped on a layer whose two spatial dims are alike: same extents,
 * windows and strides), so that both plan alike. */
static bool mirrors_earlier(const struct plan_ctx *ctx,
                            const struct ranked *list, int i)
{
    const struct kpl_layer *l = ctx->layer;
    bool square = ctx->ext[KPL_DIM_XO] == ctx->ext[KPL_DIM_YO] &&
                  ctx->ext[KPL_DIM_R] == ctx->ext[KPL_DIM_S] &&
                  l->stride_x == l->stride_y;
    const int64_t *a = list[i].plan.lv[KPL_LEVEL_GBUF].stack;
    for (int j = 0; j < i; j++) {
        const int64_t *b = list[j].plan.lv[KPL_LEVEL_GBUF].stack;
        bool same = true, mirror = square;
        for (int d = 0; d < PLAN_DIMS; d++) {
            int e = d == KPL_DIM_XO ? KPL_DIM_YO
                    : d == KPL_DIM_YO ? KPL_DIM_XO
                                      : d;
            same = same && a[d] == b[d];
            mirror = mirror && a[d] == b[e];
        }
        if (same || mirror) {
            return true;
        }
    }
    return false;
}

/* A node partition's promise: its best two PE stacks by unit-tile
 * estimate, grown (stack_score); the better of the two. */
static double partition_score(const struct plan_ctx *ctx,
                              const struct plan *part)
{
    struct plan base = *part;
    set_node_share(ctx, &base);
    struct ranked stacks[2];
    int n = pe_stacks(ctx, &base, stacks, 2);
    double best = INFINITY;
    for (int i = 0; i < n; i++) {
        double score = stack_score(ctx, &stacks[i].plan);
        best = score < best ? score : best;
    }
    return best;
}

/* Partition scores of one search, so that the climb does not score a
 * partition again (each step revisits the neighbours of the last). */
#define SCORED_PARTS 64
struct scored_parts {
    int64_t stack[SCORED_PARTS][PLAN_DIMS];
    double score[SCORED_PARTS];
    int n;
};

static double partition_score_once(const struct plan_ctx *ctx,
                                   struct scored_parts *memo,
                                   const struct plan *part)
{
    const int64_t *stack = part->lv[KPL_LEVEL_GBUF].stack;
    size_t size = sizeof memo->stack[0];
    for (int i = 0; i < memo->n; i++) {
        if (memcmp(memo->stack[i], stack, size) == 0) {
            return memo->score[i];
        }
    }
    double score = partition_score(ctx, part);
    if (memo->n < SCORED_PARTS) {
        memcpy(memo->stack[memo->n], stack, size);
        memo->score[memo->n++] = score;
    }
    return score;
}

static int64_t next_count(int64_t e, int64_t c, int dir);

/* A move of a partition dim's count c (extent e): to the next copy count
 * down or up (moves 0 and 1), or to the copy count nearest half or twice
 * c (2 and 3), so that the climb can cross a ridge of odd counts (AlexNet's
 * conv5 with its ifm forwarded: from N 8, C 2, K 8 nodes to K 16, then
 * N 4). */
static int64_t climb_count(int64_t e, int64_t c, int move)
{
    if (move < 2) {
        return next_count(e, c, move == 0 ? -1 : 1);
    }
    int64_t target = move == 2 ? c / 2 : c * 2;
    if (target < 1 || target > e) {
        return c;
    }
    return fewest_copies(e, target);
}

/* A neighbour q of the climb goes into *next when it fits the region,
 * is allowed and scores better. */
static void climb_offer(const struct plan_ctx *ctx, struct scored_parts *memo,
                        const struct plan *q, struct ranked *next)
{
    if (plan_level_copies(&q->lv[KPL_LEVEL_GBUF]) > ctx->nodes ||
        !plan_partition_allowed(ctx, q)) {
        return;
    }
    double score = partition_score_once(ctx, memo, q);
    if (score < next->score) {
        *next = (struct ranked){.score = score, .plan = *q};
    }
}

/* The best of *from's neighbours by moves `first` and `first + 1` of
 * each dim, into *next when better than *next. */
static void climb_moves(const struct plan_ctx *ctx, struct scored_parts *memo,
                        const struct ranked *from, int first,
                        struct ranked *next)
{
    for (int i = 0; i < NPART_DIMS; i++) {
        int d = part_dims[i];
        if (plan_dim_free(ctx, d)) {
            continue;
        }
        for (int move = first; move < first + 2; move++) {
            struct plan q = from->plan;
            int64_t *c = &q.lv[KPL_LEVEL_GBUF].stack[d];
            int64_t moved = climb_count(ctx->ext[d], *c, move);
            if (moved == *c) {
                continue;
            }
            *c = moved;
            climb_offer(ctx, memo, &q, next);
        }
    }
}

/* The best of *from's neighbours that trade nodes between two dims
 * (one count to the next count down, the other to the next up), into
 * *next when better: single moves cannot reach VGG-16's conv4 optimum
 * (N 2, C 4, K 3, Yo 5 nodes to C 4, K 3, Yo 7) where every single
 * step is worse. */
static void climb_trades(const struct plan_ctx *ctx,
                         struct scored_parts *memo,
                         const struct ranked *from, struct ranked *next)
{
    for (int i = 0; i < NPART_DIMS; i++) {
        int down = part_dims[i];
        for (int j = 0; j < NPART_DIMS; j++) {
            int up = part_dims[j];
            if (i == j || plan_dim_free(ctx, down) ||
                plan_dim_free(ctx, up)) {
                continue;
            }
            struct plan q = from->plan;
            int64_t *cd = &q.lv[KPL_LEVEL_GBUF].stack[down];
            int64_t *cu = &q.lv[KPL_LEVEL_GBUF].stack[up];
            int64_t less = climb_count(ctx->ext[down], *cd, 0);
            int64_t more = climb_count(ctx->ext[up], *cu, 1);
            if (less == *cd || more == *cu) {
                continue;
            }
            *cd = less;
            *cu = more;
            climb_offer(ctx, memo, &q, next);
        }
    }
}

/* Steepest descent of partition_score from *best over moves of one
 * partition dim's count (climb_count) or trades between two dims. */
static void climb_partition(const struct plan_ctx *ctx,
                            struct scored_parts *memo, struct ranked *best)
{
    for (int step = 0; step < CLIMB_STEPS; step++) {
        /* The next counts first; half and twice only when they fail,
         * trades between two dims when those fail too. */
        struct ranked next = *best;
        for (int moves = 0; moves < 4 && !(next.score < best->score);
             moves += 2) {
            climb_moves(ctx, memo, best, moves, &next);
        }
        if (!(next.score < best->score)) {
            climb_trades(ctx, memo, best, &next);
        }
        if (!(next.score < best->score)) {
            return;
        }
        *best = next;
    }
}

/* The full search's partitions: the best by the rough partition score
 * under each penalty, ranked again by partition_score; the best KEEP_PARTS
 * stay.  Repeats and mirror images count once; the best then climbs
 * (climb_partition). */
static int rescore_partitions(const struct plan_ctx *ctx,
                              struct ranked *list, int n)
{
    struct ranked kept[KEEP_PARTS];
    int nkept = 0;
    struct scored_parts memo = {.n = 0};
    for (int i = 0; i < n; i++) {
        if (mirrors_earlier(ctx, list, i)) {
            continue;
        }
        rank_insert(kept, &nkept, KEEP_PARTS,
                    partition_score_once(ctx, &memo, &list[i].plan),
                    &list[i].plan);
    }
    if (nkept > 0) {
        struct ranked top = kept[0];
        climb_partition(ctx, &memo, &top);
        if (top.score < kept[0].score) {
            rank_insert(kept, &nkept, KEEP_PARTS, top.score, &top.plan);
        }
    }
    memcpy(list, kept, (size_t)nkept * sizeof *kept);
    return nkept;
}

/* The lite search's partition, alone in list after: of the best under
 * each rough penalty, the one whose grown score (partition_score) is
 * best (the full penalty alone cost AlexNet on multinode 3.5%: the
 * chains were ranked with poor partitions of some layers). */
static int best_partition(const struct plan_ctx *ctx, struct ranked *list,
                          int n)
{
    struct scored_parts memo = {.n = 0};
    int best = 0;
    double best_score = INFINITY;
    for (int i = 0; i < n; i++) {
        double score = partition_score_once(ctx, &memo, &list[i].plan);
        if (score < best_score) {
            best_score = score;
            best = i;
        }
    }
    list[0] = list[best];
    return n > 0 ? 1 : 0;
}

static void descent_search(const struct plan_ctx *ctx, bool lite,
                           struct intra_result *out)
{
    struct ranked parts[PENALTIES * SCORE_PARTS];
    /* The full penalty can bury a partition of little traffic whose
     * tiles must be split (C over 9 nodes on a 1x1 layer of ResNet-50),
     * no penalty favours too few nodes: both searches look at the best
     * under each penalty. */
    int nparts = node_partitions(ctx, parts, lite ? 1 : SCORE_PARTS, !lite,
                                 PENALTIES);
    nparts = lite ? best_partition(ctx, parts, nparts)
                  : rescore_partitions(ctx, parts, nparts);

    /* With one partition (a one-node region) the partitions' budget
     * goes to the stacks instead: stack_score ranks stacks roughly (VGG-16
     * on the edge preset: the best stack of conv6, conv8 and conv9 was
     * not among the best 4, which cost those layers 11-16%). */
    int score_stacks = lite ? 2 : nparts <= 1 ? SCORE_STACKS_ALONE
                                              : SCORE_STACKS;
    int keep_stacks = nparts <= 1 ? KEEP_STACKS_ALONE : KEEP_STACKS;
    for (int i = 0; i < nparts; i++) {
        struct plan base = parts[i].plan;
        set_node_share(ctx, &base);
        struct ranked stacks[SCORE_STACKS_ALONE];
        int nstacks = pe_stacks(ctx, &base, stacks, score_stacks);
        if (!lite) {
            nstacks = rescore_stacks(ctx, stacks, nstacks, keep_stacks);
        }
        for (int j = 0; j < nstacks; j++) {
            struct ranked regf[KEEP_REGF];
            int nregf = regf_descents(ctx, &stacks[j].plan, regf,
                                      lite ? 1 : KEEP_REGF);
            for (int k = 0; k < nregf; k++) {
                gbuf_descents(ctx, &regf[k].plan, out);
            }
        }
    }
}

/* ---- exhaustive enumeration ---- */

/*
 * The exhaustive search prices plans with kpl_cost_layer itself, in a
 * private one-layer view of the caller's scheme (pricer_init), so
 * searches on other threads do not interfere.  A plan is skipped only
 * when a lower bound of its cost already reaches the best priced plan;
 * the bounds hold for every completion of a partial plan (see bound_*
 * below), and every priced plan is compared with its bounds (violations
 * are counted, and the unit test requires none).
 */
struct exhaustive {
    const struct plan_ctx *ctx;
    struct intra_result *out;
    double deadline;
    bool stopped;
    long priced;
    long most_priced; /* stop after this many pricings (0: no limit) */
    /* A one-layer view of the caller's scheme (pricer_init). */
    struct kpl_scheme scheme;
    struct kpl_network net;
    struct kpl_layer_map map;
    struct kpl_layer_ctx lctx;
    double dram_hop;   /* NoC hops per DRAM word (from the first pricing) */
    double share;      /* static power share of the region */
    double fixed;      /* MAC and REGF energy: the same for every plan */
    double bound;      /* of the GBUF choice being enumerated */
    double stack_bound; /* of the PE stack being walked (0: none) */
    double compulsory[KPL_TENSOR_COUNT]; /* of the partition, per tensor */
    bool on_chip[KPL_TENSOR_COUNT];      /* forwarded, not in DRAM */
    double partition_floor; /* compute cycles of the partition's PEs */
    double partition_nodes; /* node copies of the partition */
    int64_t array_words;    /* register-file words of a node's PE array */
    int64_t node_share[PLAN_DIMS];       /* node share of the partition */
    /* Per REGF order, the bound of the REGF choice being walked (the
     * last one set before a leaf is the leaf's). */
    double leaf_bound[PLAN_ORDERS];
    /* Of the GBUF choice being enumerated: its exact energy terms that no
     * REGF choice changes, its DRAM cycles, and per tensor the GBUF trips
     * that multiply its bus words (see bound_regf_partial). */
    double gbuf_energy;
    double gbuf_dram_cycles;
    double idle[KPL_TENSOR_COUNT];
    double outside[KPL_TENSOR_COUNT];
    int64_t regf_lim[PLAN_DIMS];
    int nsizes[KPL_LEVEL_COUNT][PLAN_DIMS];
    /* Last: pricer_new does not clear it (only the entries nsizes
     * counts are read, each written first). */
    int64_t sizes[KPL_LEVEL_COUNT][PLAN_DIMS][MAX_COUNTS];
};

static bool out_of_time(struct exhaustive *ex)
{
    if (ex->most_priced > 0 && ex->priced >= ex->most_priced) {
        ex->stopped = true;
    }
    if (!ex->stopped && ex->deadline > 0 && ex->priced % 256 == 0) {
        ex->stopped = intra_now() > ex->deadline;
    }
    return ex->stopped;
}

/*
 * What a subtree's bound must stay below for the subtree to be walked:
 * the incumbent's objective, less a relative 1e-12.  A plan that ties
 * with the incumbent up to rounding cannot improve on it, and where the
 * bound is exact (a pooling layer whose every plan fetches each input
 * once) it can differ from the priced objective in the last bits either
 * way: ResNet-50's pool5 on multinode priced millions of such ties.
 */
static double best_objective(const struct exhaustive *ex)
{
    return ex->out->ncand > 0 ? ex->out->cand_objective[0] * (1 - 1e-12)
                              : INFINITY;
}

/* kpl_cost_layer's objective for a plan. */
static double price(struct exhaustive *ex, const struct plan *p,
                    struct kpl_layer_cost *cost)
{
    const struct plan_ctx *ctx = ex->ctx;
    plan_materialize(ctx, p, &ex->map);
    kpl_cost_layer(&ex->scheme, 0, &ex->lctx, cost);
    ex->priced++;
    struct plan_est est = {
        .energy = kpl_energy_total(&cost->energy),
        .cycles = cost->cycles,
    };
    return plan_objective(ctx->goal, &est);
}

/* Offers a priced plan: the candidates are ranked by the cost model. */
static void offer_priced(struct exhaustive *ex, const struct plan *p)
{
    struct kpl_layer_cost cost;
    double obj = price(ex, p, &cost);
    if (obj < fmax(ex->bound, ex->stack_bound) * (1 - 1e-12)) {
        ex->out->bound_violations++;
    }
    offer_at(ex->ctx, p, obj, ex->out);
}

/* Objective of a lower bound of energy and cycles. */
static double bound_objective(const struct exhaustive *ex, double energy,
                              double cycles)
{
    struct plan_est est = {.energy = energy, .cycles = cycles};
    return plan_objective(ex->ctx->goal, &est);
}

/* Cycles no plan with `copies` busy PEs in all can beat. */
static double compute_floor(const struct plan_ctx *ctx, double copies)
{
    return ceil(ctx->ops / copies);
}

/*
 * Cycles no plan moving `bus` words over the array buses of `nodes` nodes
 * can beat: the busiest node's bus carries at least its share.
 */
static double bus_floor(const struct kpl_arch *arch, double bus,
                        double nodes)
{
    if (arch->bus_bits <= 0 || arch->word_bits <= 0 || nodes <= 0) {
        return 0;
    }
    double per_cycle = (double)arch->bus_bits / (double)arch->word_bits;
    return ceil(bus / nodes / per_cycle);
}

/* Words of tensor t that cross the NoC from a pipelined producer: the
 * forwarded ifm's visits, each the producers' mean distance away. */
static double forwarded_hops(const struct exhaustive *ex, int t,
                             double words)
{
    return t == KPL_TENSOR_IFM && ex->on_chip[t] ? words * ex->ctx->ifm_hops
                                                 : 0;
}

/*
 * The bound of a plan of the partition being walked that moves at least
 * these words: `dram` between DRAM and the buffers, `onchip` from or to a
 * pipelined neighbour (`hops` of them over the NoC), `bus` over the array
 * bus; the time is at least the partition's compute floor and the DRAM
 * words' transfer time.
 */
static double words_bound(const struct exhaustive *ex, double dram,
                          double onchip, double hops, double bus)
{
    const struct kpl_arch *arch = ex->ctx->arch;
    double cycles = fmax(ex->partition_floor,
                         bus_floor(arch, bus, ex->partition_nodes));
    if (arch->dram_bw > 0) {
        double bytes = dram * (double)arch->word_bits / 8.0;
        cycles = fmax(cycles, ceil(bytes / arch->dram_bw));
    }
    double energy = ex->fixed + dram * (arch->e_dram +
                                        arch->e_hop * ex->dram_hop) +
                    hops * arch->e_hop + (dram + onchip) * arch->e_gbuf +
                    bus * (arch->e_bus + arch->e_gbuf) +
                    arch->static_pj_per_cycle * cycles * ex->share;
    return bound_objective(ex, energy, cycles);
}

/* A lower bound of every plan with this GBUF partition. */
static double bound_partition(struct exhaustive *ex,
                              const int64_t stack[PLAN_DIMS])
{
    const struct plan_ctx *ctx = ex->ctx;
    double dram = 0, onchip = 0, hops = 0, copies = 1;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (ctx->layer->tensor_dims[t] == 0) {
            continue;
        }
        double w = compulsory_words(ctx, stack, t);
        ex->compulsory[t] = w;
        bool on_chip = (t == KPL_TENSOR_IFM && ctx->ifm_on_chip) ||
                       (t == KPL_TENSOR_OFM && ctx->ofm_on_chip);
        ex->on_chip[t] = on_chip;
        if (on_chip) {
            onchip += w;
            hops += forwarded_hops(ex, t, w);
        } else {
            dram += w;
        }
    }
    for (int d = 0; d < PLAN_DIMS; d++) {
        copies *= (double)stack[d];
    }
    ex->partition_floor = compute_floor(ctx, copies * (double)ctx->pes);
    ex->partition_nodes = copies;
    return words_bound(ex, dram, onchip, hops, dram + onchip);
}

/* Index in dims (a level's updates, innermost first) of the first update
 * that moves tensor t; n when none does. */
static int first_relevant(const struct plan_ctx *ctx, int t,
                          const int dims[PLAN_DIMS], int n)
{
    int first = 0;
    while (first < n && !(ctx->rel[t] & KPL_DIM_BIT(dims[first]))) {
        first++;
    }
    return first;
}

/*
 * A lower bound of every completion of a GBUF level whose tiles are chosen
 * for dims below `from`: the others at their largest (the node share), so
 * their trips are 1.  A tensor's DRAM words are its sweep (at least its
 * compulsory words) times its re-fetch factor, the trips of the updates
 * outside its first relevant one that leave it; growing a tile never adds
 * trips, so never raises that factor.  Its bus words are at least the
 * same (see bound_regf_partial), and at least its compulsory words times
 * all the trips of updates that leave it when its smallest possible GBUF
 * tile (`least`, the plan with the dims not chosen at their smallest)
 * cannot fit the register files of the whole array, since some REGF
 * update must then move it.  With least NULL that last test is skipped,
 * and the bound only falls as a tile grows.
 */
static double bound_gbuf_partial(struct exhaustive *ex, const struct plan *p,
                                 int from, const struct plan *least)
{
    const struct plan_ctx *ctx = ex->ctx;
    const struct plan_level *g = &p->lv[KPL_LEVEL_GBUF];
    int64_t trips[PLAN_DIMS];
    for (int d = 0; d < PLAN_DIMS; d++) {
        /* Dims from `from` on at the node share: one trip. */
        trips[d] = d < from ? ceil_div(ctx->ext[d], g->tile[d] * g->stack[d])
                            : 1;
    }
    int dims[PLAN_DIMS];
    int n = plan_order_dims(g->order, trips, dims);
    double dram = 0, onchip = 0, hops = 0, bus = 0;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (ctx->layer->tensor_dims[t] == 0) {
            continue;
        }
        int first = first_relevant(ctx, t, dims, n);
        double refetch = 1, idle = 1;
        for (int u = 0; u < n; u++) {
            if (!(ctx->rel[t] & KPL_DIM_BIT(dims[u]))) {
                double trip = (double)trips[dims[u]];
                idle *= trip;
                refetch *= u > first ? trip : 1;
            }
        }
        double w = ex->compulsory[t] * refetch;
        /* The ofm's partial sums go out and come back: every visit but
         * the sweep's first is a read and a write (checker/cost.c). */
        double outside = t == (int)ctx->layer->out ? 2 * w - ex->compulsory[t]
                                                   : w;
        if (ex->on_chip[t]) {
            onchip += outside;
            hops += forwarded_hops(ex, t, outside);
        } else {
            dram += outside;
        }
        bool moved = least != NULL &&
                     plan_tensor_words(ctx, least->lv[KPL_LEVEL_GBUF].tile,
                                       t) > ex->array_words;
        bus += moved ? ex->compulsory[t] * idle : w;
    }
    return words_bound(ex, dram, onchip, hops, bus);
}

/* The GBUF factors of each tensor's bus words (checker/cost.c,
 * tensor_flow): all trips of updates that leave it, and those outside its
 * first relevant update. */
static void gbuf_factors(struct exhaustive *ex, const struct plan *p)
{
    const struct plan_ctx *ctx = ex->ctx;
    int dims[PLAN_DIMS];
    int n = plan_update_dims(ctx, p, KPL_LEVEL_GBUF, dims);
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        double idle = 1, outside = 1;
        bool seen = false;
        for (int u = 0; u < n; u++) {
            bool rel = (ctx->rel[t] & KPL_DIM_BIT(dims[u])) != 0;
            double trips = (double)plan_trips(p, KPL_LEVEL_GBUF, dims[u], ctx);
            seen |= rel;
            if (!rel) {
                idle *= trips;
                outside *= seen ? trips : 1;
            }
        }
        ex->idle[t] = idle;
        ex->outside[t] = outside;
    }
}

/*
 * A lower bound of every completion of a REGF level whose tiles are chosen
 * for dims below `from` (the others at their largest, trips 1).  A
 * tensor's bus words are at least its compulsory words times: the REGF
 * re-fetch factor times the GBUF trips that leave it, when some REGF
 * update moves it (that factor never falls as tiles shrink); else the GBUF
 * trips outside its first relevant GBUF update, which is also the smaller
 * of the two.
 */
static double bound_regf_partial(struct exhaustive *ex, const struct plan *p,
                                 int from, double pe_copies)
{
    const struct plan_ctx *ctx = ex->ctx;
    const struct kpl_arch *arch = ctx->arch;
    struct plan q = *p;
    for (int d = from; d < PLAN_DIMS; d++) {
        if (!plan_dim_free(ctx, d)) {
            q.lv[KPL_LEVEL_REGF].tile[d] = ex->regf_lim[d];
        }
    }
    int dims[PLAN_DIMS];
    int n = plan_update_dims(ctx, &q, KPL_LEVEL_REGF, dims);
    double bus = 0, copies = 1, nodes = 1;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (ctx->layer->tensor_dims[t] == 0) {
            continue;
        }
        int first = first_relevant(ctx, t, dims, n);
        double factor = ex->outside[t];
        if (first < n) {
            double refetch = 1;
            for (int u = first + 1; u < n; u++) {
                if (!(ctx->rel[t] & KPL_DIM_BIT(dims[u]))) {
                    refetch *= (double)plan_trips(&q, KPL_LEVEL_REGF, dims[u],
                                                  ctx);
                }
            }
            factor = refetch * ex->idle[t];
        }
        bus += ex->compulsory[t] * factor;
    }
    for (int d = 0; d < PLAN_DIMS; d++) {
        copies *= (double)p->lv[KPL_LEVEL_REGF].stack[d];
        nodes *= (double)p->lv[KPL_LEVEL_GBUF].stack[d];
    }
    if (pe_copies > 0) {
        copies = pe_copies;
    }
    double cycles = fmax(ex->gbuf_dram_cycles,
                         compute_floor(ctx, nodes * copies));
    cycles = fmax(cycles, bus_floor(arch, bus, nodes));
    double energy = ex->gbuf_energy + bus * (arch->e_bus + arch->e_gbuf) +
                    arch->static_pj_per_cycle * cycles * ex->share;
    return bound_objective(ex, energy, cycles);
}

/* True when order o of level lv gives the same loop nest as an earlier
 * order (orders matter only between the level's updates). */
static bool order_repeats(const struct plan_ctx *ctx, struct plan *p,
                          enum kpl_level lv, int o)
{
    int dims[PLAN_DIMS], other[PLAN_DIMS];
    p->lv[lv].order = o;
    int n = plan_update_dims(ctx, p, lv, dims);
    bool repeat = false;
    for (int e = 0; e < o && !repeat; e++) {
        p->lv[lv].order = e;
        int m = plan_update_dims(ctx, p, lv, other);
        repeat = m == n && memcmp(dims, other, (size_t)n * sizeof *dims) == 0;
    }
    p->lv[lv].order = o;
    return repeat;
}

/* Every REGF level under a complete GBUF level (below). */
static void regf_stacks(struct exhaustive *ex, struct plan *p);

/* Index of the largest size of dim d whose level words fit its buffer
 * (words grow with the tile), or -1. */
static int largest_fitting(struct exhaustive *ex, struct plan *p, int lv,
                           int d)
{
    const struct plan_ctx *ctx = ex->ctx;
    int64_t saved = p->lv[lv].tile[d];
    int lo = 0, hi = ex->nsizes[lv][d] - 1, found = -1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        p->lv[lv].tile[d] = ex->sizes[lv][d][mid];
        if (plan_words(ctx, p, (enum kpl_level)lv) <= ctx->words[lv]) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    p->lv[lv].tile[d] = saved;
    return found;
}

#define ALL_ORDERS ((1u << PLAN_ORDERS) - 1)

/* The bound of every completion of level lv with dims up to d chosen, in
 * the level's order. */
static double level_bound(struct exhaustive *ex, const struct plan *p,
                          int lv, int d)
{
    return lv == KPL_LEVEL_GBUF ? bound_gbuf_partial(ex, p, d + 1, NULL)
                                : bound_regf_partial(ex, p, d + 1, 0);
}

/* The orders of `orders` (a set of order bits) in which level lv's bound
 * with dims up to d chosen is below the incumbent. */
static unsigned orders_below(struct exhaustive *ex, struct plan *p, int lv,
                             int d, unsigned orders,
                             double bounds[PLAN_ORDERS])
{
    int saved = p->lv[lv].order;
    unsigned below = 0;
    for (int o = 0; o < PLAN_ORDERS; o++) {
        if (orders & (1u << o)) {
            p->lv[lv].order = o;
            bounds[o] = level_bound(ex, p, lv, d);
            below |= bounds[o] < best_objective(ex) ? 1u << o : 0;
        }
    }
    p->lv[lv].order = saved;
    return below;
}

/* Index of the smallest size of dim d, up to last, whose bound is below
 * the incumbent in some order of `orders`; last + 1 when none is. */
static int first_promising(struct exhaustive *ex, struct plan *p, int lv,
                           int d, int last, unsigned orders)
{
    int64_t saved = p->lv[lv].tile[d];
    double bounds[PLAN_ORDERS];
    int lo = 0, hi = last + 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        p->lv[lv].tile[d] = ex->sizes[lv][d][mid];
        if (orders_below(ex, p, lv, d, orders, bounds) != 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    p->lv[lv].tile[d] = saved;
    return lo;
}

/*
 * Per order of `orders`, a bound of every completion of level lv with
 * dims up to d chosen that fits the buffer (INFINITY when none does): the
 * bound of one completion with each later dim at the largest size that
 * fits with the others after d at their smallest.  No fitting completion
 * has a larger tile along any dim (words grow with every tile), so it has
 * no fewer trips.  Unlike level_bound, this can rise as tile d grows
 * (less room is left), so it only filters sizes, it does not end the walk.
 * (Walking the frontier of the later dims' fitting sizes instead gave
 * tighter bounds that cost more than the walk they saved.)
 */
static void completion_bounds(struct exhaustive *ex, struct plan *p, int lv,
                              int d, unsigned orders,
                              double bounds[PLAN_ORDERS])
{
    for (int o = 0; o < PLAN_ORDERS; o++) {
        bounds[o] = INFINITY;
    }
    struct plan q = *p;
    for (int e = d + 1; e < PLAN_DIMS; e++) {
        if (ex->nsizes[lv][e] == 0) {
            continue;
        }
        int i = largest_fitting(ex, p, lv, e);
        if (i < 0) {
            return;
        }
        q.lv[lv].tile[e] = ex->sizes[lv][e][i];
    }
    for (int o = 0; o < PLAN_ORDERS; o++) {
        if (orders & (1u << o)) {
            q.lv[lv].order = o;
            bounds[o] = lv == KPL_LEVEL_GBUF
                            ? bound_gbuf_partial(ex, &q, PLAN_DIMS, p)
                            : bound_regf_partial(ex, &q, PLAN_DIMS, 0);
        }
    }
}

/* The orders of `orders` in which both bounds of tile d's current size
 * are below the incumbent; ex->leaf_bound holds each one's bound. */
static unsigned orders_alive(struct exhaustive *ex, struct plan *p, int lv,
                             int d, unsigned orders)
{
    double bounds[PLAN_ORDERS], fitting[PLAN_ORDERS];
    unsigned alive = orders_below(ex, p, lv, d, orders, bounds);
    if (alive == 0) {
        return 0;
    }
    completion_bounds(ex, p, lv, d, alive, fitting);
    for (int o = 0; o < PLAN_ORDERS; o++) {
        if (!(alive & (1u << o))) {
            continue;
        }
        if (fitting[o] >= best_objective(ex)) {
            alive &= ~(1u << o);
        } else {
            ex->leaf_bound[o] = fmax(fitting[o], bounds[o]);
        }
    }
    return alive;
}

/* A complete level in each of its live orders that gives a loop nest of
 * its own: at the GBUF level its REGF levels are enumerated, at the REGF
 * level the plan is priced. */
static void walk_leaf(struct exhaustive *ex, struct plan *p, int lv,
                      unsigned orders)
{
    const struct plan_ctx *ctx = ex->ctx;
    bool valid = lv == KPL_LEVEL_REGF
                     ? plan_valid(ctx, p)
                     : plan_level_valid(ctx, p, KPL_LEVEL_GBUF);
    int saved = p->lv[lv].order;
    for (int o = 0; valid && o < PLAN_ORDERS && !out_of_time(ex); o++) {
        if (!(orders & (1u << o)) || order_repeats(ctx, p, lv, o)) {
            continue;
        }
        p->lv[lv].order = o;
        if (lv == KPL_LEVEL_REGF) {
            ex->bound = ex->leaf_bound[o];
            offer_priced(ex, p);
        } else {
            regf_stacks(ex, p);
        }
    }
    p->lv[lv].order = saved;
}

/*
 * Tile sizes of level lv from dim d on, for the orders in `orders` (the
 * walk is shared by every order: the sizes that fit do not depend on it),
 * from the smallest whose bound is below the incumbent in some order to
 * the largest that fits the buffer (the dims after d at their smallest).
 */
static void walk_tiles(struct exhaustive *ex, struct plan *p, int lv, int d,
                       unsigned orders)
{
    if (out_of_time(ex)) {
        return;
    }
    if (d == PLAN_DIMS) {
        walk_leaf(ex, p, lv, orders);
        return;
    }
    if (ex->nsizes[lv][d] == 0) {
        walk_tiles(ex, p, lv, d + 1, orders);
        return;
    }
    /* Smallest first (largest first priced 20 times more plans on
     * MobileNet's depthwise layers: big GBUF tiles carry big REGF
     * subtrees, walked before the incumbent improves), but from the first
     * size whose bound is below the incumbent, found by bisection since
     * the bound only falls as a tile grows. */
    int64_t saved = p->lv[lv].tile[d];
    int last = largest_fitting(ex, p, lv, d);
    int first = first_promising(ex, p, lv, d, last, orders);
    for (int i = first; i <= last; i++) {
        p->lv[lv].tile[d] = ex->sizes[lv][d][i];
        unsigned alive = orders_alive(ex, p, lv, d, orders);
        if (alive != 0) {
            walk_tiles(ex, p, lv, d + 1, alive);
        }
    }
    p->lv[lv].tile[d] = saved;
}

/* REGF tiles of one PE stack choice under a fixed GBUF level. */
static void regf_tiles(struct exhaustive *ex, struct plan *p)
{
    const struct plan_ctx *ctx = ex->ctx;
    const struct plan_level *g = &p->lv[KPL_LEVEL_GBUF];
    for (int d = 0; d < PLAN_DIMS; d++) {
        int64_t lim = ceil_div(g->tile[d], p->lv[KPL_LEVEL_REGF].stack[d]);
        ex->regf_lim[d] = lim;
        ex->nsizes[KPL_LEVEL_REGF][d] =
            plan_dim_free(ctx, d)
                ? 0
                : split_sizes(lim, ex->sizes[KPL_LEVEL_REGF][d], MAX_COUNTS);
    }
    walk_tiles(ex, p, KPL_LEVEL_REGF, 0, ALL_ORDERS);
}

/* A PE stack choice of a GBUF level: up to two dims and their counts,
 * and the bound of every REGF level under it. */
struct stack_choice {
    int d1, d2;
    int64_t c1, c2;
    double bound;
    int rank; /* enumeration order, the tie-break */
};

static int cmp_stack_choice(const void *a, const void *b)
{
    const struct stack_choice *x = a;
    const struct stack_choice *y = b;
    if (x->bound != y->bound) {
        return x->bound < y->bound ? -1 : 1;
    }
    return (x->rank > y->rank) - (x->rank < y->rank);
}

static void apply_stack(const struct stack_choice *c, struct plan *p)
{
    if (c->d1 >= 0) {
        p->lv[KPL_LEVEL_REGF].stack[c->d1] = c->c1;
    }
    if (c->d2 >= 0) {
        p->lv[KPL_LEVEL_REGF].stack[c->d2] = c->c2;
    }
}

/* Adds a stack choice with its bound (REGF tiles at their largest leave
 * no REGF update: a bound for every tile and order under it) when that
 * is below the incumbent. */
static void add_stack(struct exhaustive *ex, const struct plan *base,
                      struct stack_choice *list, int *n,
                      struct stack_choice c)
{
    struct plan p = *base;
    apply_stack(&c, &p);
    for (int d = 0; d < PLAN_DIMS; d++) {
        ex->regf_lim[d] = ceil_div(p.lv[KPL_LEVEL_GBUF].tile[d],
                                   p.lv[KPL_LEVEL_REGF].stack[d]);
    }
    c.bound = bound_regf_partial(ex, &p, 0, 0);
    c.rank = *n;
    if (c.bound < best_objective(ex)) {
        list[(*n)++] = c;
    }
}

/* The REGF tiles of each stack choice, lowest bound first, while its
 * bound is below the incumbent. */
static void walk_stacks(struct exhaustive *ex, const struct plan *base,
                        struct stack_choice *list, int n)
{
    qsort(list, (size_t)n, sizeof *list, cmp_stack_choice);
    for (int i = 0; i < n && !out_of_time(ex); i++) {
        if (list[i].bound >= best_objective(ex)) {
            break;
        }
        struct plan p = *base;
        apply_stack(&list[i], &p);
        ex->bound = list[i].bound;
        ex->stack_bound = list[i].bound;
        regf_tiles(ex, &p);
    }
    ex->stack_bound = 0;
}

/*
 * Every REGF stack of one or two non-free dims (counts of the split sets
 * of the GBUF tile, product at most the PEs) under a complete GBUF level,
 * after a bound check of the GBUF level itself.
 */
static void regf_stacks(struct exhaustive *ex, struct plan *p)
{
    const struct plan_ctx *ctx = ex->ctx;
    struct plan base = *p;
    for (int d = 0; d < PLAN_DIMS; d++) {
        base.lv[KPL_LEVEL_REGF].stack[d] = 1;
        base.lv[KPL_LEVEL_REGF].tile[d] = plan_dim_free(ctx, d)
                                              ? p->lv[KPL_LEVEL_REGF].tile[d]
                                              : 1;
    }
    {
        struct kpl_layer_cost gcost;
        double unit = price(ex, &base, &gcost);
        ex->out->gbuf_choices++;
        /* The unit REGF level is one completion of this GBUF level: its
         * bound must hold for it. */
        if (unit < bound_gbuf_partial(ex, &base, PLAN_DIMS, &base) *
                       (1 - 1e-12)) {
            ex->out->bound_violations++;
        }
        ex->gbuf_energy = gcost.energy.mac + gcost.energy.regf +
                          gcost.energy.dram + gcost.energy.noc +
                          (gcost.gbuf_words - gcost.bus_words) *
                              ctx->arch->e_gbuf;
        ex->gbuf_dram_cycles = gcost.dram_cycles;
        gbuf_factors(ex, &base);
        for (int d = 0; d < PLAN_DIMS; d++) {
            ex->regf_lim[d] = base.lv[KPL_LEVEL_GBUF].tile[d];
        }
        if (bound_regf_partial(ex, &base, 0, (double)ctx->pes) >=
            best_objective(ex)) {
            ex->out->gbuf_pruned++;
            return;
        }
        /* The bound falls as the PE copies grow and depends on nothing
         * else of the stack: stacks of fewer copies than this go. */
        int64_t lo = 1, hi = ctx->pes;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (bound_regf_partial(ex, &base, 0, (double)mid) <
                best_objective(ex)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        int64_t fewest = lo;
        int64_t counts[PLAN_DIMS][MAX_COUNTS];
        int ncounts[PLAN_DIMS];
        int most = 1;
        for (int d = 0; d < PLAN_DIMS; d++) {
            ncounts[d] = plan_dim_free(ctx, d)
                             ? 0
                             : copy_counts(base.lv[KPL_LEVEL_GBUF].tile[d],
                                           ctx->pes, counts[d]);
            most += ncounts[d];
        }
        struct stack_choice *list = malloc(
            (size_t)most * (size_t)most * sizeof *list);
        if (list == NULL) {
            ex->stopped = true;
            return;
        }
        int n = 0;
        if (fewest <= 1) {
            add_stack(ex, &base, list, &n,
                      (struct stack_choice){.d1 = -1, .d2 = -1});
        }
        for (int d1 = 0; d1 < PLAN_DIMS; d1++) {
            for (int i = 1; i < ncounts[d1]; i++) {
                int64_t c1 = counts[d1][i];
                if (c1 >= fewest) {
                    add_stack(ex, &base, list, &n,
                              (struct stack_choice){.d1 = d1, .c1 = c1,
                                                    .d2 = -1});
                }
                for (int d2 = d1 + 1; d2 < PLAN_DIMS; d2++) {
                    for (int j = 1; j < ncounts[d2]; j++) {
                        int64_t c2 = counts[d2][j];
                        if (c1 * c2 > ctx->pes) {
                            break;
                        }
                        if (c1 * c2 >= fewest) {
                            add_stack(ex, &base, list, &n,
                                      (struct stack_choice){
                                          .d1 = d1, .c1 = c1,
                                          .d2 = d2, .c2 = c2});
                        }
                    }
                }
            }
        }
        walk_stacks(ex, &base, list, n);
        free(list);
    }
}

/* Every GBUF tile choice of one node partition. */
static void partition_tiles(struct exhaustive *ex, struct plan *base)
{
    const struct plan_ctx *ctx = ex->ctx;
    const int64_t *share = base->lv[KPL_LEVEL_GBUF].tile;
    int64_t shares[PLAN_DIMS];
    memcpy(shares, share, sizeof shares);
    for (int d = 0; d < PLAN_DIMS; d++) {
        ex->nsizes[KPL_LEVEL_GBUF][d] =
            plan_dim_free(ctx, d)
                ? 0
                : split_sizes(shares[d], ex->sizes[KPL_LEVEL_GBUF][d],
                              MAX_COUNTS);
        /* Dims not chosen yet hold their smallest size, so the words
         * checked while walking only grow. */
        if (ex->nsizes[KPL_LEVEL_GBUF][d] > 0) {
            base->lv[KPL_LEVEL_GBUF].tile[d] = ex->sizes[KPL_LEVEL_GBUF][d][0];
        }
    }
    memcpy(ex->node_share, shares, sizeof shares);
    walk_tiles(ex, base, KPL_LEVEL_GBUF, 0, ALL_ORDERS);
}

/* Every node partition of the count sets, most promising first. */
static void exhaustive_partitions(struct exhaustive *ex)
{
    const struct plan_ctx *ctx = ex->ctx;
    int cap = 1 << 18;
    struct ranked *parts = calloc((size_t)cap, sizeof *parts);
    if (parts == NULL) {
        ex->stopped = true;
        return;
    }
    int nparts = node_partitions(ctx, parts, -cap, true, 1);
    if (nparts == cap) {
        ex->out->partitions_cut = true;
    }
    for (int i = 0; i < nparts && !out_of_time(ex); i++) {
        struct plan base = parts[i].plan;
        if (bound_partition(ex, base.lv[KPL_LEVEL_GBUF].stack) >=
            best_objective(ex)) {
            continue;
        }
        set_node_share(ctx, &base);
        partition_tiles(ex, &base);
    }
    free(parts);
}

/* The fixed terms of every plan's cost, from one priced plan. */
static void exhaustive_constants(struct exhaustive *ex)
{
    const struct plan_ctx *ctx = ex->ctx;
    const struct kpl_arch *arch = ctx->arch;
    double regf = 0, bus = 0;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (ctx->layer->tensor_dims[t] != 0) {
            regf += t == (int)ctx->layer->out ? 2 * ctx->ops : ctx->ops;
        }
    }
    (void)bus;
    ex->fixed = ctx->ops * arch->e_mac + regf * arch->e_regf;
    ex->array_words = kpl_mul_sat(ctx->pes, ctx->words[KPL_LEVEL_REGF]);
    double mesh = (double)ctx->chip_nodes;
    ex->share = mesh > 0 && (double)ctx->nodes < mesh
                    ? (double)ctx->nodes / mesh
                    : 1;
    /* Priced with every tensor in DRAM, so that no forwarded tensor's
     * hops count; a forwarded ifm used to leave the DRAM words of the
     * others without their hops in the bounds (14% below the optimum of
     * AlexNet's fc1 with both its ifm and ofm on chip). */
    ex->dram_hop = 0;
    struct plan p;
    if (intra_unit_plan(ctx, &p)) {
        struct kpl_layer_ctx on_chip = ex->lctx;
        ex->lctx.ifm_on_chip = false;
        ex->lctx.ofm_on_chip = false;
        struct kpl_layer_cost c;
        price(ex, &p, &c);
        ex->lctx = on_chip;
        if (c.dram_words > 0) {
            ex->dram_hop = c.hops / c.dram_words;
        }
    }
}

/*
 * A private scheme to price ctx's layer in, so that searches on other
 * threads do not interfere: a view of the caller's scheme whose network
 * holds ctx's layer alone, as layer 0, with one map of its own (a map of
 * every layer would be megabytes to clear per search; kpl_cost_layer
 * reads the priced layer's shape and map, and its region and
 * forwarded-ifm hops come in the layer context).
 */
static void pricer_init(struct exhaustive *ex, const struct plan_ctx *ctx)
{
    ex->ctx = ctx;
    ex->net = *ctx->scheme->net;
    ex->net.nlayer = 1;
    ex->net.layers = &ctx->scheme->net->layers[ctx->layer_index];
    ex->scheme = *ctx->scheme;
    ex->scheme.net = &ex->net;
    ex->scheme.maps = &ex->map;
    ex->scheme.nsegment = 0;
    ex->scheme.segments = NULL;
    ex->lctx = plan_cost_ctx(ctx);
}

/* A pricer of ctx's layer; NULL when out of memory or when ctx has no
 * scheme to price in. */
static struct exhaustive *pricer_new(const struct plan_ctx *ctx)
{
    struct exhaustive *ex = malloc(sizeof *ex);
    if (ex != NULL) {
        memset(ex, 0, offsetof(struct exhaustive, sizes));
    }
    if (ex == NULL || ctx->scheme == NULL) {
        free(ex);
        return NULL;
    }
    pricer_init(ex, ctx);
    exhaustive_constants(ex);
    return ex;
}

static void pricer_free(struct exhaustive *ex)
{
    free(ex);
}

/*
 * The exhaustive search: the descent's candidates priced first (a good
 * first incumbent), then every node partition, every GBUF tile of the
 * split sets and every GBUF order, every REGF stack, tile and order, each
 * complete plan priced by kpl_cost_layer unless a bound rules it out.
 */
static void refine(struct exhaustive *ex, struct intra_result *out);

static void exhaustive_search(const struct plan_ctx *ctx, double deadline,
                              struct intra_result *out)
{
    struct exhaustive *ex = pricer_new(ctx);
    if (ex == NULL) {
        return;
    }
    ex->out = out;
    ex->deadline = deadline;

    struct intra_result *seed = calloc(1, sizeof *seed);
    if (seed != NULL) {
        descent_search(ctx, false, seed);
        if (seed->found) {
            refine(ex, seed);
        }
        for (int i = 0; i < seed->ncand; i++) {
            const struct plan *p = &seed->cand[i];
            ex->bound = bound_partition(ex, p->lv[KPL_LEVEL_GBUF].stack);
            offer_priced(ex, p);
        }
        free(seed);
    }
    exhaustive_partitions(ex);
    out->complete = !ex->stopped;
    out->priced = ex->priced;
    pricer_free(ex);
}

/*
 * REGF levels (stacks, tiles, orders) under the GBUF level of plan p,
 * priced by the cost model and walked as the exhaustive search walks them,
 * with p as the first incumbent, until `budget` plans are priced:
 * the best plan that keeps p's GBUF level, into *best.  The estimate
 * ranks REGF choices less well than GBUF ones (ResNet-50's conv4_0_b on
 * multinode: the descent's PE stack, C over 16 and K over 4 PEs, was 3.4%
 * above the best one, K over 8 and Yo over 7, under the same GBUF level).
 * False when nothing beats p.
 */
static bool regf_exact(struct exhaustive *ex, const struct plan *p,
                       long budget, struct plan *best)
{
    const struct plan_ctx *ctx = ex->ctx;
    struct intra_result *out = calloc(1, sizeof *out);
    if (out == NULL) {
        return false;
    }
    ex->out = out;
    ex->stopped = false;
    ex->priced = 0;
    ex->most_priced = budget;
    struct kpl_layer_cost cost;
    double start = price(ex, p, &cost);
    offer_at(ctx, p, start, out);
    bound_partition(ex, p->lv[KPL_LEVEL_GBUF].stack);
    struct plan q = *p;
    regf_stacks(ex, &q);
    bool better = out->cand_objective[0] < start;
    *best = out->plan;
    ex->out = NULL;
    free(out);
    return better;
}

/* ---- refinement by the cost model ---- */

/* Moves every tile into the space after a change of its parent. */
static void snap_plan(const struct plan_ctx *ctx, struct plan *p)
{
    struct plan_level *g = &p->lv[KPL_LEVEL_GBUF];
    struct plan_level *r = &p->lv[KPL_LEVEL_REGF];
    for (int d = 0; d < PLAN_DIMS; d++) {
        if (plan_dim_free(ctx, d)) {
            continue;
        }
        g->tile[d] = snap_down(ceil_div(ctx->ext[d], g->stack[d]), g->tile[d]);
        r->tile[d] = snap_down(ceil_div(g->tile[d], r->stack[d]), r->tile[d]);
    }
}

/* A neighbour's next split size (dir +1 up, -1 down) of lim from t. */
static int64_t next_split(int64_t lim, int64_t t, int dir)
{
    if (dir > 0) {
        return t >= lim ? t : ceil_div(lim, ceil_div(lim, t) - 1 > 0
                                                ? ceil_div(lim, t) - 1
                                                : 1);
    }
    if (t <= 1) {
        return t;
    }
    return snap_down(lim, t - 1);
}

/* The next copy count of extent e (fewest copies per extent). */
static int64_t next_count(int64_t e, int64_t c, int dir)
{
    int64_t share = ceil_div(e, c);
    int64_t next = next_split(e, share, -dir);
    return ceil_div(e, next);
}

static int stacked_dims(const struct plan_level *l)
{
    int n = 0;
    for (int d = 0; d < PLAN_DIMS; d++) {
        n += l->stack[d] > 1;
    }
    return n;
}

static bool in_space(const struct plan_ctx *ctx, const struct plan *p)
{
    return plan_valid(ctx, p) && plan_partition_allowed(ctx, p) &&
           stacked_dims(&p->lv[KPL_LEVEL_REGF]) <= 2 &&
           plan_words(ctx, p, KPL_LEVEL_GBUF) <=
               ctx->words[KPL_LEVEL_GBUF] &&
           plan_words(ctx, p, KPL_LEVEL_REGF) <= ctx->words[KPL_LEVEL_REGF];
}

/* Tries one neighbour; keeps it in *best when it prices lower. */
static void try_move(struct exhaustive *ex, struct plan *q,
                     struct plan *best, double *best_obj)
{
    snap_plan(ex->ctx, q);
    if (!in_space(ex->ctx, q)) {
        return;
    }
    struct kpl_layer_cost cost;
    double obj = price(ex, q, &cost);
    if (obj < *best_obj) {
        *best_obj = obj;
        *best = *q;
    }
}

/* The neighbours of p: one tile, stack count or order changed. */
static void best_neighbour(struct exhaustive *ex, const struct plan *p,
                           struct plan *best, double *best_obj)
{
    const struct plan_ctx *ctx = ex->ctx;
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        for (int d = 0; d < PLAN_DIMS; d++) {
            if (plan_dim_free(ctx, d)) {
                continue;
            }
            const struct plan_level *l = &p->lv[lv];
            int64_t parent = lv == KPL_LEVEL_GBUF
                                 ? ctx->ext[d]
                                 : p->lv[KPL_LEVEL_GBUF].tile[d];
            int64_t lim = ceil_div(parent, l->stack[d]);
            bool part = lv == KPL_LEVEL_REGF;
            for (int i = 0; i < NPART_DIMS; i++) {
                part |= part_dims[i] == d;
            }
            for (int dir = -1; dir <= 1; dir += 2) {
                struct plan q = *p;
                q.lv[lv].tile[d] = next_split(lim, l->tile[d], dir);
                try_move(ex, &q, best, best_obj);
                if (part) {
                    q = *p;
                    q.lv[lv].stack[d] = next_count(parent, l->stack[d], dir);
                    try_move(ex, &q, best, best_obj);
                }
            }
        }
        for (int o = 0; o < PLAN_ORDERS; o++) {
            struct plan q = *p;
            q.lv[lv].order = o;
            try_move(ex, &q, best, best_obj);
        }
    }
}

/*
 * KAPLA's last step: from each of the descent's first candidates, a
 * steepest descent over single moves (a tile or a stack count to the next
 * value of the space, or an order) priced by kpl_cost_layer, until no move
 * helps.  The cheapest end goes first in the candidate list.
 */
static void refine(struct exhaustive *ex, struct intra_result *out)
{
    const struct plan_ctx *ctx = ex->ctx;
    struct plan best = out->plan;
    double best_obj = INFINITY;
    for (int i = 0; i < out->ncand && i < REFINE_STARTS; i++) {
        struct plan cur = out->cand[i];
        if (!in_space(ctx, &cur)) {
            continue;
        }
        struct kpl_layer_cost cost;
        double cur_obj = price(ex, &cur, &cost);
        for (int step = 0; step < 200; step++) {
            struct plan from = cur;
            double before = cur_obj;
            best_neighbour(ex, &from, &cur, &cur_obj);
            if (!(cur_obj < before)) {
                break;
            }
        }
        if (cur_obj < best_obj) {
            best_obj = cur_obj;
            best = cur;
        }
    }
    if (best_obj < INFINITY) {
        offer_first(ctx, &best, out);
    }
}

/* ---- failure report ---- */

/* The exhaustive result's fallback and failure report: the unit plan is
 * offered only by estimate rank when the list has room (it is priced
 * later with the others). */
static void explain_failure(const struct plan_ctx *ctx,
                            struct intra_result *out);

static void finish_exhaustive(const struct plan_ctx *ctx,
                              struct intra_result *out)
{
    struct plan p;
    if (out->found) {
        plan_estimate(ctx, &out->plan, &out->est);
    }
    if (intra_unit_plan(ctx, &p) && out->ncand < INTRA_CANDIDATES) {
        bool present = false;
        for (int i = 0; i < out->ncand; i++) {
            present |= same_plan(ctx, &out->cand[i], &p);
        }
        if (!present) {
            out->cand[out->ncand] = p;
            out->cand_objective[out->ncand] = INFINITY;
            out->ncand++;
            out->found = true;
        }
    }
    if (!out->found) {
        explain_failure(ctx, out);
    }
}

static void explain_failure(const struct plan_ctx *ctx,
                            struct intra_result *out)
{
    struct plan p;
    unit_plan(ctx, &p);
    int64_t regf = plan_words(ctx, &p, KPL_LEVEL_REGF);
    out->failed_level = regf > ctx->words[KPL_LEVEL_REGF] ? KPL_LEVEL_REGF
                                                          : KPL_LEVEL_GBUF;
    out->need_words = plan_words(ctx, &p, out->failed_level);
}

/* The full descent's last steps, priced by the cost model: the
 * refinement, then the REGF search under the best plan's GBUF level. */
static void cost_model_steps(const struct plan_ctx *ctx,
                             struct intra_result *out)
{
    struct exhaustive *ex = pricer_new(ctx);
    if (ex == NULL) {
        return;
    }
    refine(ex, out);
    struct plan exact;
    if (regf_exact(ex, &out->plan, EXACT_PRICINGS, &exact)) {
        offer_first(ctx, &exact, out);
    }
    pricer_free(ex);
}

void intra_search(const struct plan_ctx *ctx, enum intra_effort effort,
                  double deadline, struct intra_result *out)
{
    *out = (struct intra_result){0};
    if (effort == INTRA_EXHAUSTIVE && ctx->scheme != NULL) {
        exhaustive_search(ctx, deadline, out);
        finish_exhaustive(ctx, out);
        return;
    }
    descent_search(ctx, effort == INTRA_LITE, out);
    if (effort != INTRA_LITE && out->found) {
        cost_model_steps(ctx, out);
    }
    if (out->found) {
        plan_estimate(ctx, &out->plan, &out->est);
    }

    /* The unit plan is the fallback that always checks when it fits. */
    struct plan p;
    if (intra_unit_plan(ctx, &p)) {
        if (out->ncand < INTRA_CANDIDATES) {
            offer(ctx, &p, out);
        } else {
            out->cand[INTRA_CANDIDATES - 1] = p;
            out->cand_objective[INTRA_CANDIDATES - 1] =
                evaluate(ctx, &p, NULL);
        }
    }
    if (!out->found) {
        explain_failure(ctx, out);
    }
}

void intra_polish(const struct plan_ctx *ctx, const struct plan *from,
                  long budget, struct intra_result *out)
{
    struct exhaustive *ex = pricer_new(ctx);
    if (ex == NULL) {
        return;
    }
    struct plan exact;
    if (budget < POLISH_LEAST) {
        budget = POLISH_LEAST;
    }
    if (regf_exact(ex, from, budget, &exact)) {
        offer_first(ctx, &exact, out);
        plan_estimate(ctx, &out->plan, &out->est);
    }
    pricer_free(ex);
}
