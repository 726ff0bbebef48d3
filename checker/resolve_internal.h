/*
 * Shared state of the resolver's files (resolve*.c); not part of the API.
 */
#ifndef KPL_CHECKER_RESOLVE_INTERNAL_H
#define KPL_CHECKER_RESOLVE_INTERNAL_H

#include "checker/resolve.h"

struct resolver {
    struct kpl_program *prog;
    struct kpl_arena *arena;
    struct kpl_diags *diags;
};

/* NULL when the arch has errors (reported). */
struct kpl_arch *resolve_arch(struct resolver *rs,
                              const struct kpl_ast_arch *ast);

/* NULL when the network has errors (reported). */
struct kpl_network *resolve_network(struct resolver *rs,
                                    const struct kpl_ast_network *ast);

/* NULL when the scheme has errors (reported). */
struct kpl_scheme *resolve_scheme(struct resolver *rs,
                                  const struct kpl_ast_scheme *ast);

/* Reports a failed evaluation at the sub-expression that failed. */
void kpl_resolve_eval_error(struct kpl_diags *diags, enum kpl_eval_error err,
                       const struct kpl_expr *culprit, const char *context);

/* Largest extent the language accepts for any one dimension. */
#define KPL_MAX_EXTENT ((int64_t)1 << 30)

#endif
