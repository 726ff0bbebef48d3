/*
 * Intra-layer search: the best plan for one layer on one region, by
 * KAPLA's bottom-up cost descent or by exhaustive enumeration of the same
 * directive space.
 */
#ifndef KPL_SOLVER_INTRA_H
#define KPL_SOLVER_INTRA_H

#include <stdbool.h>
#include <stdint.h>

#include "solver/plan.h"

#define INTRA_CANDIDATES 6

struct intra_result {
    bool found;
    struct plan plan; /* the best candidate */
    struct plan_est est;
    double objective;
    /* The best distinct plans by the estimate, best first. */
    int ncand;
    struct plan cand[INTRA_CANDIDATES];
    double cand_objective[INTRA_CANDIDATES];
    /* Exhaustive search: whether it enumerated the whole space (false
     * after its deadline), how many plans kpl_cost_layer priced, how many
     * priced plans came out below a bound that should hold (0 when the
     * bounds are sound), and whether the partition list was cut. */
    bool complete;
    long priced;
    long bound_violations;
    bool partitions_cut;
    long gbuf_choices; /* GBUF tile and order choices priced */
    long gbuf_pruned;  /* of which the bound ruled out */
    /* Why nothing was found: the smallest need of the level that failed. */
    enum kpl_level failed_level;
    int64_t need_words;
};

/* Seconds on a monotonic wall clock: what deadlines are measured in. */
double intra_now(void);

/*
 * Searches ctx's layer with the given effort.  deadline is an intra_now()
 * value after which the
 * exhaustive search stops early with the best so far (0: none).
 */
enum intra_effort {
    INTRA_LITE,       /* one node partition, two PE stacks: for ranking */
    INTRA_DESCENT,    /* the full descent */
    INTRA_EXHAUSTIVE, /* the descent, then every plan of the space */
};

void intra_search(const struct plan_ctx *ctx, enum intra_effort effort,
                  double deadline, struct intra_result *out);

/*
 * Continues a full descent's result: the exact REGF search under plan
 * from's GBUF level (from: the candidate the caller kept) until `budget`
 * plans are priced (at least ten times the descent's 300); a better plan
 * goes first among out's candidates.  For the few layers that take most
 * of a scheme's energy.
 */
void intra_polish(const struct plan_ctx *ctx, const struct plan *from,
                  long budget, struct intra_result *out);

/* The smallest plan: unit tiles, no stacks; false when it does not fit. */
bool intra_unit_plan(const struct plan_ctx *ctx, struct plan *p);

#endif
