/*
 * The validity rules of a resolved scheme (check.h; design brief,
 * section 4): capacity, fan-out, containment and coverage per layer and
 * level, and the segment rules over the whole scheme.  Coverage itself is
 * decided in coverage.c; this file turns its findings into diagnostics.
 *
 * Order of diagnostics: the segment rules (membership, order, overlapping
 * regions), then every layer in network order (capacity, fan-out,
 * containment, coverage; REGF before GBUF within each rule), then the
 * segment-level capacity.
 *
 * Limitation: pipelined neighbours are not compared (the shared tensor's
 * extents and outer updates, check.h's "segment" rule); a segment whose
 * producer and consumer tile their shared tensor differently passes.
 */
#include "checker/check.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "checker/coverage.h"

/* What every rule of one layer needs. */
struct layer_check {
    const struct kpl_scheme *scheme;
    int index;
    const struct kpl_layer *layer;
    const struct kpl_layer_map *map;
    const struct kpl_region *region;
    struct kpl_span region_span;
    struct kpl_diags *diags;
    bool usable[KPL_LEVEL_COUNT]; /* tiles and stacks fit for coverage */
};

static const char *level_name(int level)
{
    return kpl_level_names[level];
}

static bool tensor_has(const struct kpl_layer *layer, int t, int d)
{
    return (layer->tensor_dims[t] & KPL_DIM_BIT(d)) != 0;
}

/* An amount of data in bytes, or in words when a word is not whole bytes. */
static void format_size(const struct kpl_arch *arch, int64_t words,
                        char *out, size_t size)
{
    if (arch->word_bits % 8 == 0) {
        snprintf(out, size, "%" PRId64 " B",
                 kpl_mul_sat(words, arch->word_bits / 8));
    } else {
        snprintf(out, size, "%" PRId64 " words", words);
    }
}

/* A loop as written: "stack (K+=16) x 8" or "update (Yi+=9, Yo+=9)". */
static void format_loop(const struct kpl_loop *loop, bool is_stack,
                        char *out, size_t size)
{
    size_t len = (size_t)snprintf(out, size, "%s (",
                                  is_stack ? "stack" : "update");
    for (int i = 0; i < loop->nshift && len < size; i++) {
        len += (size_t)snprintf(out + len, size - len, "%s%s+=%" PRId64,
                                i > 0 ? ", " : "",
                                kpl_dim_names[loop->shifts[i].dim],
                                loop->shifts[i].step);
    }
    if (len < size) {
        len += (size_t)snprintf(out + len, size - len, ")");
    }
    if (is_stack && len < size) {
        snprintf(out + len, size - len, " x %" PRId64, loop->count);
    }
}

static void format_region(const struct kpl_region *r, char *out,
                          size_t size)
{
    snprintf(out, size, "[%" PRId64 ":%" PRId64 ", %" PRId64 ":%" PRId64 "]",
             r->row0, r->row1, r->col0, r->col1);
}

/* Words of one tensor's tile at a level, and before sharing. */
static int64_t tile_words(const struct kpl_layer *layer,
                          const struct kpl_level_map *lm, int t,
                          int64_t *unshared)
{
    int64_t size = 1;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (tensor_has(layer, t, d)) {
            size = kpl_mul_sat(size, lm->tile[t][d]);
        }
    }
    if (unshared != NULL) {
        *unshared = size;
    }
    int64_t share = lm->share[t] > 0 ? lm->share[t] : 1;
    return (size + share - 1) / share;
}

/* ---- capacity ---- */

static void check_capacity(const struct layer_check *lc, int level)
{
    const struct kpl_arch *arch = lc->scheme->arch;
    const struct kpl_level_map *lm = &lc->map->level[level];
    int64_t words = kpl_level_words(lc->layer, lm);
    int64_t capacity = kpl_arch_words(arch, (enum kpl_level)level);
    if (words <= capacity) {
        return;
    }

    char parts[256] = "";
    size_t len = 0;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (lc->layer->tensor_dims[t] == 0) {
            continue;
        }
        char size[48];
        format_size(arch, tile_words(lc->layer, lm, t, NULL), size,
                    sizeof size);
        len += (size_t)snprintf(parts + len, sizeof parts - len, "%s%s %s",
                                len > 0 ? " + " : "", kpl_tensor_names[t],
                                size);
        if (len >= sizeof parts) {
            break;
        }
    }

    char held[48];
    char room[48];
    format_size(arch, words, held, sizeof held);
    format_size(arch, capacity, room, sizeof room);
    struct kpl_diag *diag = kpl_error(
        lc->diags, "capacity", lm->span,
        "%s of layer '%s' holds %s (%s) but a %s has %s", level_name(level),
        lc->layer->name, held, parts,
        level == KPL_LEVEL_REGF ? "pe" : "node", room);

    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (lc->layer->tensor_dims[t] == 0) {
            continue;
        }
        int64_t unshared = 0;
        char size[48];
        char whole[48];
        format_size(arch, tile_words(lc->layer, lm, t, &unshared), size,
                    sizeof size);
        format_size(arch, unshared, whole, sizeof whole);
        if (lm->share[t] > 1) {
            kpl_diag_note(lc->diags, diag, lm->tile_span[t],
                          "%s tile holds %s (%s shared by %" PRId64 ")",
                          kpl_tensor_names[t], size, whole, lm->share[t]);
        } else {
            kpl_diag_note(lc->diags, diag, lm->tile_span[t],
                          "%s tile holds %s", kpl_tensor_names[t], size);
        }
    }
}

/* ---- fan-out ---- */

/* " (8 x 16)" when a level has several stacks, else "". */
static void format_factors(const struct kpl_level_map *lm, char *out,
                           size_t size)
{
    out[0] = '\0';
    if (lm->nstack < 2) {
        return;
    }
    size_t len = (size_t)snprintf(out, size, " (");
    for (int i = 0; i < lm->nstack && len < size; i++) {
        len += (size_t)snprintf(out + len, size - len, "%s%" PRId64,
                                i > 0 ? " x " : "", lm->stacks[i].count);
    }
    if (len < size) {
        snprintf(out + len, size - len, ")");
    }
}

static void note_stacks(const struct layer_check *lc,
                        const struct kpl_level_map *lm, struct kpl_diag *diag)
{
    for (int i = 0; i < lm->nstack; i++) {
        char text[160];
        format_loop(&lm->stacks[i], true, text, sizeof text);
        kpl_diag_note(lc->diags, diag, lm->stacks[i].span, "%s", text);
    }
}

/* Stack counts below 1; returns false when one is found. */
static bool check_stack_counts(const struct layer_check *lc, int level)
{
    const struct kpl_level_map *lm = &lc->map->level[level];
    bool ok = true;
    for (int i = 0; i < lm->nstack; i++) {
        if (lm->stacks[i].count >= 1) {
            continue;
        }
        kpl_error(lc->diags, "fan-out", lm->stacks[i].span,
                  "stack of %s of layer '%s' has %" PRId64
                  " copies; a stack needs at least 1",
                  level_name(level), lc->layer->name, lm->stacks[i].count);
        ok = false;
    }
    return ok;
}

/*
 * Copies that do not fit the hardware leave coverage unchecked: the copies
 * are to change anyway, and counting a huge stack would take long.  The
 * REGF level is counted per GBUF tile, so it goes with the GBUF level.
 */
static void skip_coverage(struct layer_check *lc, int level,
                          struct kpl_diag *diag)
{
    const struct kpl_level_map *lm = &lc->map->level[level];
    bool both = level == KPL_LEVEL_GBUF && lc->usable[KPL_LEVEL_REGF];
    lc->usable[level] = false;
    if (level == KPL_LEVEL_GBUF) {
        lc->usable[KPL_LEVEL_REGF] = false;
    }
    kpl_diag_note(lc->diags, diag, lm->span,
                  "%s%s coverage is not checked until the copies fit",
                  level_name(level), both ? " and regf" : "");
}

/* The region lies in the mesh and holds nodes; false when not. */
static bool check_region(struct layer_check *lc)
{
    const struct kpl_arch *arch = lc->scheme->arch;
    const struct kpl_region *r = lc->region;
    char text[96];
    format_region(r, text, sizeof text);

    if (kpl_region_nodes(r) == 0) {
        struct kpl_diag *diag = kpl_error(
            lc->diags, "fan-out", lc->region_span,
            "region %s of layer '%s' holds no node", text, lc->layer->name);
        skip_coverage(lc, KPL_LEVEL_GBUF, diag);
        return false;
    }
    if (r->row0 < 0 || r->col0 < 0 || r->row1 > arch->node_rows ||
        r->col1 > arch->node_cols) {
        kpl_error(lc->diags, "fan-out", lc->region_span,
                  "region %s of layer '%s' lies outside the %" PRId64
                  " x %" PRId64 " node mesh",
                  text, lc->layer->name, arch->node_rows, arch->node_cols);
    }
    return true;
}

static void check_fanout(struct layer_check *lc)
{
    const struct kpl_arch *arch = lc->scheme->arch;
    const struct kpl_level_map *regf = &lc->map->level[KPL_LEVEL_REGF];
    const struct kpl_level_map *gbuf = &lc->map->level[KPL_LEVEL_GBUF];
    char factors[160];

    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        if (!check_stack_counts(lc, lv)) {
            lc->usable[lv] = false;
        }
    }

    int64_t pes = kpl_mul_sat(arch->pe_rows, arch->pe_cols);
    int64_t copies = kpl_level_copies(regf);
    if (copies > pes) {
        format_factors(regf, factors, sizeof factors);
        struct kpl_diag *diag = kpl_error(
            lc->diags, "fan-out", regf->span,
            "regf of layer '%s' stacks %" PRId64 " copies%s but a node has "
            "%" PRId64 " pes (%" PRId64 " x %" PRId64 ")",
            lc->layer->name, copies, factors, pes, arch->pe_rows,
            arch->pe_cols);
        note_stacks(lc, regf, diag);
        skip_coverage(lc, KPL_LEVEL_REGF, diag);
    }

    if (!check_region(lc)) {
        return;
    }
    int64_t nodes = kpl_region_nodes(lc->region);
    copies = kpl_level_copies(gbuf);
    if (copies > nodes) {
        char text[96];
        format_region(lc->region, text, sizeof text);
        format_factors(gbuf, factors, sizeof factors);
        struct kpl_diag *diag = kpl_error(
            lc->diags, "fan-out", gbuf->span,
            "gbuf of layer '%s' stacks %" PRId64 " copies%s but its region "
            "%s has %" PRId64 " nodes",
            lc->layer->name, copies, factors, text, nodes);
        note_stacks(lc, gbuf, diag);
        kpl_diag_note(lc->diags, diag, lc->region_span, "region given here");
        skip_coverage(lc, KPL_LEVEL_GBUF, diag);
    }
}

/* ---- containment ---- */

/* Missing directives and extents below 1; false when any is found. */
static bool check_extents(const struct layer_check *lc, int level)
{
    const struct kpl_level_map *lm = &lc->map->level[level];
    bool ok = true;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (lc->layer->tensor_dims[t] == 0) {
            continue;
        }
        if (!lm->tile_given[t]) {
            kpl_error(lc->diags, "containment", lm->span,
                      "%s of layer '%s' has no tensor directive for %s",
                      level_name(level), lc->layer->name,
                      kpl_tensor_names[t]);
            ok = false;
            continue;
        }
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (tensor_has(lc->layer, t, d) && lm->tile[t][d] < 1) {
                kpl_error(lc->diags, "containment", lm->tile_span[t],
                          "%s tile of %s in layer '%s' has %s=%" PRId64
                          "; extents must be at least 1",
                          level_name(level), kpl_tensor_names[t],
                          lc->layer->name, kpl_dim_names[d], lm->tile[t][d]);
                ok = false;
            }
        }
    }
    return ok;
}

/* Tiles within their parent: the GBUF tile, or the layer. */
static void check_within_parent(const struct layer_check *lc, int level)
{
    const struct kpl_level_map *lm = &lc->map->level[level];
    const struct kpl_level_map *gbuf = &lc->map->level[KPL_LEVEL_GBUF];
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (lc->layer->tensor_dims[t] == 0 || !lm->tile_given[t]) {
            continue;
        }
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            int64_t extent = lm->tile[t][d];
            if (!tensor_has(lc->layer, t, d) || extent < 1) {
                continue;
            }
            if (level == KPL_LEVEL_GBUF) {
                int64_t whole = kpl_layer_extent(
                    lc->layer, lc->scheme->batch, (enum kpl_dim)d);
                if (extent > whole) {
                    kpl_error(lc->diags, "containment", lm->tile_span[t],
                              "gbuf tile of %s in layer '%s' has %s=%" PRId64
                              " but the layer has %s=%" PRId64,
                              kpl_tensor_names[t], lc->layer->name,
                              kpl_dim_names[d], extent, kpl_dim_names[d],
                              whole);
                }
                continue;
            }
            int64_t outer = gbuf->tile[t][d];
            if (gbuf->tile_given[t] && outer >= 1 && extent > outer) {
                struct kpl_diag *diag = kpl_error(
                    lc->diags, "containment", lm->tile_span[t],
                    "regf tile of %s in layer '%s' has %s=%" PRId64
                    " but its gbuf tile has %s=%" PRId64,
                    kpl_tensor_names[t], lc->layer->name, kpl_dim_names[d],
                    extent, kpl_dim_names[d], outer);
                kpl_diag_note(lc->diags, diag, gbuf->tile_span[t],
                              "gbuf tile of %s", kpl_tensor_names[t]);
            }
        }
    }
}

/* The ifm tile holds the window its ofm tile needs, per spatial axis. */
static void check_window(const struct layer_check *lc, int level)
{
    static const int in_dim[2] = {KPL_DIM_XI, KPL_DIM_YI};
    static const int out_dim[2] = {KPL_DIM_XO, KPL_DIM_YO};
    static const int win_dim[2] = {KPL_DIM_R, KPL_DIM_S};
    const struct kpl_level_map *lm = &lc->map->level[level];
    const struct kpl_layer *layer = lc->layer;

    if (!lm->tile_given[KPL_TENSOR_IFM] || !lm->tile_given[KPL_TENSOR_OFM]) {
        return;
    }
    for (int axis = 0; axis < 2; axis++) {
        int xi = in_dim[axis];
        int xo = out_dim[axis];
        int r = win_dim[axis];
        if (!tensor_has(layer, KPL_TENSOR_IFM, xi) ||
            !tensor_has(layer, KPL_TENSOR_OFM, xo)) {
            continue;
        }
        /*
         * A layer without weights names no window dimension: its window is
         * covered by the input tile's steps (coverage checks that), so the
         * tile needs one window row.
         */
        int64_t window = 1;
        if (tensor_has(layer, KPL_TENSOR_WGT, r)) {
            if (!lm->tile_given[KPL_TENSOR_WGT]) {
                continue; /* reported as a missing directive */
            }
            window = lm->tile[KPL_TENSOR_WGT][r];
        }
        int64_t stride = axis == 0 ? layer->stride_x : layer->stride_y;
        int64_t out = lm->tile[KPL_TENSOR_OFM][xo];
        int64_t in = lm->tile[KPL_TENSOR_IFM][xi];
        int64_t need = (out - 1) * stride + window;
        if (out < 1 || window < 1 || in >= need) {
            continue;
        }
        struct kpl_diag *diag = kpl_error(
            lc->diags, "containment", lm->tile_span[KPL_TENSOR_IFM],
            "ifm tile at %s of layer '%s' has %s=%" PRId64
            " but its ofm tile needs %s >= (%s - 1) * stride + %s = (%" PRId64
            " - 1) * %" PRId64 " + %" PRId64 " = %" PRId64,
            level_name(level), layer->name, kpl_dim_names[xi], in,
            kpl_dim_names[xi], kpl_dim_names[xo], kpl_dim_names[r], out,
            stride, window, need);
        kpl_diag_note(lc->diags, diag, lm->tile_span[KPL_TENSOR_OFM],
                      "ofm tile at %s", level_name(level));
    }
}

static void check_containment(struct layer_check *lc)
{
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        if (!check_extents(lc, lv)) {
            lc->usable[lv] = false;
        }
        check_within_parent(lc, lv);
        check_window(lc, lv);
    }
}

/* ---- coverage ---- */

/* "n=0, k=3, xo=2": the point's indices along dims the layer spans. */
static void format_point(const struct layer_check *lc,
                         const int64_t point[KPL_LOOP_DIMS], char *out,
                         size_t size)
{
    static const char *const lower[KPL_LOOP_DIMS] = {
        "n", "c", "k", "xo", "yo", "r", "s",
    };
    size_t len = 0;
    out[0] = '\0';
    for (int d = 0; d < KPL_LOOP_DIMS && len < size; d++) {
        int64_t whole = kpl_layer_extent(lc->layer, lc->scheme->batch,
                                         (enum kpl_dim)d);
        if (whole > 1 || (d == KPL_LOOP_DIMS - 1 && len == 0)) {
            len += (size_t)snprintf(out + len, size - len, "%s%s=%" PRId64,
                                    len > 0 ? ", " : "", lower[d], point[d]);
        }
    }
}

static void note_coverage_loops(const struct layer_check *lc, int level,
                                const struct kpl_coverage_report *rep,
                                struct kpl_diag *diag)
{
    const struct kpl_level_map *lm = &lc->map->level[level];
    int nloop = lm->nstack + lm->nupdate;
    bool any = false;

    for (int i = 0; i < nloop; i++) {
        if (!rep->involved[i]) {
            continue;
        }
        bool is_stack = false;
        const struct kpl_loop *loop = kpl_coverage_loop(lm, i, &is_stack);
        int64_t count = kpl_coverage_loop_count(lc->scheme, lc->index,
                                                (enum kpl_level)level, i);
        const char *what = is_stack ? "copies" : "trips";
        char text[160];
        format_loop(loop, is_stack, text, sizeof text);
        if (rep->replicated) {
            kpl_diag_note(lc->diags, diag, loop->span,
                          "%s shifts nothing: its %" PRId64
                          " copies compute the same points",
                          text, count);
        } else if (rep->have_pair && rep->first[i] != rep->second[i]) {
            kpl_diag_note(lc->diags, diag, loop->span,
                          "%s: %s %" PRId64 " and %" PRId64 " both reach it",
                          text, what, rep->first[i], rep->second[i]);
        } else if (!rep->have_pair) {
            kpl_diag_note(lc->diags, diag, loop->span,
                          "%s makes %" PRId64 " %s", text, count, what);
        }
        any = true;
    }
    if (!any) {
        kpl_diag_note(lc->diags, diag, lm->span,
                      "no stack or update of %s moves these dimensions",
                      level_name(level));
    }
}

static void check_coverage(const struct layer_check *lc, int level)
{
    const struct kpl_level_map *lm = &lc->map->level[level];
    struct kpl_coverage_report rep;

    if (kpl_coverage_check(lc->scheme, lc->index, (enum kpl_level)level,
                           &rep) < 0) {
        kpl_error(lc->diags, "coverage", lm->span,
                  "coverage of %s of layer '%s' not checked: out of memory",
                  level_name(level), lc->layer->name);
        return;
    }
    if (rep.status == KPL_COVERAGE_TOO_LARGE) {
        kpl_warning(lc->diags, "coverage", lm->span,
                    "coverage of %s of layer '%s' not checked: %" PRId64
                    " points exceed the checker's limit; use --prove",
                    level_name(level), lc->layer->name, rep.points);
        return;
    }
    if (rep.status == KPL_COVERAGE_OK) {
        return;
    }

    char point[160];
    format_point(lc, rep.point, point, sizeof point);
    struct kpl_diag *diag = kpl_error(
        lc->diags, "coverage", lm->span,
        "%s of layer '%s' computes point (%s) %" PRId64 " times, "
        "expected once",
        level_name(level), lc->layer->name, point, rep.count);
    note_coverage_loops(lc, level, &rep, diag);
}

/* ---- one layer ---- */

/* The span of a layer's entry in its segment, if any. */
static struct kpl_span region_span_of(const struct kpl_scheme *scheme,
                                      int layer)
{
    for (int s = 0; s < scheme->nsegment; s++) {
        const struct kpl_segment *seg = &scheme->segments[s];
        for (int i = 0; i < seg->nlayer; i++) {
            if (seg->layers[i] == layer) {
                return seg->layer_spans != NULL ? seg->layer_spans[i]
                                                : seg->span;
            }
        }
    }
    return scheme->maps[layer].span;
}

int kpl_check_layer(const struct kpl_scheme *scheme, int layer,
                    const struct kpl_region *region,
                    struct kpl_diags *diags)
{
    int before = diags->nerrors;
    struct kpl_region whole = {0, scheme->arch->node_rows, 0,
                               scheme->arch->node_cols};
    struct layer_check lc = {
        .scheme = scheme,
        .index = layer,
        .layer = &scheme->net->layers[layer],
        .map = &scheme->maps[layer],
        .region = region != NULL ? region : &whole,
        .diags = diags,
        .usable = {true, true},
    };
    if (!lc.map->present) {
        return 0;
    }
    lc.region_span = region_span_of(scheme, layer);

    check_capacity(&lc, KPL_LEVEL_REGF);
    check_capacity(&lc, KPL_LEVEL_GBUF);
    check_fanout(&lc);
    check_containment(&lc);

    if (lc.usable[KPL_LEVEL_REGF] && lc.usable[KPL_LEVEL_GBUF]) {
        check_coverage(&lc, KPL_LEVEL_REGF);
    }
    if (lc.usable[KPL_LEVEL_GBUF]) {
        check_coverage(&lc, KPL_LEVEL_GBUF);
    }
    return diags->nerrors - before;
}

/* ---- the whole scheme ---- */

struct placement {
    int segment; /* -1: in no segment */
    int slot;    /* index inside the segment */
};

static struct kpl_span slot_span(const struct kpl_segment *seg, int slot)
{
    return seg->layer_spans != NULL ? seg->layer_spans[slot] : seg->span;
}

/* Each layer in exactly one segment; returns where each one is. */
static struct placement *check_membership(const struct kpl_scheme *scheme,
                                          struct kpl_diags *diags)
{
    const struct kpl_network *net = scheme->net;
    struct placement *where =
        kpl_arena_array(diags->arena, (size_t)net->nlayer, sizeof *where);
    if (where == NULL) {
        return NULL;
    }
    for (int i = 0; i < net->nlayer; i++) {
        where[i].segment = -1;
    }

    for (int s = 0; s < scheme->nsegment; s++) {
        const struct kpl_segment *seg = &scheme->segments[s];
        for (int i = 0; i < seg->nlayer; i++) {
            int l = seg->layers[i];
            if (l < 0 || l >= net->nlayer) {
                continue;
            }
            if (where[l].segment >= 0) {
                const struct kpl_segment *first =
                    &scheme->segments[where[l].segment];
                struct kpl_diag *diag = kpl_error(
                    diags, "segment", slot_span(seg, i),
                    "layer '%s' is in two segments", net->layers[l].name);
                kpl_diag_note(diags, diag, slot_span(first, where[l].slot),
                              "first placed here");
                continue;
            }
            where[l].segment = s;
            where[l].slot = i;
        }
    }

    /* A scheme without segments runs each layer alone on the mesh. */
    for (int l = 0; l < net->nlayer && scheme->nsegment > 0; l++) {
        if (where[l].segment < 0) {
            struct kpl_span span = scheme->maps[l].present
                                       ? scheme->maps[l].span
                                       : scheme->span;
            kpl_error(diags, "segment", span, "layer '%s' is in no segment",
                      net->layers[l].name);
        }
    }
    return where;
}

/* A segment runs after the segments of all its layers' producers. */
static void check_order(const struct kpl_scheme *scheme,
                        const struct placement *where,
                        struct kpl_diags *diags)
{
    const struct kpl_network *net = scheme->net;
    for (int l = 0; l < net->nlayer; l++) {
        if (where[l].segment < 0) {
            continue;
        }
        const struct kpl_layer *layer = &net->layers[l];
        for (int p = 0; p < layer->nprev; p++) {
            const struct kpl_ref *ref = &layer->prev[p];
            if (ref->is_input || ref->index < 0 || ref->index >= net->nlayer) {
                continue;
            }
            const struct placement *pw = &where[ref->index];
            if (pw->segment <= where[l].segment) {
                continue;
            }
            const struct kpl_segment *seg = &scheme->segments[where[l].segment];
            const struct kpl_segment *pseg = &scheme->segments[pw->segment];
            struct kpl_diag *diag = kpl_error(
                diags, "segment", slot_span(seg, where[l].slot),
                "segment of '%s' comes before the segment of '%s', which "
                "produces its input",
                layer->name, net->layers[ref->index].name);
            kpl_diag_note(diags, diag, slot_span(pseg, pw->slot),
                          "'%s' is placed here",
                          net->layers[ref->index].name);
        }
    }
}

static bool regions_overlap(const struct kpl_region *a,
                            const struct kpl_region *b)
{
    return a->row0 < b->row1 && b->row0 < a->row1 && a->col0 < b->col1 &&
           b->col0 < a->col1 && kpl_region_nodes(a) > 0 &&
           kpl_region_nodes(b) > 0;
}

static void check_overlaps(const struct kpl_scheme *scheme,
                           const struct kpl_segment *seg,
                           struct kpl_diags *diags)
{
    if (!seg->spatial || seg->regions == NULL) {
        return;
    }
    for (int b = 0; b < seg->nlayer; b++) {
        for (int a = 0; a < b; a++) {
            if (!regions_overlap(&seg->regions[a], &seg->regions[b])) {
                continue;
            }
            char ra[96];
            char rb[96];
            format_region(&seg->regions[a], ra, sizeof ra);
            format_region(&seg->regions[b], rb, sizeof rb);
            struct kpl_diag *diag = kpl_error(
                diags, "fan-out", slot_span(seg, b),
                "regions of layers '%s' %s and '%s' %s overlap in a spatial "
                "segment",
                scheme->net->layers[seg->layers[a]].name, ra,
                scheme->net->layers[seg->layers[b]].name, rb);
            kpl_diag_note(diags, diag, slot_span(seg, a), "'%s' is here",
                          scheme->net->layers[seg->layers[a]].name);
        }
    }
}

/* Nodes in the union of a segment's regions (clipped to the mesh). */
static int64_t union_nodes(const struct kpl_scheme *scheme,
                           const struct kpl_segment *seg)
{
    int64_t rows = scheme->arch->node_rows;
    int64_t cols = scheme->arch->node_cols;
    int64_t nodes = 0;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t c = 0; c < cols; c++) {
            for (int i = 0; i < seg->nlayer; i++) {
                const struct kpl_region *g = &seg->regions[i];
                if (r >= g->row0 && r < g->row1 && c >= g->col0 &&
                    c < g->col1) {
                    nodes++;
                    break;
                }
            }
        }
    }
    return nodes;
}

/* Whether layer l of the segment feeds a later layer of the segment. */
static bool forwards(const struct kpl_scheme *scheme,
                     const struct kpl_segment *seg, int slot)
{
    int producer = seg->layers[slot];
    for (int i = slot + 1; i < seg->nlayer; i++) {
        const struct kpl_layer *c = &scheme->net->layers[seg->layers[i]];
        for (int p = 0; p < c->nprev; p++) {
            if (!c->prev[p].is_input && c->prev[p].index == producer) {
                return true;
            }
        }
    }
    return false;
}

/*
 * Segment-level capacity, a deliberately simple model: a pipelined
 * segment keeps on chip, per forwarded tensor (the ofm of a layer that a
 * later layer of the segment reads), the slice its producer's nodes hold
 * at one time: the GBUF ofm tile times the GBUF copies (at most the
 * region's nodes).  Their sum must fit the total GBUF of the union of the
 * segment's regions.  Working tiles are checked per node by the layer
 * rules.
 * Limitation: double buffering of forwarded slices and the consumer's own
 * copy of its ifm are not counted, so a segment that only fits without
 * them passes.
 */
static void check_segment_capacity(const struct kpl_scheme *scheme,
                                   const struct kpl_segment *seg,
                                   struct kpl_diags *diags)
{
    if (seg->nlayer < 2 || seg->regions == NULL || seg->layers == NULL) {
        return;
    }
    const struct kpl_arch *arch = scheme->arch;
    int64_t kept = 0;
    for (int i = 0; i < seg->nlayer; i++) {
        int l = seg->layers[i];
        if (l < 0 || l >= scheme->net->nlayer || !scheme->maps[l].present ||
            !forwards(scheme, seg, i)) {
            continue;
        }
        const struct kpl_level_map *gbuf = &scheme->maps[l].level[1];
        int64_t copies = kpl_level_copies(gbuf);
        int64_t nodes = kpl_region_nodes(&seg->regions[i]);
        int64_t words = tile_words(&scheme->net->layers[l], gbuf,
                                   KPL_TENSOR_OFM, NULL);
        kept = kpl_add_sat(kept, kpl_mul_sat(words, copies < nodes ? copies
                                                                   : nodes));
    }

    int64_t nodes = union_nodes(scheme, seg);
    int64_t room = kpl_mul_sat(nodes, kpl_arch_words(arch, KPL_LEVEL_GBUF));
    if (kept <= room) {
        return;
    }
    char names[256] = "";
    size_t len = 0;
    for (int i = 0; i < seg->nlayer && len < sizeof names; i++) {
        len += (size_t)snprintf(names + len, sizeof names - len, "%s'%s'",
                                i > 0 ? ", " : "",
                                scheme->net->layers[seg->layers[i]].name);
    }
    char need[48];
    char have[48];
    format_size(arch, kept, need, sizeof need);
    format_size(arch, room, have, sizeof have);
    kpl_error(diags, "capacity", seg->span,
              "segment of %s keeps %s of forwarded data on chip but its %"
              PRId64 " %s %s",
              names, need, nodes, nodes == 1 ? "node has" : "nodes have",
              have);
}

int kpl_check_segments(const struct kpl_scheme *scheme,
                       struct kpl_diags *diags)
{
    int before = diags->nerrors;
    struct placement *where = check_membership(scheme, diags);
    if (where != NULL) {
        check_order(scheme, where, diags);
    }
    for (int s = 0; s < scheme->nsegment; s++) {
        check_segment_capacity(scheme, &scheme->segments[s], diags);
    }
    return diags->nerrors - before;
}

int kpl_check_scheme(const struct kpl_scheme *scheme,
                     struct kpl_diags *diags)
{
    int before = diags->nerrors;
    const struct kpl_network *net = scheme->net;

    struct placement *where = check_membership(scheme, diags);
    if (where == NULL) {
        return diags->nerrors - before;
    }
    check_order(scheme, where, diags);
    for (int s = 0; s < scheme->nsegment; s++) {
        check_overlaps(scheme, &scheme->segments[s], diags);
    }

    for (int l = 0; l < net->nlayer; l++) {
        if (!scheme->maps[l].present) {
            kpl_error(diags, "coverage", scheme->span,
                      "layer '%s' has no mapping in scheme '%s'",
                      net->layers[l].name, scheme->name);
            continue;
        }
        const struct kpl_region *region = NULL;
        if (where[l].segment >= 0) {
            const struct kpl_segment *seg = &scheme->segments[where[l].segment];
            region = seg->regions != NULL ? &seg->regions[where[l].slot]
                                          : NULL;
        }
        kpl_check_layer(scheme, l, region, diags);
    }

    for (int s = 0; s < scheme->nsegment; s++) {
        check_segment_capacity(scheme, &scheme->segments[s], diags);
    }
    return diags->nerrors - before;
}
