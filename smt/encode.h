/*
 * The Z3 encoding of one layer's mapping (internal to smt/).
 *
 * A layer model holds, per level, Z3 terms for every directive value:
 * tile extents, sharing factors, stack counts, update trip counts and
 * steps, and the parent extents they refine.  Two modes:
 *
 *  - direct: each value is the term of its expression (parameters are Z3
 *    constants, the rest numerals), used to decide obligations;
 *  - tracked: each value is a fresh constant tied to its expression by a
 *    definition attached to the directive it came from, so that an unsat
 *    core over one literal per directive names the conflicting ones.
 *
 * Trip counts are not taken from the IR: they are the formula of the IR
 * header (1 + ceil((W - max(T, step)) / step) when W > T, the smallest
 * over the update's dims) over the symbolic terms.
 */
#ifndef KPL_SMT_ENCODE_H
#define KPL_SMT_ENCODE_H

#include "base/arena.h"
#include "checker/ir.h"
#include "smt/smt.h"

/* A directive that definitions may be attached to. */
struct kpl_enc_group {
    struct kpl_span span;
    const char *what;      /* "tensor 'wgt' at gbuf", "stack 2 at regf" */
    int level;             /* enum kpl_level, -1: the scheme (batch) */
    Z3_ast lit;            /* tracking literal */
};

struct kpl_enc_def {
    Z3_ast eq;
    int group;
};

#define KPL_ENC_MAX_LOOPS (2 * KPL_MAX_LOOPS)

struct kpl_enc_loop {
    bool is_stack;
    int index;                     /* among stacks or updates */
    const struct kpl_loop *loop;
    Z3_ast count;
    Z3_ast shift[KPL_DIM_COUNT];   /* NULL: the loop does not shift d */
    unsigned dims;                 /* KPL_DIM_BIT mask of shifted dims */
    int group;                     /* directive group */
};

struct kpl_enc_level {
    const struct kpl_level_map *lm;
    Z3_ast tile[KPL_TENSOR_COUNT][KPL_DIM_COUNT]; /* NULL: t lacks d */
    Z3_ast share[KPL_TENSOR_COUNT];
    Z3_ast parent[KPL_DIM_COUNT];
    Z3_ast extent[KPL_DIM_COUNT];  /* the level's tile extent along d */
    int tensor_group[KPL_TENSOR_COUNT];
    int nloop;                     /* stacks first, then updates */
    struct kpl_enc_loop loops[KPL_ENC_MAX_LOOPS];
};

struct kpl_enc_layer {
    int layer;
    const struct kpl_layer *l;
    struct kpl_enc_level lv[KPL_LEVEL_COUNT];
};

struct kpl_enc {
    struct kpl_smt *smt;
    struct kpl_arena *arena;
    const struct kpl_scheme *scheme;
    bool tracked;
    Z3_ast *params;       /* one constant per scheme parameter */
    Z3_ast param_bounds;  /* lo <= p <= hi for every parameter */
    Z3_ast batch;
    int batch_group;
    Z3_ast domain;        /* tracked mode: values positive */
    int ndef;
    int capdef;
    struct kpl_enc_def *defs;
    int ngroup;
    int capgroup;
    struct kpl_enc_group *groups;
    const char *error;    /* first encoding error (unknown parameter) */
};

/* Prepares parameters and batch; false on failure. */
bool kpl_enc_init(struct kpl_enc *enc, struct kpl_smt *smt,
                  struct kpl_arena *arena, const struct kpl_scheme *scheme,
                  bool tracked);

/* Builds the model of a layer (both levels); false on failure. */
bool kpl_enc_layer_build(struct kpl_enc *enc, int layer,
                         struct kpl_enc_layer *out);

/* Term of an expression, or of value when e is NULL. */
Z3_ast kpl_enc_expr(struct kpl_enc *enc, const struct kpl_expr *e,
                    int64_t value);

/* A new tracked group; returns its index (-1 on failure). */
int kpl_enc_group_new(struct kpl_enc *enc, struct kpl_span span,
                      const char *what, int level);

/* In tracked mode, a fresh constant defined as value in group. */
Z3_ast kpl_enc_bind(struct kpl_enc *enc, const char *name, Z3_ast value,
                    int group, int64_t at_least);

/* The layer's extent along d (batch for N). */
Z3_ast kpl_enc_layer_extent(struct kpl_enc *enc, const struct kpl_layer *l,
                            enum kpl_dim d);

/* Index of point p along d: p[d], or xo * stride + r for Xi (Yi alike). */
Z3_ast kpl_enc_point_index(struct kpl_enc *enc, const struct kpl_layer *l,
                           Z3_ast const *p, enum kpl_dim d);

/* Offsets of a placement along every dim: sum of idx[j] * shift[j][d]
 * over the loops with a non-NULL index. */
void kpl_enc_offsets(struct kpl_enc *enc, const struct kpl_enc_level *lv,
                     Z3_ast const *idx, Z3_ast *off);

/*
 * The tiles of lv placed at offsets off hold point p along the dims in
 * mask (Xi, Yi through the window coupling); clip: and p lies inside the
 * level's parent (the GBUF level, whose parent is the layer).
 */
Z3_ast kpl_enc_computes(struct kpl_enc *enc, const struct kpl_layer *l,
                        const struct kpl_enc_level *lv, Z3_ast const *p,
                        Z3_ast const *off, unsigned mask, bool clip);

/* 0 <= idx[j] < count[j] for every loop j in loop_mask. */
Z3_ast kpl_enc_bounds(struct kpl_enc *enc, const struct kpl_enc_level *lv,
                      Z3_ast const *idx, uint64_t loop_mask);

/* 0 <= p[d] < parent[d] for the loop dims in mask (lv: the GBUF level
 * for the layer's box). */
Z3_ast kpl_enc_box(struct kpl_enc *enc, const struct kpl_enc_level *lv,
                   Z3_ast const *p, unsigned mask);

#endif
