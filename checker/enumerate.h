/*
 * A brute-force referee for the checker and the prover: walks every GBUF
 * placement, every REGF placement inside it and every iteration point of
 * a small layer, with no factorisation and no shortcut, straight from the
 * mapping semantics of checker/ir.h and checker/coverage.h (a point is
 * computed by the pair (g, p) when g computes it in layer coordinates and
 * p computes it relative to g's unclipped offset).
 */
#ifndef KPL_CHECKER_ENUMERATE_H
#define KPL_CHECKER_ENUMERATE_H

#include <stdbool.h>
#include <stdint.h>

#include "checker/ir.h"

/* Work (point and placement tests) beyond which a layer is refused. */
#define KPL_ENUM_MAX_WORK ((int64_t)50 * 1000 * 1000)

struct kpl_enum_level {
    int64_t placements;   /* copies times trips of the level */
    int64_t max_words;    /* largest sum of clipped tiles over placements */
    bool covered;         /* every parent point computed exactly once */
    /* The first point (layer coordinates) computed 0 or >= 2 times. */
    int64_t bad_point[KPL_LOOP_DIMS];
    int64_t bad_count;
    int64_t bad_gbuf;     /* REGF: the GBUF placement (by number) */
};

struct kpl_enum_result {
    struct kpl_enum_level level[KPL_LEVEL_COUNT];
    int64_t points;       /* points of the layer */
    int64_t macs;         /* points computed, over all (g, p) pairs */
};

/*
 * Enumerates scheme->maps[layer].  Returns 0, or 1 when the layer needs
 * more than KPL_ENUM_MAX_WORK tests (out is then zeroed).  Stack counts
 * as written, update counts from loop.count (kpl_update_trips when 0).
 */
int kpl_enumerate_layer(const struct kpl_scheme *scheme, int layer,
                        struct kpl_enum_result *out);

/*
 * How often the level computes point (N..S, layer coordinates): for GBUF
 * the number of GBUF placements, for REGF the number of (g, p) pairs.
 */
int64_t kpl_enumerate_point(const struct kpl_scheme *scheme, int layer,
                            enum kpl_level level,
                            const int64_t point[KPL_LOOP_DIMS]);

#endif
