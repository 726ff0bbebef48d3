/*
 * Inter-layer search: how the network is cut into segments and which
 * nodes each layer of a segment gets (design brief, section 5, steps 1-3),
 * and the per-shape memo of intra-layer results that both searches share.
 */
#ifndef KPL_SOLVER_INTER_H
#define KPL_SOLVER_INTER_H

#include <stdbool.h>

#include "base/arena.h"
#include "checker/cost.h"
#include "checker/ir.h"
#include "solver/intra.h"
#include "solver/plan.h"
#include "solver/solve.h"

struct memo_entry {
    const struct kpl_layer *layer;
    struct kpl_region region;
    bool ifm_on_chip;
    bool ofm_on_chip;
    int64_t gbuf_words; /* left for the layer's tiles */
    enum intra_effort effort;
    struct plan_ctx ctx;  /* what the search reads */
    int layer_index;
    bool searched;        /* false while only wanted (solve_layer_want) */
    bool polished;        /* intra_polish has continued the search */
    double energy_share;  /* of the planned scheme, its layers' (polish) */
    struct intra_result result;
    /* The candidate kept: the cheapest that kpl_check_layer accepts. */
    bool valid;
    struct plan plan;
    struct kpl_layer_cost cost;
    double objective;
    const char *rejection; /* the checker's first word on the best one */
    struct memo_entry *next;
};

struct solve_memo {
    struct kpl_arena *arena;
    const struct kpl_solve_opts *opts;
    double deadline; /* intra_now() value; 0: none */
    double start;    /* intra_now() value when the solve began */
    enum intra_effort effort; /* of the searches made now */
    double reported;          /* the largest fraction reported so far */
    struct memo_entry *head;
    struct memo_entry **tail; /* where the next entry goes: creation order */
    int searches;
    struct kpl_scheme scratch; /* where candidates are checked and costed */
};

/* False when out of memory. */
bool solve_memo_init(struct solve_memo *memo, struct kpl_arena *arena,
                     const struct kpl_solve_opts *opts, double deadline,
                     const struct kpl_scheme *scheme);

/*
 * The plan kept for ctx's layer (index `layer`) on region, searched once
 * per shape: NULL when out of memory; entry->valid false when no candidate
 * passes the checker.
 */
const struct memo_entry *solve_layer(struct solve_memo *memo,
                                     const struct plan_ctx *ctx, int layer,
                                     const struct kpl_region *region);

/* Reports progress through opts->progress, when set. */
void solve_progress(struct solve_memo *memo, double done);

/*
 * Notes that ctx's layer will be wanted on region, without searching it
 * yet; solve_memo_run then searches every wanted entry, on opts->threads
 * threads.  False when out of memory.
 */
bool solve_layer_want(struct solve_memo *memo, const struct plan_ctx *ctx,
                      int layer, const struct kpl_region *region);
void solve_memo_run(struct solve_memo *memo);

/* The search context of layer j of segment s of scheme. */
void solve_layer_ctx(const struct kpl_scheme *scheme, int s, int j,
                     enum kpl_goal goal, struct plan_ctx *ctx);

/*
 * Fills scheme->segments (every layer in exactly one segment, in
 * topological order, with regions).  False when out of memory.
 */
bool inter_choose_segments(struct kpl_scheme *scheme,
                           struct solve_memo *memo, struct kpl_arena *arena);

#endif
