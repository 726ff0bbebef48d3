/*
 * Exact coverage by factorisation (see coverage.h for the semantics and
 * the argument).  Per component of merged dimension groups, every placement
 * of the component's loops adds its computed points to a dense counter
 * array: the points along the component's last dimension form one interval
 * per row, so a placement adds +1/-1 to a difference array row by row, and
 * a prefix sum per row gives the counts.  The counts are then scanned in
 * lexicographic order of the component's dimensions (N, C, K, Xo, Yo, R, S)
 * for the first point not computed exactly once.
 */
#include "checker/coverage.h"

#include <stdlib.h>
#include <string.h>

enum group {
    GROUP_N,
    GROUP_C,
    GROUP_K,
    GROUP_X,
    GROUP_Y,
    GROUP_COUNT,
};

static const int dim_group[KPL_DIM_COUNT] = {
    GROUP_N, GROUP_C, GROUP_K, GROUP_X, GROUP_Y,
    GROUP_X, GROUP_Y, GROUP_X, GROUP_Y,
};

#define MAXL KPL_COVERAGE_MAX_LOOPS
#define FAR ((int64_t)1 << 60) /* an unbounded range end */
#define MAX_WORK ((int64_t)1 << 30)

/* A level's loops (stacks then updates) and tiles, flattened. */
struct level {
    int nloop;
    int64_t count[MAXL];
    int64_t shift[MAXL][KPL_DIM_COUNT];
    unsigned groups[MAXL]; /* bit per group the loop shifts */
    int64_t tile[KPL_TENSOR_COUNT][KPL_DIM_COUNT];
    unsigned tdims[KPL_TENSOR_COUNT];
};

/*
 * The parent space of one component: per dimension of the component a
 * range (loop dims: the intersection of the tensors' ranges; Xi, Yi: the
 * ifm range) and, per spatial group, delta.  Relative to the GBUF offset
 * for the REGF level.  Fields outside the component stay zero so that
 * shapes compare with memcmp.
 */
struct shape {
    int64_t lo[KPL_DIM_COUNT];
    int64_t hi[KPL_DIM_COUNT];
    int64_t delta[2];
};

/* A distinct shape, the first GBUF placement giving it and its offset. */
struct shape_entry {
    struct shape shape;
    int64_t seq;
    int64_t goff[KPL_DIM_COUNT];
};

struct context {
    const struct kpl_scheme *scheme;
    int layer_index;
    const struct kpl_layer *layer;
    int64_t extent[KPL_DIM_COUNT];
    int64_t stride[2];
    struct level lv[KPL_LEVEL_COUNT];
    int ncomp;
    unsigned comp_groups[GROUP_COUNT]; /* group mask per component */
};

/* Result of counting one component over one shape. */
struct count_result {
    bool too_large;
    int64_t cells;
    bool bad;
    int64_t bad_rel[KPL_LOOP_DIMS];
    int64_t bad_count;
    bool have_good;
    int64_t good_rel[KPL_LOOP_DIMS];
};

/* What the scan of one component found, over all its shapes. */
struct comp_result {
    bool too_large;
    int64_t cells;
    bool bad;
    int bad_shape;
    int64_t bad_rel[KPL_LOOP_DIMS];
    int64_t bad_count;
    bool have_good;
    int good_shape;
    int64_t good_rel[KPL_LOOP_DIMS];
    int nshape;
    struct shape_entry *shapes; /* malloc'd; NULL for the GBUF level */
};

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

const struct kpl_loop *kpl_coverage_loop(const struct kpl_level_map *lm,
                                         int i, bool *is_stack)
{
    bool stack = i < lm->nstack;
    if (is_stack != NULL) {
        *is_stack = stack;
    }
    return stack ? &lm->stacks[i] : &lm->updates[i - lm->nstack];
}

int64_t kpl_coverage_loop_count(const struct kpl_scheme *scheme, int layer,
                                enum kpl_level level, int i)
{
    const struct kpl_level_map *lm = &scheme->maps[layer].level[level];
    bool is_stack = false;
    const struct kpl_loop *loop = kpl_coverage_loop(lm, i, &is_stack);
    if (is_stack || loop->count > 0) {
        return loop->count;
    }
    return kpl_update_trips(scheme, layer, level, loop);
}

static void build_level(const struct context *cx, enum kpl_level level,
                        struct level *out)
{
    const struct kpl_level_map *lm =
        &cx->scheme->maps[cx->layer_index].level[level];

    memset(out, 0, sizeof *out);
    out->nloop = lm->nstack + lm->nupdate;
    for (int i = 0; i < out->nloop; i++) {
        const struct kpl_loop *loop = kpl_coverage_loop(lm, i, NULL);
        out->count[i] = kpl_coverage_loop_count(cx->scheme, cx->layer_index,
                                                level, i);
        for (int j = 0; j < loop->nshift; j++) {
            const struct kpl_shift *sh = &loop->shifts[j];
            out->shift[i][sh->dim] += sh->step;
        }
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (out->shift[i][d] != 0) {
                out->groups[i] |= 1u << dim_group[d];
            }
        }
    }
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        out->tdims[t] = cx->layer->tensor_dims[t];
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            out->tile[t][d] = lm->tile[t][d];
        }
    }
}

/* Union of the groups that loops of either level shift together. */
static void build_components(struct context *cx)
{
    int label[GROUP_COUNT];
    for (int g = 0; g < GROUP_COUNT; g++) {
        label[g] = g;
    }
    for (int l = 0; l < KPL_LEVEL_COUNT; l++) {
        const struct level *lv = &cx->lv[l];
        for (int i = 0; i < lv->nloop; i++) {
            int least = GROUP_COUNT;
            for (int g = 0; g < GROUP_COUNT; g++) {
                if ((lv->groups[i] & (1u << g)) && label[g] < least) {
                    least = label[g];
                }
            }
            for (int g = 0; g < GROUP_COUNT; g++) {
                if (!(lv->groups[i] & (1u << g))) {
                    continue;
                }
                int old = label[g];
                for (int h = 0; h < GROUP_COUNT; h++) {
                    if (label[h] == old) {
                        label[h] = least;
                    }
                }
            }
        }
    }

    cx->ncomp = 0;
    for (int g = 0; g < GROUP_COUNT; g++) {
        if (label[g] != g) {
            continue;
        }
        unsigned mask = 0;
        for (int h = 0; h < GROUP_COUNT; h++) {
            if (label[h] == g) {
                mask |= 1u << h;
            }
        }
        cx->comp_groups[cx->ncomp++] = mask;
    }
}

static bool dim_in(unsigned gmask, int d)
{
    return (gmask >> dim_group[d]) & 1u;
}

/* The loop dims (N..S) of a component, in index order. */
static int comp_dims(unsigned gmask, int dims[KPL_LOOP_DIMS])
{
    int m = 0;
    for (int d = 0; d < KPL_LOOP_DIMS; d++) {
        if (dim_in(gmask, d)) {
            dims[m++] = d;
        }
    }
    return m;
}

/* The range along d that a placement at offset off computes in sh. */
static void place_range(const struct level *lv, const struct shape *sh,
                        const int64_t off[KPL_DIM_COUNT], int d,
                        int64_t *lo, int64_t *hi)
{
    *lo = sh->lo[d];
    *hi = sh->hi[d];
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (lv->tdims[t] & KPL_DIM_BIT(d)) {
            *lo = max64(*lo, off[d]);
            *hi = min64(*hi, off[d] + lv->tile[t][d]);
        }
    }
}

/* The whole layer as the parent of the GBUF level. */
static void layer_shape(const struct context *cx, unsigned gmask,
                        struct shape *sh)
{
    memset(sh, 0, sizeof *sh);
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (dim_in(gmask, d)) {
            sh->hi[d] = cx->extent[d];
        }
    }
    if (!(cx->layer->tensor_dims[KPL_TENSOR_IFM] & KPL_DIM_BIT(KPL_DIM_XI))) {
        sh->lo[KPL_DIM_XI] = dim_in(gmask, KPL_DIM_XI) ? -FAR : 0;
        sh->hi[KPL_DIM_XI] = dim_in(gmask, KPL_DIM_XI) ? FAR : 0;
    }
    if (!(cx->layer->tensor_dims[KPL_TENSOR_IFM] & KPL_DIM_BIT(KPL_DIM_YI))) {
        sh->lo[KPL_DIM_YI] = dim_in(gmask, KPL_DIM_YI) ? -FAR : 0;
        sh->hi[KPL_DIM_YI] = dim_in(gmask, KPL_DIM_YI) ? FAR : 0;
    }
}

/* The window coupling of an output and a window index (axis 0: X). */
static void couple(const struct context *cx, const struct shape *sh,
                   const int64_t jlo[2], const int64_t jhi[2], int axis,
                   int64_t out_index, int64_t *lo, int64_t *hi)
{
    int64_t base = out_index * cx->stride[axis] + sh->delta[axis];
    *lo = max64(*lo, jlo[axis] - base);
    *hi = min64(*hi, jhi[axis] - base);
}

static bool coupled(const struct context *cx, const struct shape *sh,
                    const int64_t jlo[2], const int64_t jhi[2], int axis,
                    int64_t out_index, int64_t win_index)
{
    int64_t in = out_index * cx->stride[axis] + win_index + sh->delta[axis];
    return in >= jlo[axis] && in < jhi[axis];
}

/* Whether sh holds at least one point. */
static bool shape_nonempty(const struct context *cx, unsigned gmask,
                           const struct shape *sh)
{
    static const int out_dim[2] = {KPL_DIM_XO, KPL_DIM_YO};
    static const int win_dim[2] = {KPL_DIM_R, KPL_DIM_S};

    for (int d = 0; d < KPL_LOOP_DIMS; d++) {
        if (dim_in(gmask, d) && sh->lo[d] >= sh->hi[d]) {
            return false;
        }
    }
    for (int axis = 0; axis < 2; axis++) {
        if (!dim_in(gmask, out_dim[axis])) {
            continue;
        }
        int64_t jlo[2] = {sh->lo[KPL_DIM_XI], sh->lo[KPL_DIM_YI]};
        int64_t jhi[2] = {sh->hi[KPL_DIM_XI], sh->hi[KPL_DIM_YI]};
        bool any = false;
        int o = out_dim[axis];
        for (int64_t v = sh->lo[o]; v < sh->hi[o] && !any; v++) {
            int64_t lo = sh->lo[win_dim[axis]];
            int64_t hi = sh->hi[win_dim[axis]];
            couple(cx, sh, jlo, jhi, axis, v, &lo, &hi);
            any = lo < hi;
        }
        if (!any) {
            return false;
        }
    }
    return true;
}

/* Offsets of a placement along every dim, from its loop indices. */
static void offsets(const struct level *lv, unsigned gmask,
                    const int64_t idx[MAXL], int64_t off[KPL_DIM_COUNT])
{
    memset(off, 0, sizeof(int64_t) * KPL_DIM_COUNT);
    for (int i = 0; i < lv->nloop; i++) {
        if (!(lv->groups[i] & gmask)) {
            continue;
        }
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            off[d] += idx[i] * lv->shift[i][d];
        }
    }
}

/* Advances the odometer over the loops of gmask; false when done. */
static bool next_placement(const struct level *lv, unsigned gmask,
                           int64_t idx[MAXL])
{
    for (int i = 0; i < lv->nloop; i++) {
        if (!(lv->groups[i] & gmask)) {
            continue;
        }
        if (++idx[i] < lv->count[i]) {
            return true;
        }
        idx[i] = 0;
    }
    return false;
}

static int64_t placements_of(const struct level *lv, unsigned gmask)
{
    int64_t n = 1;
    for (int i = 0; i < lv->nloop; i++) {
        if (lv->groups[i] & gmask) {
            n = kpl_mul_sat(n, lv->count[i]);
        }
    }
    return n;
}

/* Whether the placement at off computes the relative point rel. */
static bool computes(const struct context *cx, const struct level *lv,
                     unsigned gmask, const struct shape *sh,
                     const int64_t off[KPL_DIM_COUNT],
                     const int64_t rel[KPL_LOOP_DIMS])
{
    int dims[KPL_LOOP_DIMS];
    int m = comp_dims(gmask, dims);
    for (int j = 0; j < m; j++) {
        int64_t lo = 0;
        int64_t hi = 0;
        place_range(lv, sh, off, dims[j], &lo, &hi);
        if (rel[dims[j]] < lo || rel[dims[j]] >= hi) {
            return false;
        }
    }

    int64_t jlo[2];
    int64_t jhi[2];
    place_range(lv, sh, off, KPL_DIM_XI, &jlo[0], &jhi[0]);
    place_range(lv, sh, off, KPL_DIM_YI, &jlo[1], &jhi[1]);
    if (dim_in(gmask, KPL_DIM_XO) &&
        !coupled(cx, sh, jlo, jhi, 0, rel[KPL_DIM_XO], rel[KPL_DIM_R])) {
        return false;
    }
    if (dim_in(gmask, KPL_DIM_YO) &&
        !coupled(cx, sh, jlo, jhi, 1, rel[KPL_DIM_YO], rel[KPL_DIM_S])) {
        return false;
    }
    return true;
}

/* The dense counter array of one component over one shape. */
struct grid {
    int m;
    int dims[KPL_LOOP_DIMS];
    int64_t lo[KPL_LOOP_DIMS];
    int64_t ext[KPL_LOOP_DIMS];
    int64_t row_len; /* last extent + 1 (difference array) */
    int64_t rows;
    int32_t *cells;
};

static int64_t grid_row(const struct grid *g, const int64_t v[])
{
    int64_t row = 0;
    for (int j = 0; j + 1 < g->m; j++) {
        row = row * g->ext[j] + (v[j] - g->lo[j]);
    }
    return row;
}

/* Adds the points of one placement to the difference array. */
static void grid_add(const struct context *cx, struct grid *g,
                     const struct level *lv, const struct shape *sh,
                     const int64_t off[KPL_DIM_COUNT])
{
    int64_t ilo[KPL_LOOP_DIMS];
    int64_t ihi[KPL_LOOP_DIMS];
    int64_t v[KPL_LOOP_DIMS];
    int64_t jlo[2];
    int64_t jhi[2];
    int64_t pos[KPL_DIM_COUNT] = {0};
    int last = g->m - 1;

    for (int j = 0; j < g->m; j++) {
        place_range(lv, sh, off, g->dims[j], &ilo[j], &ihi[j]);
        if (ilo[j] >= ihi[j]) {
            return;
        }
        v[j] = ilo[j];
    }
    place_range(lv, sh, off, KPL_DIM_XI, &jlo[0], &jhi[0]);
    place_range(lv, sh, off, KPL_DIM_YI, &jlo[1], &jhi[1]);

    for (;;) {
        bool ok = true;
        for (int j = 0; j < last; j++) {
            pos[g->dims[j]] = v[j];
        }
        /*
         * Window couplings: one that ends in the last dim narrows its
         * interval, one inside the row prefix filters the row.
         */
        int ld = g->dims[last];
        int64_t lo = ilo[last];
        int64_t hi = ihi[last];
        for (int axis = 0; axis < 2 && ok; axis++) {
            int o = axis == 0 ? KPL_DIM_XO : KPL_DIM_YO;
            int w = axis == 0 ? KPL_DIM_R : KPL_DIM_S;
            bool has = false;
            for (int j = 0; j < g->m; j++) {
                has = has || g->dims[j] == o;
            }
            if (!has) {
                continue;
            }
            if (ld == w) {
                couple(cx, sh, jlo, jhi, axis, pos[o], &lo, &hi);
            } else {
                ok = coupled(cx, sh, jlo, jhi, axis, pos[o], pos[w]);
            }
        }
        if (ok && lo < hi) {
            int64_t base = grid_row(g, v) * g->row_len - g->lo[last];
            g->cells[base + lo]++;
            g->cells[base + hi]--;
        }

        int j = last - 1;
        while (j >= 0 && ++v[j] >= ihi[j]) {
            v[j] = ilo[j];
            j--;
        }
        if (j < 0) {
            return;
        }
    }
}

/* Scans the counts for the first point not counted once, and a good one. */
static void grid_scan(const struct context *cx, const struct grid *g,
                      const struct shape *sh, struct count_result *res)
{
    int64_t v[KPL_LOOP_DIMS];
    int64_t pos[KPL_DIM_COUNT] = {0};
    int64_t jlo[2] = {sh->lo[KPL_DIM_XI], sh->lo[KPL_DIM_YI]};
    int64_t jhi[2] = {sh->hi[KPL_DIM_XI], sh->hi[KPL_DIM_YI]};
    int last = g->m - 1;
    unsigned gmask = 0;

    for (int j = 0; j < g->m; j++) {
        v[j] = g->lo[j];
        gmask |= 1u << dim_group[g->dims[j]];
    }
    for (int64_t row = 0; row < g->rows; row++) {
        int64_t count = 0;
        for (int j = 0; j < last; j++) {
            pos[g->dims[j]] = v[j];
        }
        for (int64_t c = 0; c < g->ext[last]; c++) {
            count += g->cells[row * g->row_len + c];
            pos[g->dims[last]] = g->lo[last] + c;
            bool inside = true;
            if (dim_in(gmask, KPL_DIM_XO)) {
                inside = coupled(cx, sh, jlo, jhi, 0, pos[KPL_DIM_XO],
                                 pos[KPL_DIM_R]);
            }
            if (inside && dim_in(gmask, KPL_DIM_YO)) {
                inside = coupled(cx, sh, jlo, jhi, 1, pos[KPL_DIM_YO],
                                 pos[KPL_DIM_S]);
            }
            if (!inside) {
                continue;
            }
            if (count != 1 && !res->bad) {
                res->bad = true;
                res->bad_count = count;
                memcpy(res->bad_rel, pos, sizeof res->bad_rel);
            } else if (count == 1 && !res->have_good) {
                res->have_good = true;
                memcpy(res->good_rel, pos, sizeof res->good_rel);
            }
            if (res->bad && res->have_good) {
                return;
            }
        }
        for (int j = last - 1; j >= 0; j--) {
            if (++v[j] < g->lo[j] + g->ext[j]) {
                break;
            }
            v[j] = g->lo[j];
        }
    }
}

/* Counts how often each point of sh is computed by the level's loops. */
static int count_component(const struct context *cx, const struct level *lv,
                           unsigned gmask, const struct shape *sh,
                           struct count_result *res)
{
    struct grid g;
    memset(&g, 0, sizeof g);
    memset(res, 0, sizeof *res);
    g.m = comp_dims(gmask, g.dims);

    int64_t cells = 1;
    g.rows = 1;
    for (int j = 0; j < g.m; j++) {
        g.lo[j] = sh->lo[g.dims[j]];
        g.ext[j] = sh->hi[g.dims[j]] - sh->lo[g.dims[j]];
        cells = kpl_mul_sat(cells, g.ext[j]);
        if (j + 1 < g.m) {
            g.rows = kpl_mul_sat(g.rows, g.ext[j]);
        }
    }
    res->cells = cells;
    if (cells <= 0) {
        return 0; /* an empty layer: nothing to cover */
    }
    g.row_len = g.ext[g.m - 1] + 1;
    int64_t work = kpl_mul_sat(placements_of(lv, gmask), g.rows);
    if (kpl_mul_sat(g.rows, g.row_len) > KPL_COVERAGE_MAX_CELLS ||
        work > MAX_WORK) {
        res->too_large = true;
        return 0;
    }

    g.cells = calloc((size_t)(g.rows * g.row_len), sizeof *g.cells);
    if (g.cells == NULL) {
        return -1;
    }
    int64_t idx[MAXL] = {0};
    int64_t off[KPL_DIM_COUNT];
    do {
        offsets(lv, gmask, idx, off);
        grid_add(cx, &g, lv, sh, off);
    } while (next_placement(lv, gmask, idx));

    grid_scan(cx, &g, sh, res);
    free(g.cells);
    return 0;
}

static int compare_entries(const void *a, const void *b)
{
    const struct shape_entry *x = a;
    const struct shape_entry *y = b;
    int c = memcmp(&x->shape, &y->shape, sizeof x->shape);
    if (c != 0) {
        return c;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int compare_seq(const void *a, const void *b)
{
    const struct shape_entry *x = a;
    const struct shape_entry *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The shape that GBUF placement goff gives component gmask. */
static void gbuf_shape(const struct context *cx, unsigned gmask,
                       const int64_t goff[KPL_DIM_COUNT], struct shape *sh)
{
    struct shape whole;
    layer_shape(cx, gmask, &whole);
    memset(sh, 0, sizeof *sh);
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (!dim_in(gmask, d)) {
            continue;
        }
        int64_t lo = 0;
        int64_t hi = 0;
        place_range(&cx->lv[KPL_LEVEL_GBUF], &whole, goff, d, &lo, &hi);
        bool unbounded = lo <= -FAR || hi >= FAR;
        sh->lo[d] = unbounded ? lo : lo - goff[d];
        sh->hi[d] = unbounded ? hi : hi - goff[d];
    }
    if (dim_in(gmask, KPL_DIM_XO)) {
        sh->delta[0] = goff[KPL_DIM_XO] * cx->stride[0] + goff[KPL_DIM_R] -
                       goff[KPL_DIM_XI];
    }
    if (dim_in(gmask, KPL_DIM_YO)) {
        sh->delta[1] = goff[KPL_DIM_YO] * cx->stride[1] + goff[KPL_DIM_S] -
                       goff[KPL_DIM_YI];
    }
}

/* The distinct non-empty shapes the GBUF placements give a component. */
static int collect_shapes(const struct context *cx, unsigned gmask,
                          struct comp_result *cr)
{
    const struct level *gl = &cx->lv[KPL_LEVEL_GBUF];
    int64_t total = placements_of(gl, gmask);
    if (total > KPL_COVERAGE_MAX_CELLS) {
        cr->too_large = true;
        cr->cells = total;
        return 0;
    }

    struct shape_entry *all = calloc((size_t)total, sizeof *all);
    if (all == NULL) {
        return -1;
    }
    int64_t n = 0;
    int64_t seq = 0;
    int64_t idx[MAXL] = {0};
    do {
        struct shape_entry *e = &all[n];
        offsets(gl, gmask, idx, e->goff);
        gbuf_shape(cx, gmask, e->goff, &e->shape);
        e->seq = seq++;
        if (shape_nonempty(cx, gmask, &e->shape)) {
            n++;
        }
    } while (next_placement(gl, gmask, idx));

    qsort(all, (size_t)n, sizeof *all, compare_entries);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        if (kept == 0 || memcmp(&all[kept - 1].shape, &all[i].shape,
                                sizeof all[i].shape) != 0) {
            all[kept++] = all[i];
        }
    }
    qsort(all, (size_t)kept, sizeof *all, compare_seq);
    cr->shapes = all;
    cr->nshape = (int)kept;
    return 0;
}

/* Counts one component over every parent shape of the level. */
static int check_component(const struct context *cx, enum kpl_level level,
                           unsigned gmask, struct comp_result *cr)
{
    memset(cr, 0, sizeof *cr);
    if (level == KPL_LEVEL_REGF) {
        if (collect_shapes(cx, gmask, cr) < 0) {
            return -1;
        }
        if (cr->too_large) {
            return 0;
        }
    } else {
        cr->shapes = calloc(1, sizeof *cr->shapes);
        if (cr->shapes == NULL) {
            return -1;
        }
        layer_shape(cx, gmask, &cr->shapes[0].shape);
        cr->nshape = 1;
    }

    for (int i = 0; i < cr->nshape && !cr->bad; i++) {
        struct count_result res;
        if (count_component(cx, &cx->lv[level], gmask, &cr->shapes[i].shape,
                            &res) < 0) {
            return -1;
        }
        if (res.too_large) {
            cr->too_large = true;
            cr->cells = res.cells;
            return 0;
        }
        if (res.bad) {
            cr->bad = true;
            cr->bad_shape = i;
            cr->bad_count = res.bad_count;
            memcpy(cr->bad_rel, res.bad_rel, sizeof cr->bad_rel);
        }
        if (res.have_good && !cr->have_good) {
            cr->have_good = true;
            cr->good_shape = i;
            memcpy(cr->good_rel, res.good_rel, sizeof cr->good_rel);
        }
    }
    return 0;
}

/* The loop indices of the first two placements computing rel. */
static void find_pair(const struct context *cx, const struct level *lv,
                      unsigned gmask, const struct shape *sh,
                      const int64_t rel[KPL_LOOP_DIMS],
                      struct kpl_coverage_report *out)
{
    int64_t idx[MAXL] = {0};
    int64_t off[KPL_DIM_COUNT];
    int found = 0;
    do {
        offsets(lv, gmask, idx, off);
        if (!computes(cx, lv, gmask, sh, off, rel)) {
            continue;
        }
        int64_t *dst = found == 0 ? out->first : out->second;
        for (int i = 0; i < lv->nloop; i++) {
            dst[i] = (lv->groups[i] & gmask) ? idx[i] : -1;
        }
        found++;
    } while (found < 2 && next_placement(lv, gmask, idx));
    out->have_pair = found == 2;
}

static void init_context(struct context *cx, const struct kpl_scheme *scheme,
                         int layer)
{
    memset(cx, 0, sizeof *cx);
    cx->scheme = scheme;
    cx->layer_index = layer;
    cx->layer = &scheme->net->layers[layer];
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        cx->extent[d] = kpl_layer_extent(cx->layer, scheme->batch, d);
    }
    cx->stride[0] = cx->layer->stride_x;
    cx->stride[1] = cx->layer->stride_y;
    build_level(cx, KPL_LEVEL_REGF, &cx->lv[KPL_LEVEL_REGF]);
    build_level(cx, KPL_LEVEL_GBUF, &cx->lv[KPL_LEVEL_GBUF]);
    build_components(cx);
}

/* Writes the absolute point of one component's chosen relative point. */
static void place_point(const struct comp_result *cr, unsigned gmask,
                        int shape, const int64_t rel[KPL_LOOP_DIMS],
                        int64_t point[KPL_LOOP_DIMS])
{
    for (int d = 0; d < KPL_LOOP_DIMS; d++) {
        if (dim_in(gmask, d)) {
            point[d] = rel[d] + cr->shapes[shape].goff[d];
        }
    }
}

/* Assembles the report from the per-component results. */
static void assemble(const struct context *cx, enum kpl_level level,
                     const struct comp_result *crs, int bad_comp,
                     int64_t replicate, struct kpl_coverage_report *out)
{
    out->status = KPL_COVERAGE_BAD;
    out->count = replicate;
    for (int c = 0; c < cx->ncomp; c++) {
        const struct comp_result *cr = &crs[c];
        unsigned gmask = cx->comp_groups[c];
        if (c == bad_comp) {
            place_point(cr, gmask, cr->bad_shape, cr->bad_rel, out->point);
            out->count *= cr->bad_count;
        } else if (cr->have_good) {
            place_point(cr, gmask, cr->good_shape, cr->good_rel, out->point);
        } else if (cr->bad) {
            place_point(cr, gmask, cr->bad_shape, cr->bad_rel, out->point);
            out->count *= cr->bad_count;
        } else {
            /*
             * Limitation: a component too large to count contributes its
             * first point with an assumed count of 1, so the reported count
             * can be wrong when that component also fails.
             */
            int64_t rel[KPL_LOOP_DIMS] = {0};
            for (int d = 0; d < KPL_LOOP_DIMS; d++) {
                rel[d] = cr->nshape > 0 ? cr->shapes[0].shape.lo[d] : 0;
            }
            if (cr->nshape > 0) {
                place_point(cr, gmask, 0, rel, out->point);
            }
        }
    }

    const struct level *lv = &cx->lv[level];
    for (int i = 0; i < lv->nloop; i++) {
        out->first[i] = -1;
        out->second[i] = -1;
    }
    if (bad_comp < 0) {
        out->replicated = true;
        for (int i = 0; i < lv->nloop; i++) {
            out->involved[i] = lv->groups[i] == 0 && lv->count[i] > 1;
        }
        return;
    }
    unsigned gmask = cx->comp_groups[bad_comp];
    for (int i = 0; i < lv->nloop; i++) {
        out->involved[i] = (lv->groups[i] & gmask) != 0;
    }
    const struct comp_result *cr = &crs[bad_comp];
    if (cr->bad_count >= 2) {
        find_pair(cx, lv, gmask, &cr->shapes[cr->bad_shape].shape,
                  cr->bad_rel, out);
    }
}

int kpl_coverage_check(const struct kpl_scheme *scheme, int layer,
                       enum kpl_level level,
                       struct kpl_coverage_report *out)
{
    struct context cx;
    struct comp_result crs[GROUP_COUNT];
    int rc = 0;

    memset(out, 0, sizeof *out);
    memset(crs, 0, sizeof crs);
    init_context(&cx, scheme, layer);

    /* Loops that shift nothing replicate every point. */
    int64_t replicate = 1;
    const struct level *lv = &cx.lv[level];
    for (int i = 0; i < lv->nloop; i++) {
        if (lv->groups[i] == 0) {
            replicate = kpl_mul_sat(replicate, lv->count[i]);
        }
    }

    int bad_comp = -1;
    bool too_large = false;
    for (int c = 0; c < cx.ncomp; c++) {
        if (check_component(&cx, level, cx.comp_groups[c], &crs[c]) < 0) {
            rc = -1;
            goto out;
        }
        if (level == KPL_LEVEL_REGF && !crs[c].too_large &&
            crs[c].nshape == 0) {
            /* The GBUF level computes nothing: REGF holds vacuously. */
            out->status = KPL_COVERAGE_OK;
            goto out;
        }
        if (crs[c].bad && bad_comp < 0) {
            bad_comp = c;
        }
        if (crs[c].too_large && !too_large) {
            too_large = true;
            out->points = crs[c].cells;
        }
    }

    if (bad_comp >= 0 || (!too_large && replicate != 1)) {
        assemble(&cx, level, crs, bad_comp, replicate, out);
    } else if (too_large) {
        out->status = KPL_COVERAGE_TOO_LARGE;
    } else {
        out->status = KPL_COVERAGE_OK;
    }

out:
    for (int c = 0; c < GROUP_COUNT; c++) {
        free(crs[c].shapes);
    }
    return rc;
}
