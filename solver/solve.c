/*
 * kpl_solve: a network and an arch in, a scheme out.
 *
 * Each layer is planned by the intra-layer search (intra.c) on the region
 * its segment gives it; plans are memoised per distinct layer shape and
 * region, so repeated blocks (ResNet's bottlenecks) are searched once.  The
 * segments come from the inter-layer search (inter.c).
 */
#include "solver/solve.h"

#include <string.h>
#include <time.h>

#include "solver/inter.h"
#include "solver/intra.h"
#include "solver/plan.h"

/* Two layers plan alike when everything the search reads is equal. */
static bool same_shape(const struct kpl_layer *a, const struct kpl_layer *b)
{
    return a->kind == b->kind && a->role == b->role && a->c == b->c &&
           a->k == b->k && a->xo == b->xo && a->yo == b->yo &&
           a->r == b->r && a->s == b->s && a->stride_x == b->stride_x &&
           a->stride_y == b->stride_y && a->out == b->out &&
           memcmp(a->tensor_dims, b->tensor_dims, sizeof a->tensor_dims) == 0;
}

static bool same_region(const struct kpl_region *a,
                        const struct kpl_region *b)
{
    return a->row1 - a->row0 == b->row1 - b->row0 &&
           a->col1 - a->col0 == b->col1 - b->col0 &&
           a->row0 == b->row0 && a->col0 == b->col0;
}

void solve_memo_init(struct solve_memo *memo, struct kpl_arena *arena,
                     const struct kpl_solve_opts *opts, double deadline)
{
    *memo = (struct solve_memo){0};
    memo->arena = arena;
    memo->opts = opts;
    memo->deadline = deadline;
}

const struct intra_result *solve_layer(struct solve_memo *memo,
                                       const struct plan_ctx *ctx,
                                       const struct kpl_region *region)
{
    for (struct memo_entry *e = memo->head; e != NULL; e = e->next) {
        if (same_shape(e->layer, ctx->layer) && same_region(&e->region,
                                                            region) &&
            e->ifm_on_chip == ctx->ifm_on_chip &&
            e->ofm_on_chip == ctx->ofm_on_chip) {
            return &e->result;
        }
    }
    struct memo_entry *e = kpl_arena_alloc(memo->arena, sizeof *e);
    if (e == NULL) {
        return NULL;
    }
    e->layer = ctx->layer;
    e->region = *region;
    e->ifm_on_chip = ctx->ifm_on_chip;
    e->ofm_on_chip = ctx->ofm_on_chip;
    intra_search(ctx, memo->opts->exhaustive, memo->deadline, &e->result);
    e->next = memo->head;
    memo->head = e;
    memo->searches++;
    return &e->result;
}

static void report_unmappable(const struct kpl_scheme *scheme, int i,
                              const struct intra_result *r,
                              struct kpl_diags *diags)
{
    const struct kpl_layer *layer = &scheme->net->layers[i];
    enum kpl_level lv = r->failed_level;
    kpl_error(diags, "solve", layer->span,
              "layer '%s' fits no mapping on '%s': its smallest %s tiles "
              "need %lld words, the %s holds %lld",
              layer->name, scheme->arch->name, kpl_level_names[lv],
              (long long)r->need_words, kpl_level_names[lv],
              (long long)kpl_arch_words(scheme->arch, lv));
}

/* Plans every layer on its segment's region; false when one fits none. */
static bool plan_layers(struct kpl_scheme *scheme, struct solve_memo *memo,
                        struct kpl_diags *diags)
{
    bool ok = true;
    for (int s = 0; s < scheme->nsegment; s++) {
        const struct kpl_segment *seg = &scheme->segments[s];
        for (int j = 0; j < seg->nlayer; j++) {
            int i = seg->layers[j];
            struct plan_ctx ctx;
            solve_layer_ctx(scheme, s, j, memo->opts->goal, &ctx);
            const struct intra_result *r =
                solve_layer(memo, &ctx, &seg->regions[j]);
            if (r == NULL) {
                return false;
            }
            if (!r->found) {
                report_unmappable(scheme, i, r, diags);
                ok = false;
                continue;
            }
            plan_materialize(&ctx, &r->plan, &scheme->maps[i]);
        }
    }
    return ok;
}

struct kpl_scheme *kpl_solve(const struct kpl_network *net,
                             const struct kpl_arch *arch,
                             const struct kpl_solve_opts *opts,
                             const char *name, struct kpl_arena *arena,
                             struct kpl_diags *diags)
{
    struct kpl_solve_opts o = *opts;
    if (o.batch <= 0) {
        o.batch = 1;
    }
    if (o.keep <= 0) {
        o.keep = 4;
    }
    if (o.depth <= 0) {
        o.depth = net->training ? 1 : 5;
    }
    double deadline = o.time_limit > 0
                          ? (double)clock() + o.time_limit * CLOCKS_PER_SEC
                          : 0;

    struct kpl_scheme *scheme = kpl_arena_alloc(arena, sizeof *scheme);
    if (scheme == NULL || net->nlayer <= 0) {
        return NULL;
    }
    scheme->name = name;
    scheme->net = net;
    scheme->arch = arch;
    scheme->batch = o.batch;
    scheme->maps = kpl_arena_array(arena, (size_t)net->nlayer,
                                   sizeof *scheme->maps);
    if (scheme->maps == NULL) {
        return NULL;
    }

    struct solve_memo memo;
    solve_memo_init(&memo, arena, &o, deadline);
    if (!inter_choose_segments(scheme, &memo, arena) ||
        !plan_layers(scheme, &memo, diags)) {
        return NULL;
    }
    kpl_scheme_compute_trips(scheme);
    return kpl_arena_failed(arena) ? NULL : scheme;
}
