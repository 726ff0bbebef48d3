/*
 * A program: the files of one compilation, their imports, and the IR
 * resolved from them.  One arena and one diagnostics sink per program.
 *
 * Loading reads and parses a file and, recursively, what it imports
 * (`import "path";` relative to the importing file, `import NAME;` for a
 * bundled file); a file is loaded once however often it is imported, and an
 * import cycle is an error.  Resolving turns every arch, network and scheme
 * of every loaded file into IR, with located diagnostics for unknown names,
 * bad shapes, units and values.
 *
 * Rule ids: "io" (unreadable file), "import" (cycle, unknown bundle),
 * "duplicate", "unknown-name", "unknown-dim", "unit", "value" (zero,
 * negative or out-of-range numbers), "shape" (sizes that do not agree),
 * "cycle" (a layer graph that is not a DAG), "empty" (nothing to do).
 */
#ifndef KPL_CHECKER_RESOLVE_H
#define KPL_CHECKER_RESOLVE_H

#include <stdbool.h>

#include "base/diag.h"
#include "checker/ir.h"
#include "parser/ast.h"

struct kpl_program {
    struct kpl_arena *arena;
    struct kpl_diags diags;

    int nfile;
    struct kpl_ast_file **files;  /* in load order, imports first */
    int nroot;                    /* files named by the caller */
    struct kpl_ast_file **roots;
    struct kpl_loaded *loaded;    /* loader's identity table (load.c) */
    int nloaded;

    int narch;
    struct kpl_arch **archs;
    int nnet;
    struct kpl_network **nets;
    int nscheme;
    struct kpl_scheme **schemes;  /* NULL entries for schemes that failed */
    const struct kpl_ast_scheme **scheme_asts; /* parallel to schemes */
    bool *scheme_rooted;          /* parallel: declared in a root file */
};

/* Returns an owned program, or NULL when out of memory. */
struct kpl_program *kpl_program_new(void);
void kpl_program_free(struct kpl_program *prog);

/*
 * Loads a file from disk (and its imports).  Returns 0, or -1 with an "io"
 * or "import" diagnostic when it cannot be read.
 */
int kpl_program_load_file(struct kpl_program *prog, const char *path);

/* Loads text under a display name (tests, stdin). */
int kpl_program_load_text(struct kpl_program *prog, const char *path,
                          const char *text, size_t len);

/* Loads a bundled file by name ("alexnet", "multinode"). */
int kpl_program_load_bundled(struct kpl_program *prog, const char *name);

/* Resolves everything loaded so far (call once, after loading). */
void kpl_program_resolve(struct kpl_program *prog);

/* Look-ups after resolution; NULL when absent. */
const struct kpl_network *kpl_program_network(const struct kpl_program *p,
                                              const char *name);
const struct kpl_arch *kpl_program_arch(const struct kpl_program *p,
                                        const char *name);

/*
 * The arch or network item (kind KPL_ITEM_ARCH or KPL_ITEM_NETWORK) whose
 * block has that name, in any loaded file, resolved or not; NULL if none.
 */
const struct kpl_item *kpl_program_find_item(const struct kpl_program *p,
                                             enum kpl_item_kind kind,
                                             const char *name);

/*
 * Derives the training graph of a forward network: the forward layers,
 * then for each layer in reverse order its data gradient NAME.dx (unless
 * it reads only network inputs) and, for conv, fc and dwconv, its weight
 * gradient NAME.dw.  Returns a new network in the arena.
 */
struct kpl_network *kpl_network_training(const struct kpl_network *net,
                                         struct kpl_arena *arena);

/*
 * Reports (rule "duplicate") every input or layer of a forward network
 * whose name training would give a derived layer: `a.dx` when layer `a`
 * has a data gradient, `a.dw` when it has a weight gradient.  Call it
 * before kpl_network_training, which assumes the names are free.  Returns
 * the number of errors reported.
 */
int kpl_network_check_training_names(const struct kpl_network *net,
                                     struct kpl_diags *diags);

/* Evaluates an integer expression with the scheme's parameter values. */
bool kpl_expr_eval(const struct kpl_expr *expr, const struct kpl_param *ps,
                   int nparam, int64_t *value);

/* Why an evaluation failed, and where. */
enum kpl_eval_error {
    KPL_EVAL_OK,
    KPL_EVAL_UNKNOWN_PARAM,
    KPL_EVAL_DIV_ZERO,
    KPL_EVAL_OVERFLOW,
};

/* As kpl_expr_eval; on failure *culprit is the offending sub-expression. */
enum kpl_eval_error kpl_expr_eval_why(const struct kpl_expr *expr,
                                      const struct kpl_param *ps, int nparam,
                                      int64_t *value,
                                      const struct kpl_expr **culprit);

#endif
