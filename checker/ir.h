/*
 * The resolved IR: what the checker, the cost model, the prover and the
 * solver all work on.  Built from the AST by kpl_resolve (checker/resolve.c)
 * or directly by the solver.  All memory comes from one arena.
 *
 * Dimensions.  A layer's iteration space has seven loop dimensions
 * N (batch), C (input channels), K (output channels), Xo, Yo (output rows,
 * columns), R, S (window rows, columns).  Two derived tensor dimensions,
 * Xi and Yi, index the input in padded coordinates:
 *
 *     xi = xo * stride_x + r        yi = yo * stride_y + s
 *
 * so the layer's Xi extent is (Xo - 1) * stride_x + R (padding included).
 *
 * Tensors.  Every layer has up to three tensors, each indexed by a subset of
 * the nine dimensions (kpl_layer.tensor_dims, a bit mask; 0 means the layer
 * has no such tensor):
 *
 *     kind      wgt          ifm              ofm          C loop
 *     conv, fc  C K R S      N C Xi Yi        N K Xo Yo    C
 *     dwconv    K R S        N K Xi Yi        N K Xo Yo    1
 *     pool      -            N K Xi Yi        N K Xo Yo    1
 *     eltwise   -            N C K Xi Yi      N K Xo Yo    operands
 *
 * Backward layers of training keep the forward iteration space and tensors
 * and change which tensor is written (read-modify-write): the data gradient
 * writes ifm, the weight gradient writes wgt (kpl_layer.out).
 *
 * Mapping semantics (design brief, section 3), for one layer and one level
 * (REGF inside a PE, GBUF inside a node):
 *
 *  - tile[t][d] is the extent of tensor t along dimension d that each
 *    buffer of the level holds; 0 for a dimension t does not have.
 *  - A placement is one index per stack (copy) and per update (time trip).
 *    Its offset along d is the sum over loops of index * shift[d].
 *  - Tensor t's range along d is [offset_d, offset_d + tile[t][d]),
 *    clipped to [0, parent_d), where parent_d is the GBUF tile extent for
 *    the REGF level and the layer extent for the GBUF level.
 *  - A placement computes the iteration point (n,c,k,xo,yo,r,s) when, for
 *    every tensor t and every d it has, the point's index along d lies in
 *    t's range (the index along Xi being xo*stride_x + r, likewise Yi).
 *    A loop dimension that no tensor has is unconstrained.
 *  - Coverage: over all placements, every point of the parent's space is
 *    computed exactly once.
 *  - Trip count of an update along d: 1 when parent_d <= T_d, else
 *    1 + ceil((parent_d - max(T_d, step_d)) / step_d), with T_d the extent
 *    the stacked copies cover together (tile extent plus, per stack,
 *    (count - 1) * shift_d).  An update over several dims takes the
 *    smallest count.  kpl_update_trips computes it.
 */
#ifndef KPL_CHECKER_IR_H
#define KPL_CHECKER_IR_H

#include <stdbool.h>
#include <stdint.h>

#include "base/diag.h"

struct kpl_expr; /* parser/ast.h */

enum kpl_dim {
    KPL_DIM_N,
    KPL_DIM_C,
    KPL_DIM_K,
    KPL_DIM_XO,
    KPL_DIM_YO,
    KPL_DIM_R,
    KPL_DIM_S,
    KPL_DIM_XI,
    KPL_DIM_YI,
    KPL_DIM_COUNT,
};

#define KPL_LOOP_DIMS 7 /* N..S; Xi and Yi are derived */
#define KPL_DIM_BIT(d) (1u << (d))

enum kpl_tensor {
    KPL_TENSOR_WGT,
    KPL_TENSOR_IFM,
    KPL_TENSOR_OFM,
    KPL_TENSOR_COUNT,
};

enum kpl_level {
    KPL_LEVEL_REGF,
    KPL_LEVEL_GBUF,
    KPL_LEVEL_COUNT,
};

enum kpl_layer_kind {
    KPL_LAYER_CONV,
    KPL_LAYER_FC,
    KPL_LAYER_POOL,
    KPL_LAYER_ELTWISE,
    KPL_LAYER_DWCONV,
};

/* Which tensor a layer writes; backward layers of training differ. */
enum kpl_role {
    KPL_ROLE_FORWARD,     /* writes ofm */
    KPL_ROLE_DATA_GRAD,   /* writes ifm (gradient of the input) */
    KPL_ROLE_WEIGHT_GRAD, /* writes wgt (gradient of the weights) */
};

/* ---- hardware ---- */

enum kpl_dram_place {
    KPL_DRAM_CORNERS, /* one controller on each corner node of the mesh */
    KPL_DRAM_EDGES,   /* along the west and east columns */
    KPL_DRAM_STACKED, /* a vault above every node */
};

enum kpl_pe_style {
    KPL_PE_ROWSTATIONARY,
    KPL_PE_SYSTOLIC,
};

struct kpl_arch {
    const char *name;
    struct kpl_span span;
    int64_t word_bits;      /* 16 */
    int64_t node_rows;      /* mesh */
    int64_t node_cols;
    enum kpl_dram_place dram_place;
    double dram_bw;         /* bytes per cycle, all DRAM; 0: no limit */
    double e_dram;          /* pJ per word, and likewise below */
    int64_t gbuf_bytes;     /* per node */
    double e_gbuf;
    int64_t pe_rows;        /* per node */
    int64_t pe_cols;
    enum kpl_pe_style pe_style;
    int64_t bus_bits;       /* GBUF to PE array, per cycle; 0: no limit */
    double e_bus;
    int64_t regf_bytes;     /* per PE */
    double e_regf;
    double e_hop;
    double e_mac;
    double static_pj_per_cycle; /* whole chip */
    double freq_mhz;        /* for reporting time in seconds; 0: unknown */
};

/* Capacity of one buffer of a level, in words. */
int64_t kpl_arch_words(const struct kpl_arch *arch, enum kpl_level level);

/* ---- network ---- */

/* A producer: a network input (is_input) or an earlier layer. */
struct kpl_ref {
    bool is_input;
    int index;
};

struct kpl_input {
    const char *name;
    struct kpl_span span;
    int64_t c, h, w;
};

struct kpl_layer {
    const char *name;
    struct kpl_span span;
    enum kpl_layer_kind kind;
    enum kpl_role role;
    int forward;            /* for a backward layer: its forward layer */

    /* Per image (N is the scheme's batch); c is the C loop extent. */
    int64_t c, k, xo, yo, r, s;
    int64_t stride_x, stride_y;
    int64_t pad_x, pad_y;   /* zero rows/cols before the first input row */
    int64_t in_c, in_h, in_w; /* the actual input, before padding */
    int64_t xi, yi;         /* padded: (xo - 1) * stride + r */

    unsigned tensor_dims[KPL_TENSOR_COUNT];
    enum kpl_tensor out;    /* the read-modify-write tensor */

    int nprev;
    struct kpl_ref *prev;
};

struct kpl_network {
    const char *name;
    struct kpl_span span;
    bool training;
    int ninput;
    struct kpl_input *inputs;
    int nlayer;
    struct kpl_layer *layers; /* in topological order */
};

/* Extent of layer l along d for the given batch. */
int64_t kpl_layer_extent(const struct kpl_layer *layer, int64_t batch,
                         enum kpl_dim d);

/* MACs (or element operations) for the given batch. */
int64_t kpl_layer_ops(const struct kpl_layer *layer, int64_t batch);

/* Words of tensor t of the whole layer for the given batch (0: absent). */
int64_t kpl_layer_tensor_words(const struct kpl_layer *layer, int64_t batch,
                               enum kpl_tensor t);

/* ---- scheme ---- */

/*
 * The *_expr fields point back at the AST expression a value came from
 * (NULL for values the solver made): the prover re-reads them to reason
 * over scheme parameters symbolically.
 */
struct kpl_shift {
    enum kpl_dim dim;
    int64_t step;
    struct kpl_span span;
    const struct kpl_expr *step_expr;
};

/* A stack (copies in space) or an update (trips in time). */
struct kpl_loop {
    struct kpl_span span;
    int nshift;
    struct kpl_shift shifts[KPL_DIM_COUNT];
    int64_t count; /* stack: as written; update: from kpl_update_trips */
    const struct kpl_expr *count_expr; /* stack only */
};

#define KPL_MAX_LOOPS 16

struct kpl_level_map {
    struct kpl_span span;
    int64_t tile[KPL_TENSOR_COUNT][KPL_DIM_COUNT];
    int64_t share[KPL_TENSOR_COUNT];          /* 1 unless `shared k` */
    struct kpl_span tile_span[KPL_TENSOR_COUNT];
    bool tile_given[KPL_TENSOR_COUNT];        /* a tensor directive seen */
    const struct kpl_expr *tile_expr[KPL_TENSOR_COUNT][KPL_DIM_COUNT];
    const struct kpl_expr *share_expr[KPL_TENSOR_COUNT];
    int nstack;
    struct kpl_loop stacks[KPL_MAX_LOOPS];    /* innermost first */
    int nupdate;
    struct kpl_loop updates[KPL_MAX_LOOPS];   /* innermost first */
};

struct kpl_layer_map {
    bool present;
    struct kpl_span span;
    struct kpl_level_map level[KPL_LEVEL_COUNT];
};

/* Node rectangle [row0, row1) x [col0, col1) of the mesh. */
struct kpl_region {
    int64_t row0, row1, col0, col1;
};

int64_t kpl_region_nodes(const struct kpl_region *region);

struct kpl_segment {
    struct kpl_span span;
    int nlayer;
    int *layers;                  /* indices into the network, in order */
    struct kpl_region *regions;   /* one per layer */
    struct kpl_span *layer_spans;
    bool spatial;                 /* disjoint regions, run at the same time */
};

/* `param NAME = VALUE in [LO, HI];` */
struct kpl_param {
    const char *name;
    struct kpl_span span;
    int64_t value; /* the instance the checker evaluates */
    int64_t lo, hi;
};

struct kpl_scheme {
    const char *name;
    struct kpl_span span;
    const struct kpl_network *net;
    const struct kpl_arch *arch;
    int64_t batch;
    const struct kpl_expr *batch_expr;
    int nparam;
    struct kpl_param *params;
    int nsegment;
    struct kpl_segment *segments;
    struct kpl_layer_map *maps;   /* net->nlayer entries, by layer index */
};

/* ---- helpers shared by every module (checker/ir.c) ---- */

extern const char *const kpl_dim_names[KPL_DIM_COUNT];  /* "N" ... "Yi" */
extern const char *const kpl_tensor_names[KPL_TENSOR_COUNT]; /* "wgt" ... */
extern const char *const kpl_level_names[KPL_LEVEL_COUNT];  /* "regf" .. */

/* Index of a name, or -1. */
int kpl_dim_parse(const char *name);
int kpl_tensor_parse(const char *name);

const char *kpl_layer_kind_name(enum kpl_layer_kind kind);

/* Fills tensor_dims, out, xi and yi from the kind, role and shape. */
void kpl_layer_finish(struct kpl_layer *layer);

/*
 * Extent of dimension d of the parent of a level: the GBUF tile for the
 * REGF level (the largest extent any tensor gives d, or the layer extent
 * when no tensor has d), the whole layer for the GBUF level.
 */
int64_t kpl_parent_extent(const struct kpl_scheme *scheme, int layer,
                          enum kpl_level level, enum kpl_dim d);

/* The extent a level's tile gives d (largest over tensors having d). */
int64_t kpl_tile_extent(const struct kpl_layer *layer,
                        const struct kpl_level_map *lm, int64_t parent,
                        enum kpl_dim d);

/* Trip count of update u of level lm (see the header comment). */
int64_t kpl_update_trips(const struct kpl_scheme *scheme, int layer,
                         enum kpl_level level, const struct kpl_loop *u);

/* Product of stack counts of a level. */
int64_t kpl_level_copies(const struct kpl_level_map *lm);

/* Words one buffer of the level holds: sum of ceil(tile / share). */
int64_t kpl_level_words(const struct kpl_layer *layer,
                        const struct kpl_level_map *lm);

/* Fills every update's count with kpl_update_trips (after resolution). */
void kpl_scheme_compute_trips(struct kpl_scheme *scheme);

/* Saturating 64-bit arithmetic: results clamp at INT64_MAX. */
int64_t kpl_mul_sat(int64_t a, int64_t b);
int64_t kpl_add_sat(int64_t a, int64_t b);

#endif
