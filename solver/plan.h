/*
 * The solver's compact form of one layer's mapping, and the fast estimate
 * it searches with.
 *
 * A plan gives, per level and per loop dimension d (N..S), the tile extent,
 * the number of stacked copies along d (each copy shifted by one tile, so
 * stacks partition) and the order of the update groups.  Every update walks
 * one loop dimension with a step of tile x copies, so the trip count along d
 * is ceil(parent / (tile x copies)) and the tiles cover the parent exactly
 * once, the last one clipped.  The input dimensions are derived: the ifm
 * tile along Xi is (Xo - 1) x stride + R, and a loop over Xo or R shifts Xi
 * by step x stride or by step.  plan_materialize turns a plan into the IR's
 * level maps; plan_estimate costs it with a closed form of the reference
 * cost model (docs/solver.md), used to rank candidates before the checker's
 * own cost model has the last word.
 */
#ifndef KPL_SOLVER_PLAN_H
#define KPL_SOLVER_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "checker/cost.h"
#include "checker/ir.h"
#include "solver/solve.h"

#define PLAN_DIMS KPL_LOOP_DIMS
#define PLAN_ORDERS 6 /* permutations of the three update groups */

struct plan_level {
    int64_t tile[PLAN_DIMS];
    int64_t stack[PLAN_DIMS];
    int order; /* 0..PLAN_ORDERS-1: which group of updates is innermost */
};

struct plan {
    struct plan_level lv[KPL_LEVEL_COUNT];
};

/* Everything the search needs to know about one layer on one region. */
struct plan_ctx {
    const struct kpl_layer *layer;
    const struct kpl_arch *arch;
    /* Where kpl_cost_layer prices a plan (exhaustive search): a scheme
     * whose maps the search does not write, and the layer's index in it;
     * NULL when the caller gives none. */
    const struct kpl_scheme *scheme;
    int layer_index;
    struct kpl_region region;
    int64_t batch;
    enum kpl_goal goal;
    int64_t ext[PLAN_DIMS];        /* the layer's loop extents */
    unsigned rel[KPL_TENSOR_COUNT]; /* loop dims each tensor depends on */
    int rel_dim[KPL_TENSOR_COUNT][PLAN_DIMS]; /* the same, listed */
    int rel_ndim[KPL_TENSOR_COUNT];
    unsigned direct;               /* loop dims some tensor names itself */
    int64_t nodes;                 /* of the region */
    int64_t chip_nodes;
    double dram_hops;              /* mean hops from a node to its DRAM */
    double ifm_hops; /* with ifm_on_chip: mean hops from its producers */
    int64_t words[KPL_LEVEL_COUNT];
    int64_t pes;
    bool ifm_on_chip;
    bool ofm_on_chip;
    /* With ofm_on_chip: no node partition over a dim the ofm does not
     * depend on (C), whose copies would each hold partial sums of the
     * forwarded ofm (set when a segment outgrew its buffers). */
    bool ofm_whole;
    double ops;                          /* kpl_layer_ops, cached */
    double tensor_size[KPL_TENSOR_COUNT]; /* whole-layer words, cached */
    /* The dims (N..S, Xi, Yi) each tensor names, listed for the hot
     * loops that multiply its tile extents. */
    int tensor_dim[KPL_TENSOR_COUNT][KPL_DIM_COUNT];
    int tensor_ndim[KPL_TENSOR_COUNT];
};

struct plan_est {
    double energy; /* pJ */
    double cycles;
    double dram_words;
};

/* The cost model's context of ctx's layer: its region, on-chip flags and
 * forwarded-ifm hops. */
struct kpl_layer_ctx plan_cost_ctx(const struct plan_ctx *ctx);

/* Fills ctx for layer on a region of `nodes` nodes (rows x cols). */
void plan_ctx_init(struct plan_ctx *ctx, const struct kpl_layer *layer,
                   const struct kpl_arch *arch, int64_t batch,
                   enum kpl_goal goal, const struct kpl_region *region);

/* True when loop dim d is named by no tensor (pool windows, C of 1). */
bool plan_dim_free(const struct plan_ctx *ctx, int d);

/* Trip count of the update along d at a level. */
int64_t plan_trips(const struct plan *p, enum kpl_level lv, int d,
                   const struct plan_ctx *ctx);

/* Copies a level's stacks make (nodes at the GBUF level, PEs below). */
int64_t plan_level_copies(const struct plan_level *l);

/* Words of tensor t's tile for the given loop tiles. */
int64_t plan_tensor_words(const struct plan_ctx *ctx,
                          const int64_t tile[PLAN_DIMS], int t);

/* Words one buffer of the level holds. */
int64_t plan_words(const struct plan_ctx *ctx, const struct plan *p,
                   enum kpl_level lv);

/*
 * The structural rules the plan form needs beyond capacity: tiles within
 * their parents, copies that fit, window dims never overshooting their
 * parent, so that the trip counts of the derived input shifts agree.
 */
bool plan_valid(const struct plan_ctx *ctx, const struct plan *p);

/* The same rules for one level alone. */
bool plan_level_valid(const struct plan_ctx *ctx, const struct plan *p,
                      enum kpl_level lv);

void plan_estimate(const struct plan_ctx *ctx, const struct plan *p,
                   struct plan_est *out);

/*
 * The part of an estimate that the GBUF level alone decides (its trips,
 * the words from DRAM or the neighbours), so that a search that varies
 * only the REGF level and the PE stacks computes it once:
 * plan_estimate_in(ctx, outer, q, out) equals plan_estimate(ctx, q, out)
 * for every q with the GBUF level of the plan outer came from.
 */
struct plan_outer {
    double iters; /* GBUF trips, all dims */
    double nodes; /* node copies */
    double dram, remote, remote_hops;
    double first[KPL_TENSOR_COUNT];        /* words of every node's visit */
    double idle_reloads[KPL_TENSOR_COUNT]; /* reloads if REGF never moves */
};

void plan_outer_init(const struct plan_ctx *ctx, const struct plan *p,
                     struct plan_outer *out);

void plan_estimate_in(const struct plan_ctx *ctx,
                      const struct plan_outer *outer, const struct plan *p,
                      struct plan_est *out);

/* The number the search minimises for the goal. */
double plan_objective(enum kpl_goal goal, const struct plan_est *est);

/* Writes the plan as level maps into map (present set); the loop slots
 * past each level's nstack and nupdate keep what they held. */
void plan_materialize(const struct plan_ctx *ctx, const struct plan *p,
                      struct kpl_layer_map *map);

/* Update dims of a level whose trip counts are given, innermost first,
 * in group order `order`; returns how many. */
int plan_order_dims(int order, const int64_t trips[PLAN_DIMS],
                    int dims[PLAN_DIMS]);

/* Update dims of a level, innermost first; returns how many. */
int plan_update_dims(const struct plan_ctx *ctx, const struct plan *p,
                     enum kpl_level lv, int dims[PLAN_DIMS]);

#endif
