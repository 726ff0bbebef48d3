/*
 * kaplac's public interface.
 *
 * A caller builds a struct kpl_program (checker/resolve.h), loads files or
 * bundled networks and presets into it, resolves it, and then runs a job
 * over the resolved schemes: kpl_check_scheme and kpl_cost_scheme (lint),
 * kpl_prove_scheme (prove), kpl_solve_program (solve).  Every result is
 * text written into a struct kpl_buf or diagnostics collected in the
 * program; the library never prints and never exits.  All memory of a
 * program is released by kpl_program_free.
 */
#ifndef KAPLAC_KAPLAC_H
#define KAPLAC_KAPLAC_H

#include "base/arena.h"
#include "base/diag.h"
#include "base/render.h"
#include "checker/check.h"
#include "checker/cost.h"
#include "checker/ir.h"
#include "checker/resolve.h"
#include "parser/bundled.h"
#include "parser/print.h"
#include "smt/prove.h"
#include "solver/solve.h"

/* What to solve: names of a network and an arch of the program. */
struct kpl_solve_request {
    const char *network;
    const char *arch;
    bool training;     /* derive the backward layers first */
    struct kpl_solve_opts opts;
};

/*
 * Solves req on a resolved program and writes the whole scheme file (the
 * arch and network as imports of bundled files or as blocks, then the
 * scheme) into scheme_text, after parsing that very text back and checking
 * it clean; summary receives the cost summary.  Returns 0, 1 when the input
 * has errors or no valid scheme exists (diagnostics in prog), 2 when the
 * solved scheme fails its own check (an internal error, diagnostics in
 * prog).
 */
int kpl_solve_program(struct kpl_program *prog,
                      const struct kpl_solve_request *req,
                      struct kpl_buf *scheme_text, struct kpl_buf *summary);

#endif
