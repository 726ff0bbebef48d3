/*
 * The solver: a network and an arch in, a checked scheme out.
 */
#ifndef KPL_SOLVER_SOLVE_H
#define KPL_SOLVER_SOLVE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/diag.h"
#include "checker/ir.h"
#include "parser/ast.h"

enum kpl_goal {
    KPL_GOAL_ENERGY,
    KPL_GOAL_DELAY,
    KPL_GOAL_EDP,
};

/*
 * Progress of a solve: `done` in [0, 1] (layers of the network whose
 * segment candidates are all costed), `elapsed` in seconds of wall time
 * since kpl_solve began.  The library calls it from the thread that called
 * kpl_solve, after each layer boundary of the segment programme and, with
 * threads > 1, between the layer searches that thread runs; `done` never
 * decreases.  What to print, and when, is the caller's choice.
 */
typedef void (*kpl_solve_progress_fn)(void *user, double done,
                                      double elapsed);

struct kpl_solve_opts {
    int64_t batch;
    enum kpl_goal goal;
    bool exhaustive;
    int depth;          /* layers per segment at most; 0: default */
    int keep;           /* chains kept by the dynamic programme; 0: 4 */
    int threads;        /* 0: 1 */
    double time_limit;  /* seconds; 0: none */
    kpl_solve_progress_fn progress; /* NULL: none */
    void *progress_user;
};

/*
 * Synthesizes a scheme named `name` for net on arch.  Returns NULL and adds
 * an error when no valid scheme exists (a layer that fits no mapping).
 */
struct kpl_scheme *kpl_solve(const struct kpl_network *net,
                             const struct kpl_arch *arch,
                             const struct kpl_solve_opts *opts,
                             const char *name, struct kpl_arena *arena,
                             struct kpl_diags *diags);

/* The scheme as an AST, for the canonical printer. */
struct kpl_ast_scheme *kpl_scheme_to_ast(const struct kpl_scheme *scheme,
                                         struct kpl_arena *arena);

#endif
