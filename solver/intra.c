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

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_COUNTS 24
#define KEEP_PARTS 4
#define KEEP_STACKS 4
#define KEEP_REGF 2

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

static int add_count(int64_t *counts, int n, int64_t c)
{
    for (int i = 0; i < n; i++) {
        if (counts[i] == c) {
            return n;
        }
    }
    if (n < MAX_COUNTS) {
        counts[n++] = c;
    }
    return n;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*
 * Copy counts worth trying for an extent e on at most `limit` buffers:
 * powers of two, divisors of e, and the largest count, ascending.
 */
static int copy_counts(int64_t e, int64_t limit, int64_t *counts)
{
    int64_t top = e < limit ? e : limit;
    int n = 0;
    n = add_count(counts, n, 1);
    n = add_count(counts, n, top);
    for (int64_t c = 2; c <= top; c *= 2) {
        n = add_count(counts, n, c);
    }
    for (int64_t c = 2; c <= top && c <= 4096; c++) {
        if (e % c == 0) {
            n = add_count(counts, n, c);
        }
    }
    int64_t balanced = top > 0 ? ceil_div(e, ceil_div(e, top)) : 1;
    n = add_count(counts, n, balanced);
    qsort(counts, (size_t)n, sizeof *counts, cmp_i64);
    return n;
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

/* ---- node partitions ---- */

struct part_search {
    const struct plan_ctx *ctx;
    int64_t counts[NPART_DIMS][MAX_COUNTS];
    int ncounts[NPART_DIMS];
    int64_t chosen[NPART_DIMS];
    struct ranked *list;
    int n;
    int keep;
};

/* A rough score of a node partition: compulsory traffic and time. */
static double part_score(const struct plan_ctx *ctx, const int64_t *n)
{
    const struct kpl_layer *l = ctx->layer;
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

    double traffic = 0, footprint = 0, smallest = -1;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (l->tensor_dims[t] == 0) {
            continue;
        }
        double rep = 1;
        for (int d = 0; d < PLAN_DIMS; d++) {
            if (!(ctx->rel[t] & KPL_DIM_BIT(d))) {
                rep *= (double)stack[d];
            }
        }
        double size = (double)kpl_layer_tensor_words(l, ctx->batch,
                                                     (enum kpl_tensor)t);
        double moved = size * rep * ((int)l->out == t && rep > 1 ? 2 : 1);
        traffic += moved;
        if (smallest < 0 || moved < smallest) {
            smallest = moved;
        }
        double words = 1;
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (!(l->tensor_dims[t] & KPL_DIM_BIT(d))) {
                continue;
            }
            words *= d == KPL_DIM_XI ? (double)((per[KPL_DIM_XO] - 1) *
                                                l->stride_x + per[KPL_DIM_R])
                     : d == KPL_DIM_YI
                         ? (double)((per[KPL_DIM_YO] - 1) * l->stride_y +
                                    per[KPL_DIM_S])
                         : (double)per[d];
        }
        footprint += words;
    }
    double gbuf = (double)ctx->words[KPL_LEVEL_GBUF];
    if (footprint > gbuf && smallest > 0) {
        traffic += smallest * (footprint / gbuf - 1);
    }

    double ops = (double)kpl_layer_ops(l, ctx->batch);
    double cycles = ops / (copies * (double)ctx->pes * util);
    double word_bytes = (double)arch->word_bits / 8.0;
    if (arch->dram_bw > 0 && traffic * word_bytes / arch->dram_bw > cycles) {
        cycles = traffic * word_bytes / arch->dram_bw;
    }
    double share = ctx->chip_nodes > 0
                       ? (double)ctx->nodes / (double)ctx->chip_nodes
                       : 1;
    struct plan_est est = {
        .energy = traffic * (arch->e_dram + arch->e_hop * ctx->dram_hops) +
                  arch->static_pj_per_cycle * cycles * share,
        .cycles = cycles,
    };
    return plan_objective(ctx->goal, &est);
}

static void part_walk(struct part_search *ps, int i, int64_t product)
{
    const struct plan_ctx *ctx = ps->ctx;
    if (i == NPART_DIMS) {
        struct plan p;
        unit_plan(ctx, &p);
        for (int j = 0; j < NPART_DIMS; j++) {
            p.lv[KPL_LEVEL_GBUF].stack[part_dims[j]] = ps->chosen[j];
        }
        rank_insert(ps->list, &ps->n, ps->keep,
                    part_score(ctx, ps->chosen), &p);
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

static int node_partitions(const struct plan_ctx *ctx, struct ranked *list,
                           int keep)
{
    struct part_search ps = {.ctx = ctx, .list = list, .keep = keep};
    for (int i = 0; i < NPART_DIMS; i++) {
        int d = part_dims[i];
        if (plan_dim_free(ctx, d)) {
            ps.counts[i][0] = 1;
            ps.ncounts[i] = 1;
        } else {
            ps.ncounts[i] = copy_counts(ctx->ext[d], ctx->nodes,
                                        ps.counts[i]);
        }
    }
    part_walk(&ps, 0, 1);
    return ps.n;
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

static void try_stack(const struct plan_ctx *ctx, const struct plan *base,
                      int d1, int64_t c1, int d2, int64_t c2,
                      struct ranked *list, int *n, int keep)
{
    struct plan p = *base;
    p.lv[KPL_LEVEL_REGF].stack[d1] = c1;
    if (d2 >= 0) {
        p.lv[KPL_LEVEL_REGF].stack[d2] = c2;
    }
    if (!plan_level_valid(ctx, &p, KPL_LEVEL_REGF)) {
        return;
    }
    rank_insert(list, n, keep, evaluate(ctx, &p, NULL), &p);
}

static int pe_stacks(const struct plan_ctx *ctx, const struct plan *base,
                     struct ranked *list, int keep)
{
    const int64_t *share = base->lv[KPL_LEVEL_GBUF].tile;
    int64_t counts[PLAN_DIMS][MAX_COUNTS];
    int ncounts[PLAN_DIMS];
    int n = 0;

    for (int d = 0; d < PLAN_DIMS; d++) {
        ncounts[d] = plan_dim_free(ctx, d)
                         ? 0
                         : copy_counts(share[d], ctx->pes, counts[d]);
    }
    rank_insert(list, &n, keep, evaluate(ctx, base, NULL), base);
    for (int d1 = 0; d1 < PLAN_DIMS; d1++) {
        for (int i = 1; i < ncounts[d1]; i++) {
            int64_t c1 = counts[d1][i];
            try_stack(ctx, base, d1, c1, -1, 1, list, &n, keep);
            for (int d2 = d1 + 1; d2 < PLAN_DIMS; d2++) {
                for (int j = 1; j < ncounts[d2]; j++) {
                    int64_t c2 = counts[d2][j];
                    if (c1 * c2 > ctx->pes) {
                        break;
                    }
                    try_stack(ctx, base, d1, c1, d2, c2, list, &n, keep);
                }
            }
        }
    }
    return n;
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
 * is left, by doubling, and the whole extent. */
static int next_sizes(int64_t t, int64_t lim, int64_t out[3])
{
    int n = 0;
    int64_t left = ceil_div(lim, t);
    int64_t cand[3] = {t * smallest_prime_factor(left), t * 2, lim};
    for (int i = 0; i < 3; i++) {
        int64_t c = cand[i] < lim ? cand[i] : lim;
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

    for (;;) {
        struct plan step;
        double step_obj = 0;
        bool found = false;
        for (int d = 0; d < PLAN_DIMS; d++) {
            int64_t sizes[3];
            int ns = next_sizes(cur.lv[lv].tile[d], lim[d], sizes);
            for (int i = 0; i < ns; i++) {
                struct plan q = cur;
                q.lv[lv].tile[d] = sizes[i];
                bool ok = whole ? plan_valid(ctx, &q)
                                : plan_level_valid(ctx, &q, lv);
                if (!ok) {
                    continue;
                }
                double obj = evaluate(ctx, &q, NULL);
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

/* Adds a valid plan to the candidates, keeping the best distinct ones. */
static void offer(const struct plan_ctx *ctx, const struct plan *p,
                  struct intra_result *out)
{
    struct plan_est est;
    double obj = evaluate(ctx, p, &est);
    for (int i = 0; i < out->ncand; i++) {
        if (same_plan(ctx, &out->cand[i], p)) {
            return;
        }
    }
    int pos = out->ncand;
    while (pos > 0 && out->cand_objective[pos - 1] > obj) {
        pos--;
    }
    if (pos >= INTRA_CANDIDATES) {
        return;
    }
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
        out->est = est;
        out->objective = obj;
    }
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
        int64_t covered = r->tile[d] * r->stack[d];
        g->tile[d] = covered < lim[d] ? covered : lim[d];
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

static void descent_search(const struct plan_ctx *ctx, bool lite,
                           struct intra_result *out)
{
    struct ranked parts[KEEP_PARTS];
    int nparts = node_partitions(ctx, parts, lite ? 1 : KEEP_PARTS);

    for (int i = 0; i < nparts; i++) {
        struct plan base = parts[i].plan;
        set_node_share(ctx, &base);
        struct ranked stacks[KEEP_STACKS];
        int nstacks = pe_stacks(ctx, &base, stacks, lite ? 2 : KEEP_STACKS);
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

struct exhaustive {
    const struct plan_ctx *ctx;
    struct intra_result *out;
    double deadline;
    bool stopped;
    long evaluations;
    int64_t sizes[KPL_LEVEL_COUNT][PLAN_DIMS][MAX_COUNTS];
    int nsizes[KPL_LEVEL_COUNT][PLAN_DIMS];
};

static bool out_of_time(struct exhaustive *ex)
{
    if (!ex->stopped && ex->deadline > 0 && ex->evaluations % 4096 == 0) {
        ex->stopped = intra_now() > ex->deadline;
    }
    return ex->stopped;
}

/* Every order pair of a plan whose tiles are all chosen. */
static void try_orders(struct exhaustive *ex, struct plan *p)
{
    for (int go = 0; go < PLAN_ORDERS && !out_of_time(ex); go++) {
        for (int ro = 0; ro < PLAN_ORDERS; ro++) {
            p->lv[KPL_LEVEL_GBUF].order = go;
            p->lv[KPL_LEVEL_REGF].order = ro;
            ex->evaluations++;
            offer(ex->ctx, p, ex->out);
        }
    }
}

/*
 * Tile sizes of level lv from dim d on, the REGF level first, then the
 * GBUF level; a level's words only grow with its tiles, so a size that
 * overflows the buffer ends the sizes of that dim.
 */
static void walk_tiles(struct exhaustive *ex, struct plan *p, int lv, int d)
{
    const struct plan_ctx *ctx = ex->ctx;
    if (out_of_time(ex)) {
        return;
    }
    if (d == PLAN_DIMS) {
        if (lv == KPL_LEVEL_REGF) {
            walk_tiles(ex, p, KPL_LEVEL_GBUF, 0);
        } else if (plan_valid(ctx, p)) {
            try_orders(ex, p);
        }
        return;
    }
    if (ex->nsizes[lv][d] == 0) {
        walk_tiles(ex, p, lv, d + 1);
        return;
    }
    int64_t saved = p->lv[lv].tile[d];
    for (int i = 0; i < ex->nsizes[lv][d]; i++) {
        p->lv[lv].tile[d] = ex->sizes[lv][d][i];
        if (lv == KPL_LEVEL_GBUF) {
            const struct plan_level *r = &p->lv[KPL_LEVEL_REGF];
            if (p->lv[lv].tile[d] < r->tile[d]) {
                continue;
            }
        }
        if (plan_words(ctx, p, (enum kpl_level)lv) > ctx->words[lv]) {
            break;
        }
        walk_tiles(ex, p, lv, d + 1);
    }
    p->lv[lv].tile[d] = saved;
}

static void exhaustive_stacks(struct exhaustive *ex, struct plan *base)
{
    const struct plan_ctx *ctx = ex->ctx;
    const int64_t *share = base->lv[KPL_LEVEL_GBUF].tile;
    struct ranked stacks[64];
    int nstacks = pe_stacks(ctx, base, stacks, 64);

    for (int d = 0; d < PLAN_DIMS; d++) {
        ex->nsizes[KPL_LEVEL_GBUF][d] =
            plan_dim_free(ctx, d)
                ? 0
                : copy_counts(share[d], share[d],
                              ex->sizes[KPL_LEVEL_GBUF][d]);
    }
    for (int j = 0; j < nstacks && !out_of_time(ex); j++) {
        struct plan p = stacks[j].plan;
        for (int d = 0; d < PLAN_DIMS; d++) {
            int64_t lim = ceil_div(share[d], p.lv[KPL_LEVEL_REGF].stack[d]);
            ex->nsizes[KPL_LEVEL_REGF][d] =
                plan_dim_free(ctx, d)
                    ? 0
                    : copy_counts(lim, lim, ex->sizes[KPL_LEVEL_REGF][d]);
        }
        walk_tiles(ex, &p, KPL_LEVEL_REGF, 0);
    }
}

/*
 * The exhaustive search: every node partition, the 64 best PE stacks of
 * each, and every tile size of the candidate sets (powers of two, divisors,
 * whole extents) at both levels with every order, after the descent so
 * that it never ends worse than the descent.  Free dims keep the sizes the
 * unit plan gives them (their sets are empty).
 */
static void exhaustive_search(const struct plan_ctx *ctx, double deadline,
                              struct intra_result *out)
{
    struct exhaustive *ex = calloc(1, sizeof *ex);
    struct ranked *parts = calloc(4096, sizeof *parts);
    if (ex == NULL || parts == NULL) {
        free(ex);
        free(parts);
        return;
    }
    ex->ctx = ctx;
    ex->out = out;
    ex->deadline = deadline;

    int nparts = node_partitions(ctx, parts, 4096);
    for (int i = 0; i < nparts && !out_of_time(ex); i++) {
        struct plan base = parts[i].plan;
        set_node_share(ctx, &base);
        exhaustive_stacks(ex, &base);
    }
    free(parts);
    free(ex);
}

/* ---- failure report ---- */

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

void intra_search(const struct plan_ctx *ctx, enum intra_effort effort,
                  double deadline, struct intra_result *out)
{
    *out = (struct intra_result){0};
    descent_search(ctx, effort == INTRA_LITE, out);
    if (effort == INTRA_EXHAUSTIVE) {
        exhaustive_search(ctx, deadline, out);
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
