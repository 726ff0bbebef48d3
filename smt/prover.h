/*
 * State shared by the prover's files (internal to smt/): prove.c runs the
 * obligations, cover.c the coverage ones.
 */
#ifndef KPL_SMT_PROVER_H
#define KPL_SMT_PROVER_H

#include "smt/encode.h"
#include "smt/prove.h"
#include "smt/smt.h"

struct kpl_prover {
    const struct kpl_scheme *scheme;
    struct kpl_prove_opts opts;
    struct kpl_arena *arena;
    struct kpl_diags *diags;
    struct kpl_smt smt;
    struct kpl_enc enc;         /* direct mode, shared by all layers */
    struct kpl_obligation *obs;
    int nob;
    int capob;
    double start;               /* of the current obligation */
    char reason[160];           /* why the last query was undecided */
    bool failed;
};

double kpl_prover_now(void);

/* Opens an obligation (its clock starts); NULL when out of memory. */
struct kpl_obligation *kpl_prover_begin(struct kpl_prover *pv,
                                        enum kpl_obligation_kind kind,
                                        int layer, int level, int segment,
                                        struct kpl_span span);

/* Closes it: seconds, and the diagnostic for violated or unknown. */
void kpl_prover_end(struct kpl_prover *pv, struct kpl_obligation *ob,
                    enum kpl_verdict verdict);

/* One check of formula under the parameter bounds, within the time left
 * of the current obligation; on sat *model is owned by the caller. */
Z3_lbool kpl_prover_decide(struct kpl_prover *pv, Z3_ast formula,
                           Z3_model *model);

void kpl_prover_read_params(struct kpl_prover *pv, Z3_model model,
                            struct kpl_counterexample *cex);

/* A tracked model of the layer for cores; false when cores are off. */
bool kpl_prover_tracked(struct kpl_prover *pv, int layer,
                        struct kpl_enc *tenc, struct kpl_enc_layer *tl);

/* Notes on ob->diag for a minimal set of directives that keep property
 * false under the counterexample's parameter values. */
void kpl_prover_core(struct kpl_prover *pv, struct kpl_obligation *ob,
                     struct kpl_enc *tenc, Z3_ast property);

/* Coverage of one level: kind KPL_OBL_GAP or KPL_OBL_OVERLAP. */
void kpl_prove_coverage(struct kpl_prover *pv, const struct kpl_enc_layer *el,
                        int level, enum kpl_obligation_kind kind);

#endif
