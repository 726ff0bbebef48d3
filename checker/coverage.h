/*
 * Exact coverage of one level of one layer's mapping (design brief,
 * section 4, rule 3), decided by factorisation.
 *
 * The semantics are those of checker/ir.h, extended to two levels: a point
 * x of the layer is computed by the pair (GBUF placement g, REGF placement
 * p) when g computes x (absolute coordinates, ranges clipped to the layer)
 * and p computes the relative point x - goff, where goff is g's unclipped
 * offset along every dimension (so the relative input index is
 * xi' = xo' * stride_x + r' + delta with delta = goff_Xo * stride_x +
 * goff_R - goff_Xi, likewise Y).  The GBUF level is valid when every point
 * of the layer is computed by exactly one g; the REGF level is valid when,
 * for every g that computes anything, every point g computes is computed by
 * exactly one p.
 *
 * Factorisation.  The dimensions fall in five groups, {N}, {C}, {K},
 * {Xo, R, Xi} and {Yo, S, Yi}; a point lies in a tile when it does so
 * group by group.  A loop (stack or update, of either level) that shifts
 * dimensions of several groups merges them into one component.  The
 * placements then form a product over components, and the number of
 * placements computing a point is the product of per-component counts
 * (times the counts of loops that shift nothing).  So a level is valid
 * exactly when every component counts 1 on every point of its own space,
 * which is checked with a dense counter array per component.  For the REGF
 * level the parent of a component is each distinct shape that the GBUF
 * placements give it (clipped ranges relative to goff, and delta).
 *
 * The point reported is the first bad point (in the order N, C, K, Xo, Yo,
 * R, S) of the first failing component, completed by a point counted once
 * in every other component; it is a true counterexample, not always the
 * lexicographically first one of the whole space.
 */
#ifndef KPL_CHECKER_COVERAGE_H
#define KPL_CHECKER_COVERAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "checker/ir.h"

/* Cells of one component's counter array beyond which it is not checked. */
#define KPL_COVERAGE_MAX_CELLS ((int64_t)1 << 24)

/* Loops of a level as one list: stacks first, then updates. */
#define KPL_COVERAGE_MAX_LOOPS (2 * KPL_MAX_LOOPS)

enum kpl_coverage_status {
    KPL_COVERAGE_OK,        /* every point computed exactly once */
    KPL_COVERAGE_BAD,       /* a point computed 0 or >= 2 times */
    KPL_COVERAGE_TOO_LARGE, /* a component exceeds the cell limit */
};

struct kpl_coverage_report {
    enum kpl_coverage_status status;

    /* TOO_LARGE: the points of the component that was not counted. */
    int64_t points;

    /* BAD: the point in layer coordinates (N..S) and its count there. */
    int64_t point[KPL_LOOP_DIMS];
    int64_t count;

    /*
     * BAD: the loops (index into stacks then updates) of the failing
     * component, and for a double count the indices (copy or trip) of two
     * placements that both compute the point (-1 where not involved).
     */
    bool involved[KPL_COVERAGE_MAX_LOOPS];
    int64_t first[KPL_COVERAGE_MAX_LOOPS];
    int64_t second[KPL_COVERAGE_MAX_LOOPS];
    bool have_pair;
    /* BAD because loops that shift nothing replicate every point. */
    bool replicated;
};

/*
 * Checks coverage of one level of scheme->maps[layer].  The tiles of the
 * level (and of the GBUF level for REGF) must be given and >= 1, and every
 * stack count >= 1; the caller checks that first.  Returns 0, or -1 when
 * out of memory.
 */
int kpl_coverage_check(const struct kpl_scheme *scheme, int layer,
                       enum kpl_level level,
                       struct kpl_coverage_report *out);

/* Trip or copy count of loop i (stacks then updates) of a level. */
int64_t kpl_coverage_loop_count(const struct kpl_scheme *scheme, int layer,
                                enum kpl_level level, int i);

/* Loop i of a level, stacks then updates. */
const struct kpl_loop *kpl_coverage_loop(const struct kpl_level_map *lm,
                                         int i, bool *is_stack);

#endif
