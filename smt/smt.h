/*
 * A thin, leak-free layer over Z3's C API (internal to smt/).
 *
 * One struct kpl_smt owns a reference-counted Z3 context.  Every AST made
 * through these helpers is inc-ref'd once and recorded in a keep list;
 * kpl_smt_release drops the references taken since a mark, and
 * kpl_smt_close drops the rest before deleting the context.  Solvers and
 * models have explicit new/free pairs.
 *
 * Errors: a recording handler is installed right after the context is
 * made, so Z3 never prints or exits.  Each helper checks the context's
 * error code after its call; on failure it sets `failed`, keeps the
 * message and returns NULL, and every helper given a NULL argument returns
 * NULL, so a whole formula collapses to NULL and the caller checks once.
 */
#ifndef KPL_SMT_SMT_H
#define KPL_SMT_SMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <z3.h>

struct kpl_smt {
    Z3_context ctx;
    Z3_sort int_sort;
    Z3_sort bool_sort;
    Z3_ast *kept;
    size_t nkept;
    size_t capkept;
    bool failed;
    char error[256];
};

/*
 * Makes the context, every query of which stops after timeout_ms (0: no
 * limit); false (with error set) when Z3 or memory fails.
 */
bool kpl_smt_open(struct kpl_smt *smt, unsigned timeout_ms);

/* Drops every reference and deletes the context. */
void kpl_smt_close(struct kpl_smt *smt);

/* Marks the keep list; release drops the ASTs kept after the mark. */
size_t kpl_smt_mark(const struct kpl_smt *smt);
void kpl_smt_release(struct kpl_smt *smt, size_t mark);

/* Checks the last call; inc-refs and keeps a (NULL on error). */
Z3_ast kpl_smt_keep(struct kpl_smt *smt, Z3_ast a);

/* True when the last Z3 call succeeded; records the error otherwise. */
bool kpl_smt_ok(struct kpl_smt *smt);

/* Terms.  Integer division is Z3's `div` (floor for positive divisors). */
Z3_ast kpl_smt_int(struct kpl_smt *smt, int64_t value);
Z3_ast kpl_smt_bool(struct kpl_smt *smt, bool value);
Z3_ast kpl_smt_int_var(struct kpl_smt *smt, const char *name);
Z3_ast kpl_smt_bool_var(struct kpl_smt *smt, const char *name);
Z3_ast kpl_smt_add(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_sub(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_mul(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_div(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_neg(struct kpl_smt *smt, Z3_ast a);
Z3_ast kpl_smt_ceil_div(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_min(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_max(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_le(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_lt(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_eq(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_ite(struct kpl_smt *smt, Z3_ast c, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_not(struct kpl_smt *smt, Z3_ast a);
Z3_ast kpl_smt_and(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_or(struct kpl_smt *smt, Z3_ast a, Z3_ast b);
Z3_ast kpl_smt_implies(struct kpl_smt *smt, Z3_ast a, Z3_ast b);

/* lo <= x < hi */
Z3_ast kpl_smt_in_range(struct kpl_smt *smt, Z3_ast x, Z3_ast lo,
                        Z3_ast hi);

/* forall bound: body, the bound variables being integer constants. */
Z3_ast kpl_smt_forall(struct kpl_smt *smt, unsigned nbound,
                      const Z3_ast *bound, Z3_ast body);

/*
 * A plain SMT solver (no tactic front end: a query costs a tenth of a
 * millisecond instead of several) with the context's timeout and the
 * given resource limit (0: none).
 */
Z3_solver kpl_smt_solver_new(struct kpl_smt *smt, unsigned rlimit);
void kpl_smt_solver_free(struct kpl_smt *smt, Z3_solver solver);
void kpl_smt_assert(struct kpl_smt *smt, Z3_solver solver, Z3_ast a);

/* Z3_L_TRUE, Z3_L_FALSE or Z3_L_UNDEF (also on error). */
Z3_lbool kpl_smt_check(struct kpl_smt *smt, Z3_solver solver,
                       unsigned nassume, const Z3_ast *assume);

/* Owned model of the last sat check, NULL on error. */
Z3_model kpl_smt_model(struct kpl_smt *smt, Z3_solver solver);
void kpl_smt_model_free(struct kpl_smt *smt, Z3_model model);

/* Evaluates an integer or Boolean term with model completion. */
bool kpl_smt_eval_int(struct kpl_smt *smt, Z3_model model, Z3_ast term,
                      int64_t *value);
bool kpl_smt_eval_bool(struct kpl_smt *smt, Z3_model model, Z3_ast term);

/*
 * Which of the assumptions are in the unsat core of the last check:
 * sets in_core[i].  False on error.
 */
bool kpl_smt_core(struct kpl_smt *smt, Z3_solver solver, unsigned nassume,
                  const Z3_ast *assume, bool *in_core);

/* Why the last check was undecided, copied into buf. */
void kpl_smt_reason_unknown(struct kpl_smt *smt, Z3_solver solver,
                            char *buf, size_t size);

#endif
