/*
 * The AST: what the parser builds and the canonical printer writes back.
 *
 * Every node lives in the compilation's arena and carries the span of the
 * text it came from (an empty span for nodes built by the solver).  Lists
 * are singly linked through `next`, in source order.  The AST is purely
 * syntactic: names are not resolved, arch properties are kept as words,
 * numbers keep their source text.  kpl_resolve (checker/resolve.h) gives
 * them meaning.
 */
#ifndef KPL_PARSER_AST_H
#define KPL_PARSER_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "base/diag.h"

/* ---- integer expressions (extents, steps, counts, regions) ---- */

enum kpl_expr_kind {
    KPL_EXPR_NUMBER, /* value */
    KPL_EXPR_PARAM,  /* name: a scheme parameter */
    KPL_EXPR_ADD,
    KPL_EXPR_SUB,
    KPL_EXPR_MUL,
    KPL_EXPR_DIV,    /* integer division, rounding down */
    KPL_EXPR_NEG,    /* lhs only */
};

struct kpl_expr {
    enum kpl_expr_kind kind;
    struct kpl_span span;
    int64_t value;
    const char *name;
    struct kpl_expr *lhs;
    struct kpl_expr *rhs;
};

/* ---- arch: `KEY word word ..., word ...;` ---- */

enum kpl_word_kind {
    KPL_WORD_IDENT,  /* also units such as pJ, KiB, B/cycle, and x */
    KPL_WORD_NUMBER, /* text kept; number parsed */
};

struct kpl_word {
    enum kpl_word_kind kind;
    struct kpl_span span;
    const char *text;
    double number;
    struct kpl_word *next;
};

struct kpl_clause {
    struct kpl_span span;
    struct kpl_word *words;
    struct kpl_clause *next;
};

struct kpl_prop {
    struct kpl_span span;
    const char *key;
    struct kpl_span key_span;
    struct kpl_clause *clauses;
    struct kpl_prop *next;
};

struct kpl_ast_arch {
    const char *name;
    struct kpl_span span;
    struct kpl_span name_span;
    struct kpl_prop *props;
};

/* ---- network ---- */

struct kpl_name {
    const char *text;
    struct kpl_span span;
    struct kpl_name *next;
};

/* `DIM = expr` in a shape list or a tensor tile */
struct kpl_dimval {
    const char *dim;
    struct kpl_span dim_span;
    struct kpl_expr *value;
    struct kpl_dimval *next;
};

/* `window 3`, `stride 2 x 1`, `pad 1 x 0`: second is NULL when absent */
struct kpl_option {
    const char *name;
    struct kpl_span span;
    struct kpl_expr *first;
    struct kpl_expr *second;
    struct kpl_option *next;
};

/*
 * `KIND NAME [<- PREV, ...] [[DIM=v, ...]] [OPTION ...];` or a flag
 * statement `NAME;` (kind NULL) such as `training;`.
 */
struct kpl_ast_layer {
    const char *kind;
    struct kpl_span kind_span;
    const char *name;
    struct kpl_span name_span;
    struct kpl_span span;
    struct kpl_name *prevs;
    struct kpl_dimval *shape;
    bool has_shape; /* `[]` written, even if empty */
    struct kpl_option *options;
    struct kpl_ast_layer *next;
};

struct kpl_ast_network {
    const char *name;
    struct kpl_span span;
    struct kpl_span name_span;
    struct kpl_ast_layer *stmts;
};

/* ---- scheme ---- */

/* `[r0:r1, c0:c1]` */
struct kpl_ast_region {
    struct kpl_span span;
    struct kpl_expr *row0, *row1, *col0, *col1;
};

/* a layer in a segment, with its own region when spatial */
struct kpl_seg_item {
    const char *layer;
    struct kpl_span span;
    struct kpl_ast_region *region; /* NULL: the segment's region */
    struct kpl_seg_item *next;
};

/* `segment { ITEMS } [nodes REGION];` */
struct kpl_ast_segment {
    struct kpl_span span;
    struct kpl_seg_item *items;
    struct kpl_ast_region *region; /* NULL when every item has its own */
    struct kpl_ast_segment *next;
};

struct kpl_ast_shift {
    const char *dim;
    struct kpl_span dim_span;
    struct kpl_expr *step;
    struct kpl_ast_shift *next;
};

enum kpl_directive_kind {
    KPL_DIRECTIVE_TENSOR, /* tensor NAME (DIMVALS) [shared EXPR]; */
    KPL_DIRECTIVE_STACK,  /* stack (SHIFTS) x EXPR; */
    KPL_DIRECTIVE_UPDATE, /* update (SHIFTS); */
};

struct kpl_directive {
    enum kpl_directive_kind kind;
    struct kpl_span span;
    const char *tensor;           /* TENSOR */
    struct kpl_span tensor_span;
    struct kpl_dimval *extents;   /* TENSOR */
    struct kpl_expr *shared;      /* TENSOR, NULL: not shared */
    struct kpl_ast_shift *shifts; /* STACK, UPDATE */
    struct kpl_expr *count;       /* STACK */
    struct kpl_directive *next;
};

/* `regf { ... }` or `gbuf { ... }` */
struct kpl_ast_level {
    const char *name;
    struct kpl_span span;
    struct kpl_span name_span;
    struct kpl_directive *directives;
    struct kpl_ast_level *next;
};

/* `layer NAME { LEVELS }` */
struct kpl_ast_layermap {
    const char *layer;
    struct kpl_span span;
    struct kpl_span name_span;
    struct kpl_ast_level *levels;
    struct kpl_ast_layermap *next;
};

/* `param NAME = VALUE in [LO, HI];` */
struct kpl_ast_param {
    const char *name;
    struct kpl_span span;
    struct kpl_expr *value;
    struct kpl_expr *lo;
    struct kpl_expr *hi;
    struct kpl_ast_param *next;
};

/* `scheme NAME for NET on ARCH batch EXPR { ... }` */
struct kpl_ast_scheme {
    const char *name;
    struct kpl_span span;
    struct kpl_span name_span;
    const char *network;
    struct kpl_span network_span;
    const char *arch;
    struct kpl_span arch_span;
    struct kpl_expr *batch;
    struct kpl_ast_param *params;
    struct kpl_ast_segment *segments;
    struct kpl_ast_layermap *layers;
};

/* ---- files ---- */

enum kpl_item_kind {
    KPL_ITEM_IMPORT,
    KPL_ITEM_ARCH,
    KPL_ITEM_NETWORK,
    KPL_ITEM_SCHEME,
};

struct kpl_item {
    enum kpl_item_kind kind;
    struct kpl_span span;
    /*
     * IMPORT: `import "path";` (quoted) or `import NAME;` (bundled); NULL
     * when the quoted path was malformed (reported by the scanner), so
     * that the loader does not try to read it.
     */
    const char *import_path;
    bool import_bundled;
    struct kpl_ast_arch *arch;
    struct kpl_ast_network *network;
    struct kpl_ast_scheme *scheme;
    struct kpl_item *next;
};

struct kpl_ast_file {
    struct kpl_source *source;
    struct kpl_item *items;
};

#endif
