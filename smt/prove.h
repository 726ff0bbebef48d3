/*
 * The prover: Z3 proofs of a resolved scheme's capacity, fan-out,
 * coverage and containment (docs/prove.md states each obligation as a
 * formula).
 *
 * Each obligation is the negation of a property, handed to Z3 with the
 * iteration point, the stack and update indices and the scheme parameters
 * as free integer constants under their bounds: unsat means proved for
 * every parameter value in its range, sat gives a counterexample, and a
 * timeout or resource limit gives unknown (never proved).  For a violated
 * obligation the prover also asks Z3 for an unsat core over one tracking
 * literal per directive and shrinks it to a minimal set, reported as notes
 * at the directives' spans.
 *
 * The segment rules (membership, topological order, segment capacity)
 * involve no iteration index: kpl_check_segments decides them by
 * arithmetic, and each error it reports is one more violated obligation.
 *
 * Rule ids of the diagnostics: "capacity", "fan-out", "coverage",
 * "containment", "segment" (as in checker/check.h) and "prove-unknown"
 * for undecided obligations.
 */
#ifndef KPL_SMT_PROVE_H
#define KPL_SMT_PROVE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "checker/ir.h"

enum kpl_verdict {
    KPL_VERDICT_PROVED,
    KPL_VERDICT_VIOLATED,
    KPL_VERDICT_UNKNOWN,
};

enum kpl_obligation_kind {
    KPL_OBL_CAPACITY,  /* tiles fit the buffer of the level */
    KPL_OBL_FANOUT,    /* stack copies fit the PEs or the region's nodes */
    KPL_OBL_EXTENTS,   /* tiles positive, inside the slower level's tile */
    KPL_OBL_WINDOW,    /* ifm tile holds the window of the ofm tile */
    KPL_OBL_GAP,       /* coverage: every point computed at least once */
    KPL_OBL_OVERLAP,   /* coverage: no point computed twice */
    KPL_OBL_MESH,      /* fan-out: a layer's region lies inside the mesh */
    KPL_OBL_DISJOINT,  /* fan-out: regions of a spatial segment disjoint */
    KPL_OBL_SEGMENT,   /* a segment rule, decided by arithmetic, failed */
    KPL_OBL_KIND_COUNT,
};

/* Short name of a kind ("capacity", "coverage-gap", ...), for JSON. */
const char *kpl_obligation_kind_name(enum kpl_obligation_kind kind);

/* One loop index of a counterexample placement. */
struct kpl_cex_index {
    int level;           /* enum kpl_level of the loop */
    bool is_stack;
    int loop;            /* 0-based among the level's stacks or updates */
    int64_t index;       /* 0-based copy or trip */
    int64_t count;       /* copies or trips of the loop */
    struct kpl_span span;
};

struct kpl_cex_param {
    const char *name;
    int64_t value;
    struct kpl_span span;
};

struct kpl_counterexample {
    int tensor;              /* enum kpl_tensor, -1 when none */
    int dim;                 /* offending dimension, -1 when none */
    unsigned point_dims;     /* KPL_DIM_BIT mask of dims set in point */
    int64_t point[KPL_DIM_COUNT];
    /*
     * Placements: coverage at the REGF level names the GBUF placement
     * (outer) whose tile is the parent; an overlap names two placements
     * of the level that compute the point.  Only the loops of the
     * factor (dimension component) that fails are listed.
     */
    int nouter;
    struct kpl_cex_index *outer;
    int nplacement;          /* 0 (gap) or 2 (overlap) */
    int nindex[2];
    struct kpl_cex_index *index[2];
    int64_t words;           /* capacity: words needed; fan-out: copies */
    int64_t limit;           /* capacity: buffer words; fan-out: PEs/nodes */
    int64_t bytes;           /* capacity only, else 0 */
    int64_t limit_bytes;
    int64_t value;           /* extents and window: the offending extent */
    int64_t bound;           /* and the bound it breaks */
    int64_t node_row, node_col; /* mesh and disjoint: the node */
    int other_layer;         /* disjoint: the other layer, else -1 */
    int nparam;
    struct kpl_cex_param *params;
};

struct kpl_obligation {
    enum kpl_obligation_kind kind;
    const char *rule;        /* "capacity", "fan-out", ... */
    int layer;               /* network layer index, -1 for none */
    const char *layer_name;
    int level;               /* enum kpl_level, -1 for segment obligations */
    int segment;             /* segment index, -1 when not applicable */
    enum kpl_verdict verdict;
    double seconds;
    const char *message;     /* what was proved, or what fails */
    const char *reason;      /* unknown: Z3's reason, else NULL */
    struct kpl_span span;
    bool has_cex;
    struct kpl_counterexample cex;
    struct kpl_diag *diag;   /* the diagnostic added, with its notes */
};

struct kpl_proof {
    const struct kpl_scheme *scheme;
    int count;
    struct kpl_obligation *obligations; /* in the arena */
    int proved;
    int violated;
    int unknown;
    double seconds;
};

struct kpl_prove_opts {
    unsigned timeout_ms;  /* per obligation; 0: 10000 */
    unsigned rlimit;      /* Z3 resource limit per query; 0: none */
    bool no_cores;        /* skip the minimal conflicting directives */
    int layer;            /* prove this layer only; -1: every layer */
};

/* Defaults: 10 s per obligation, cores on, every layer. */
void kpl_prove_opts_init(struct kpl_prove_opts *opts);

/*
 * Proves every obligation of the scheme, the segment rules first (only
 * when opts->layer is -1).  Adds one diagnostic per violated obligation
 * (error, with notes naming the conflicting directives) and per unknown
 * one (warning, rule "prove-unknown") to diags; fills out (memory from
 * arena; opts NULL: defaults).  Returns the number of obligations not
 * proved, or -1 on an internal failure (Z3 error, out of memory), which
 * also adds an error with rule "internal".
 */
int kpl_prove_scheme(const struct kpl_scheme *scheme,
                     const struct kpl_prove_opts *opts,
                     struct kpl_arena *arena, struct kpl_diags *diags,
                     struct kpl_proof *out);

/*
 * The proof as JSON (schema in docs/prove.md).  diags supplies the arena
 * for line maps; file names are made relative to base_dir (NULL: kept as
 * given).
 */
void kpl_proof_render_json(const struct kpl_proof *proof,
                           struct kpl_diags *diags, const char *base_dir,
                           struct kpl_buf *out);

#endif
