/*
 * kpl_solve: a network and an arch in, a scheme out.
 *
 * Each layer is planned by the intra-layer search (intra.c) on the region
 * its segment gives it; plans are memoised per distinct layer shape and
 * region, so repeated blocks (ResNet's bottlenecks) are searched once.  The
 * segments come from the inter-layer search (inter.c).
 */
#include "solver/solve.h"

#include <pthread.h>
#include <string.h>

#include "checker/check.h"
#include "checker/cost.h"
#include <time.h>

#include "solver/inter.h"
#include "solver/intra.h"
#include "solver/plan.h"

/* A layer taking this share of the planned energy is polished, with
 * POLISH_BUDGET pricings times its share (intra_polish gives it at
 * least 3000): the budget of a whole network's polish is bounded. */
#define POLISH_SHARE 0.02
#define POLISH_BUDGET 200000

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

bool solve_memo_init(struct solve_memo *memo, struct kpl_arena *arena,
                     const struct kpl_solve_opts *opts, double deadline,
                     const struct kpl_scheme *scheme)
{
    *memo = (struct solve_memo){0};
    memo->arena = arena;
    memo->opts = opts;
    memo->deadline = deadline;
    memo->start = intra_now();
    memo->effort = opts->exhaustive ? INTRA_EXHAUSTIVE : INTRA_DESCENT;
    memo->scratch = *scheme;
    memo->scratch.nsegment = 0;
    memo->scratch.segments = NULL;
    memo->scratch.maps = kpl_arena_array(arena, (size_t)scheme->net->nlayer,
                                         sizeof *memo->scratch.maps);
    return memo->scratch.maps != NULL;
}

void solve_progress(struct solve_memo *memo, double done)
{
    if (done > memo->reported) {
        memo->reported = done;
    }
    if (memo->opts->progress != NULL) {
        done = memo->reported;
        double elapsed = intra_now() - memo->start;
        memo->opts->progress(memo->opts->progress_user, done, elapsed);
    }
}

static double cost_objective(enum kpl_goal goal,
                             const struct kpl_layer_cost *cost)
{
    struct plan_est est = {
        .energy = kpl_energy_total(&cost->energy),
        .cycles = cost->cycles,
    };
    return plan_objective(goal, &est);
}

/*
 * Checks and costs the candidates with the checker's own rules and cost
 * model, and keeps the cheapest that passes.
 */
static void keep_best(struct solve_memo *memo, const struct plan_ctx *ctx,
                      int layer, const struct kpl_region *region,
                      struct memo_entry *e)
{
    struct kpl_scheme *scratch = &memo->scratch;
    struct kpl_layer_ctx lctx = plan_cost_ctx(ctx);
    for (int i = 0; i < e->result.ncand; i++) {
        struct kpl_layer_map *map = &scratch->maps[layer];
        plan_materialize(ctx, &e->result.cand[i], map);
        struct kpl_diags diags;
        kpl_diags_init(&diags, memo->arena);
        diags.max_count = 1;
        if (kpl_check_layer(scratch, layer, region, &diags) != 0) {
            if (e->rejection == NULL && diags.head != NULL) {
                e->rejection = diags.head->message;
            }
            continue;
        }
        struct kpl_layer_cost cost;
        kpl_cost_layer(scratch, layer, &lctx, &cost);
        double obj = cost_objective(memo->opts->goal, &cost);
        if (!e->valid || obj < e->objective) {
            e->valid = true;
            e->plan = e->result.cand[i];
            e->cost = cost;
            e->objective = obj;
        }
    }
    scratch->maps[layer] = (struct kpl_layer_map){0};
}

static struct memo_entry *memo_find(const struct solve_memo *memo,
                                     const struct plan_ctx *ctx,
                                     const struct kpl_region *region)
{
    for (struct memo_entry *e = memo->head; e != NULL; e = e->next) {
        if (same_shape(e->layer, ctx->layer) && same_region(&e->region,
                                                            region) &&
            e->ifm_on_chip == ctx->ifm_on_chip &&
            e->ofm_on_chip == ctx->ofm_on_chip &&
            e->ctx.ofm_whole == ctx->ofm_whole &&
            e->ctx.ifm_hops == ctx->ifm_hops &&
            e->gbuf_words == ctx->words[KPL_LEVEL_GBUF] &&
            e->effort == memo->effort) {
            return e;
        }
    }
    return NULL;
}

/* A new entry, not searched yet, appended in creation order. */
static struct memo_entry *memo_add(struct solve_memo *memo,
                                   const struct plan_ctx *ctx, int layer,
                                   const struct kpl_region *region)
{
    struct memo_entry *e = kpl_arena_alloc(memo->arena, sizeof *e);
    if (e == NULL) {
        return NULL;
    }
    e->layer = ctx->layer;
    e->region = *region;
    e->ifm_on_chip = ctx->ifm_on_chip;
    e->ofm_on_chip = ctx->ofm_on_chip;
    e->gbuf_words = ctx->words[KPL_LEVEL_GBUF];
    e->effort = memo->effort;
    e->ctx = *ctx;
    e->ctx.scheme = &memo->scratch;
    e->ctx.layer_index = layer;
    e->layer_index = layer;
    if (memo->tail == NULL) {
        memo->tail = &memo->head;
    }
    *memo->tail = e;
    memo->tail = &e->next;
    return e;
}

/* Checks and costs a searched entry's candidates (one thread only). */
static void memo_finish(struct solve_memo *memo, struct memo_entry *e)
{
    keep_best(memo, &e->ctx, e->layer_index, &e->region, e);
    e->searched = true;
    memo->searches++;
}

const struct memo_entry *solve_layer(struct solve_memo *memo,
                                     const struct plan_ctx *ctx, int layer,
                                     const struct kpl_region *region)
{
    struct memo_entry *e = memo_find(memo, ctx, region);
    if (e == NULL) {
        e = memo_add(memo, ctx, layer, region);
        if (e == NULL) {
            return NULL;
        }
    }
    if (!e->searched) {
        intra_search(&e->ctx, e->effort, memo->deadline, &e->result);
        memo_finish(memo, e);
    }
    return e;
}

bool solve_layer_want(struct solve_memo *memo, const struct plan_ctx *ctx,
                      int layer, const struct kpl_region *region)
{
    return memo_find(memo, ctx, region) != NULL ||
           memo_add(memo, ctx, layer, region) != NULL;
}

/*
 * Threads take the wanted entries one at a time from a shared counter;
 * each search reads only its own entry's context and writes only its own
 * result, so the results do not depend on which thread ran which.
 */
struct workers {
    struct memo_entry **jobs;
    int njobs;
    int next;
    pthread_mutex_t lock;
    double deadline;
};

static int take_job(struct workers *w)
{
    pthread_mutex_lock(&w->lock);
    int i = w->next++;
    pthread_mutex_unlock(&w->lock);
    return i;
}

static void *work(void *arg)
{
    struct workers *w = arg;
    for (;;) {
        int i = take_job(w);
        if (i >= w->njobs) {
            return NULL;
        }
        struct memo_entry *e = w->jobs[i];
        intra_search(&e->ctx, e->effort, w->deadline, &e->result);
    }
}

/* The calling thread's share, reporting progress between its searches
 * (the first 90% of the solve; the programme after it is quick). */
static void work_and_report(struct solve_memo *memo, struct workers *w)
{
    for (;;) {
        int i = take_job(w);
        if (i >= w->njobs) {
            return;
        }
        solve_progress(memo, 0.9 * (double)i / w->njobs);
        struct memo_entry *e = w->jobs[i];
        intra_search(&e->ctx, e->effort, w->deadline, &e->result);
    }
}

static void run_threads(struct solve_memo *memo, struct workers *w,
                        int threads)
{
    pthread_t ids[64];
    int started = 0;
    if (threads > 64) {
        threads = 64;
    }
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&ids[started], NULL, work, w) == 0) {
            started++;
        }
    }
    work_and_report(memo, w);
    for (int t = 0; t < started; t++) {
        pthread_join(ids[t], NULL);
    }
}

void solve_memo_run(struct solve_memo *memo)
{
    int n = 0;
    for (struct memo_entry *e = memo->head; e != NULL; e = e->next) {
        n += !e->searched;
    }
    if (n == 0) {
        return;
    }
    struct workers w = {.njobs = n, .deadline = memo->deadline};
    w.jobs = kpl_arena_array(memo->arena, (size_t)n, sizeof *w.jobs);
    if (w.jobs == NULL || pthread_mutex_init(&w.lock, NULL) != 0) {
        return; /* solve_layer searches them one by one instead */
    }
    int i = 0;
    for (struct memo_entry *e = memo->head; e != NULL; e = e->next) {
        if (!e->searched) {
            w.jobs[i++] = e;
        }
    }
    run_threads(memo, &w, memo->opts->threads);
    pthread_mutex_destroy(&w.lock);
    for (i = 0; i < n; i++) {
        memo_finish(memo, w.jobs[i]);
    }
}

static void report_unmappable(const struct kpl_scheme *scheme, int i,
                              const struct memo_entry *e,
                              struct kpl_diags *diags)
{
    const struct kpl_layer *layer = &scheme->net->layers[i];
    const struct intra_result *r = &e->result;
    enum kpl_level lv = r->failed_level;
    if (r->found) {
        struct kpl_diag *diag = kpl_error(
            diags, "solve", layer->span,
            "layer '%s' has no mapping on '%s' that passes the checker: "
            "%d candidates tried", layer->name, scheme->arch->name,
            r->ncand);
        if (e->rejection != NULL) {
            kpl_diag_note(diags, diag, layer->span, "the best one: %s",
                          e->rejection);
        }
        return;
    }
    kpl_error(diags, "solve", layer->span,
              "layer '%s' fits no mapping on '%s': its smallest %s tiles "
              "need %lld words, the %s holds %lld",
              layer->name, scheme->arch->name, kpl_level_names[lv],
              (long long)r->need_words, kpl_level_names[lv],
              (long long)kpl_arch_words(scheme->arch, lv));
}

/* The search context of layer j of segment s in the planned scheme. */
static void layer_ctx(const struct kpl_scheme *scheme, int s, int j,
                      const struct solve_memo *memo, bool ofm_whole,
                      struct plan_ctx *ctx)
{
    solve_layer_ctx(scheme, s, j, memo->opts->goal, ctx);
    ctx->ofm_whole = ofm_whole && scheme->segments[s].nlayer > 1;
}

/* The memo entry that planned layer j of segment s (NULL: none). */
static struct memo_entry *planned_entry(const struct kpl_scheme *scheme,
                                        int s, int j,
                                        struct solve_memo *memo,
                                        bool ofm_whole)
{
    struct plan_ctx ctx;
    layer_ctx(scheme, s, j, memo, ofm_whole, &ctx);
    return memo_find(memo, &ctx, &scheme->segments[s].regions[j]);
}

/* Sets every entry's energy_share: the share of the planned scheme's
 * energy that the layers planned with it take.  False when the scheme
 * costs nothing (an arch without energies). */
static bool energy_shares(const struct kpl_scheme *scheme,
                          struct solve_memo *memo, bool ofm_whole)
{
    for (struct memo_entry *e = memo->head; e != NULL; e = e->next) {
        e->energy_share = 0;
    }
    double total = 0;
    for (int s = 0; s < scheme->nsegment; s++) {
        for (int j = 0; j < scheme->segments[s].nlayer; j++) {
            struct memo_entry *e = planned_entry(scheme, s, j, memo,
                                                 ofm_whole);
            if (e != NULL && e->valid) {
                e->energy_share += kpl_energy_total(&e->cost.energy);
                total += kpl_energy_total(&e->cost.energy);
            }
        }
    }
    if (!(total > 0)) {
        return false;
    }
    for (struct memo_entry *e = memo->head; e != NULL; e = e->next) {
        e->energy_share /= total;
    }
    return true;
}

/*
 * Polishes every memo entry whose layers take at least POLISH_SHARE of
 * the planned energy (intra_polish, a budget in proportion to that
 * share) and plans its layers with the better plan: the exact REGF
 * search pays most where the energy is (VGG-16's large convolutions on
 * multinode, 2-5% each), and its budget would be wasted on the many
 * small layers the descent already plans well.  An entry is polished
 * once, in place, so later searches of the same context get the polished
 * plan.  Deterministic: the shares come from the plans, not the clock.
 */
static void polish_layers(struct kpl_scheme *scheme, struct solve_memo *memo,
                          bool ofm_whole)
{
    if (!energy_shares(scheme, memo, ofm_whole)) {
        return;
    }
    for (int s = 0; s < scheme->nsegment; s++) {
        for (int j = 0; j < scheme->segments[s].nlayer; j++) {
            struct memo_entry *e = planned_entry(scheme, s, j, memo,
                                                 ofm_whole);
            if (e == NULL || !e->valid) {
                continue;
            }
            if (!e->polished && e->energy_share >= POLISH_SHARE) {
                intra_polish(&e->ctx, &e->plan,
                             (long)(e->energy_share * POLISH_BUDGET),
                             &e->result);
                keep_best(memo, &e->ctx, e->layer_index, &e->region, e);
                e->polished = true;
            }
            if (e->polished) {
                struct plan_ctx ctx;
                layer_ctx(scheme, s, j, memo, ofm_whole, &ctx);
                int i = scheme->segments[s].layers[j];
                plan_materialize(&ctx, &e->plan, &scheme->maps[i]);
            }
        }
    }
}

/*
 * Plans every layer on its segment's region; false when one fits none.
 * With ofm_whole, the layers of multi-layer segments keep their forwarded
 * ofm whole (plan_ctx.ofm_whole).  The descent then polishes the layers
 * that take most of the energy (polish_layers).
 */
static bool plan_layers(struct kpl_scheme *scheme, struct solve_memo *memo,
                        bool ofm_whole, struct kpl_diags *diags)
{
    bool ok = true;
    for (int s = 0; s < scheme->nsegment; s++) {
        const struct kpl_segment *seg = &scheme->segments[s];
        for (int j = 0; j < seg->nlayer; j++) {
            int i = seg->layers[j];
            struct plan_ctx ctx;
            layer_ctx(scheme, s, j, memo, ofm_whole, &ctx);
            const struct memo_entry *e =
                solve_layer(memo, &ctx, i, &seg->regions[j]);
            if (e == NULL) {
                return false;
            }
            if (!e->valid) {
                report_unmappable(scheme, i, e, diags);
                ok = false;
                continue;
            }
            plan_materialize(&ctx, &e->plan, &scheme->maps[i]);
        }
    }
    if (ok && memo->effort == INTRA_DESCENT) {
        polish_layers(scheme, memo, ofm_whole);
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
                          ? intra_now() + o.time_limit
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
    if (!solve_memo_init(&memo, arena, &o, deadline, scheme) ||
        !inter_choose_segments(scheme, &memo, arena) ||
        !plan_layers(scheme, &memo, false, diags)) {
        return NULL;
    }
    kpl_scheme_compute_trips(scheme);

    /* A segment whose forwarding layers split C over nodes can keep more
     * forwarded data than its buffers hold (every node copy holds partial
     * sums); the segments are then planned again with the forwarded ofm
     * kept whole. */
    struct kpl_diags seg_diags;
    kpl_diags_init(&seg_diags, arena);
    seg_diags.max_count = 1;
    if (kpl_check_segments(scheme, &seg_diags) != 0) {
        if (!plan_layers(scheme, &memo, true, diags)) {
            return NULL;
        }
        kpl_scheme_compute_trips(scheme);
    }
    return kpl_arena_failed(arena) ? NULL : scheme;
}
