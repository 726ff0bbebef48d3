/*
 * The brute-force referee (see enumerate.h).  Deliberately naive: every
 * placement is decoded from its number, every point is tested against
 * every tensor range, nothing is factorised or cached, so that it shares
 * no reasoning with the checker it referees.
 */
#include "checker/enumerate.h"

#include <string.h>

#define MAXL (2 * KPL_MAX_LOOPS)

struct walker {
    const struct kpl_layer *layer;
    int64_t extent[KPL_DIM_COUNT];
    int64_t regf_parent[KPL_DIM_COUNT];
    const struct kpl_level_map *lm[KPL_LEVEL_COUNT];
    int nloop[KPL_LEVEL_COUNT];
    const struct kpl_loop *loop[KPL_LEVEL_COUNT][MAXL];
    int64_t count[KPL_LEVEL_COUNT][MAXL];
    int64_t placements[KPL_LEVEL_COUNT];
    int64_t work;
};

static int64_t lo_of(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t hi_of(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static void init_walker(struct walker *w, const struct kpl_scheme *scheme,
                        int layer)
{
    memset(w, 0, sizeof *w);
    w->layer = &scheme->net->layers[layer];
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        w->extent[d] = kpl_layer_extent(w->layer, scheme->batch, d);
        w->regf_parent[d] = kpl_parent_extent(scheme, layer, KPL_LEVEL_REGF,
                                              d);
    }
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        const struct kpl_level_map *lm = &scheme->maps[layer].level[lv];
        w->lm[lv] = lm;
        w->placements[lv] = 1;
        for (int i = 0; i < lm->nstack; i++) {
            w->loop[lv][w->nloop[lv]] = &lm->stacks[i];
            w->count[lv][w->nloop[lv]++] = lm->stacks[i].count;
        }
        for (int i = 0; i < lm->nupdate; i++) {
            const struct kpl_loop *u = &lm->updates[i];
            int64_t trips = u->count > 0
                                ? u->count
                                : kpl_update_trips(scheme, layer,
                                                   (enum kpl_level)lv, u);
            w->loop[lv][w->nloop[lv]] = u;
            w->count[lv][w->nloop[lv]++] = trips;
        }
        for (int i = 0; i < w->nloop[lv]; i++) {
            w->placements[lv] = kpl_mul_sat(w->placements[lv],
                                            w->count[lv][i]);
        }
    }
}

/* Offsets of placement number `number` of a level (loop 0 fastest). */
static void offset_of(const struct walker *w, int lv, int64_t number,
                      int64_t off[KPL_DIM_COUNT])
{
    memset(off, 0, sizeof(int64_t) * KPL_DIM_COUNT);
    for (int i = 0; i < w->nloop[lv]; i++) {
        int64_t index = number % w->count[lv][i];
        number /= w->count[lv][i];
        const struct kpl_loop *loop = w->loop[lv][i];
        for (int j = 0; j < loop->nshift; j++) {
            off[loop->shifts[j].dim] += index * loop->shifts[j].step;
        }
    }
}

/* The index of point x along any of the nine dims. */
static int64_t index_of(const struct walker *w, const int64_t x[], int d)
{
    if (d == KPL_DIM_XI) {
        return x[KPL_DIM_XO] * w->layer->stride_x + x[KPL_DIM_R];
    }
    if (d == KPL_DIM_YI) {
        return x[KPL_DIM_YO] * w->layer->stride_y + x[KPL_DIM_S];
    }
    return x[d];
}

static bool has(const struct walker *w, int t, int d)
{
    return (w->layer->tensor_dims[t] & KPL_DIM_BIT(d)) != 0;
}

static bool gbuf_computes(struct walker *w, const int64_t goff[],
                          const int64_t x[])
{
    const struct kpl_level_map *lm = w->lm[KPL_LEVEL_GBUF];
    w->work++;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (!has(w, t, d)) {
                continue;
            }
            int64_t v = index_of(w, x, d);
            int64_t lo = lo_of(goff[d], 0);
            int64_t hi = hi_of(goff[d] + lm->tile[t][d], w->extent[d]);
            if (v < lo || v >= hi) {
                return false;
            }
        }
    }
    return true;
}

/* Whether p computes x relative to g (g computing x is tested apart). */
static bool regf_computes(struct walker *w, const int64_t goff[],
                          const int64_t poff[], const int64_t x[])
{
    const struct kpl_level_map *lm = w->lm[KPL_LEVEL_REGF];
    w->work++;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (!has(w, t, d)) {
                continue;
            }
            int64_t v = index_of(w, x, d) - goff[d];
            int64_t lo = lo_of(poff[d], 0);
            int64_t hi = hi_of(poff[d] + lm->tile[t][d], w->regf_parent[d]);
            if (v < lo || v >= hi) {
                return false;
            }
        }
    }
    return true;
}

static int64_t clipped_words(const struct walker *w, int t,
                             const int64_t lo[], const int64_t hi[],
                             int64_t share)
{
    int64_t size = 1;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (has(w, t, d)) {
            size *= hi[d] > lo[d] ? hi[d] - lo[d] : 0;
        }
    }
    share = share > 0 ? share : 1;
    return (size + share - 1) / share;
}

/* Words held by GBUF placement goff, or REGF placement poff inside it. */
static int64_t words_held(const struct walker *w, const int64_t goff[],
                          const int64_t *poff)
{
    int64_t words = 0;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (w->layer->tensor_dims[t] == 0) {
            continue;
        }
        int64_t lo[KPL_DIM_COUNT];
        int64_t hi[KPL_DIM_COUNT];
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            lo[d] = lo_of(goff[d], 0);
            hi[d] = hi_of(goff[d] + w->lm[KPL_LEVEL_GBUF]->tile[t][d],
                          w->extent[d]);
            if (poff != NULL) {
                int64_t start = goff[d] + poff[d];
                lo[d] = lo_of(lo[d], lo_of(start, goff[d]));
                hi[d] = hi_of(hi[d], hi_of(start + w->lm[0]->tile[t][d],
                                           goff[d] + w->regf_parent[d]));
            }
        }
        int lv = poff != NULL ? KPL_LEVEL_REGF : KPL_LEVEL_GBUF;
        words += clipped_words(w, t, lo, hi, w->lm[lv]->share[t]);
    }
    return words;
}

/* Advances x over the layer's points in order N, C, K, Xo, Yo, R, S. */
static bool next_point(const struct walker *w, int64_t x[])
{
    for (int d = KPL_LOOP_DIMS - 1; d >= 0; d--) {
        if (++x[d] < w->extent[d]) {
            return true;
        }
        x[d] = 0;
    }
    return false;
}

static void note_bad(struct kpl_enum_level *el, const int64_t x[],
                     int64_t count, int64_t g)
{
    if (!el->covered) {
        return;
    }
    el->covered = false;
    memcpy(el->bad_point, x, sizeof el->bad_point);
    el->bad_count = count;
    el->bad_gbuf = g;
}

static void walk_gbuf(struct walker *w, struct kpl_enum_result *out)
{
    struct kpl_enum_level *el = &out->level[KPL_LEVEL_GBUF];
    int64_t goff[KPL_DIM_COUNT];
    int64_t x[KPL_LOOP_DIMS] = {0};

    for (int64_t g = 0; g < w->placements[KPL_LEVEL_GBUF]; g++) {
        offset_of(w, KPL_LEVEL_GBUF, g, goff);
        int64_t words = words_held(w, goff, NULL);
        el->max_words = lo_of(el->max_words, words);
    }
    do {
        int64_t count = 0;
        for (int64_t g = 0; g < w->placements[KPL_LEVEL_GBUF]; g++) {
            offset_of(w, KPL_LEVEL_GBUF, g, goff);
            count += gbuf_computes(w, goff, x);
        }
        if (count != 1) {
            note_bad(el, x, count, -1);
        }
    } while (next_point(w, x));
}

static void walk_regf(struct walker *w, struct kpl_enum_result *out)
{
    struct kpl_enum_level *el = &out->level[KPL_LEVEL_REGF];
    int64_t goff[KPL_DIM_COUNT];
    int64_t poff[KPL_DIM_COUNT];

    for (int64_t g = 0; g < w->placements[KPL_LEVEL_GBUF]; g++) {
        offset_of(w, KPL_LEVEL_GBUF, g, goff);
        for (int64_t p = 0; p < w->placements[KPL_LEVEL_REGF]; p++) {
            offset_of(w, KPL_LEVEL_REGF, p, poff);
            el->max_words = lo_of(el->max_words, words_held(w, goff, poff));
        }

        int64_t x[KPL_LOOP_DIMS] = {0};
        do {
            if (!gbuf_computes(w, goff, x)) {
                continue;
            }
            int64_t count = 0;
            for (int64_t p = 0; p < w->placements[KPL_LEVEL_REGF]; p++) {
                offset_of(w, KPL_LEVEL_REGF, p, poff);
                count += regf_computes(w, goff, poff, x);
            }
            out->macs += count;
            if (count != 1) {
                note_bad(el, x, count, g);
            }
        } while (next_point(w, x) && w->work <= 4 * KPL_ENUM_MAX_WORK);
    }
}

int kpl_enumerate_layer(const struct kpl_scheme *scheme, int layer,
                        struct kpl_enum_result *out)
{
    struct walker w;
    memset(out, 0, sizeof *out);
    init_walker(&w, scheme, layer);

    out->points = 1;
    for (int d = 0; d < KPL_LOOP_DIMS; d++) {
        out->points = kpl_mul_sat(out->points, w.extent[d]);
    }
    int64_t ng = w.placements[KPL_LEVEL_GBUF];
    int64_t np = w.placements[KPL_LEVEL_REGF];
    int64_t work = kpl_add_sat(kpl_mul_sat(out->points, kpl_add_sat(ng, np)),
                               kpl_mul_sat(ng, np));
    if (work > KPL_ENUM_MAX_WORK) {
        return 1;
    }

    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        out->level[lv].placements = w.placements[lv];
        out->level[lv].covered = true;
    }
    walk_gbuf(&w, out);
    walk_regf(&w, out);
    if (w.work > 4 * KPL_ENUM_MAX_WORK) {
        memset(out, 0, sizeof *out);
        return 1;
    }
    return 0;
}

int64_t kpl_enumerate_point(const struct kpl_scheme *scheme, int layer,
                            enum kpl_level level,
                            const int64_t point[KPL_LOOP_DIMS])
{
    struct walker w;
    int64_t goff[KPL_DIM_COUNT];
    int64_t poff[KPL_DIM_COUNT];
    int64_t count = 0;

    init_walker(&w, scheme, layer);
    for (int64_t g = 0; g < w.placements[KPL_LEVEL_GBUF]; g++) {
        offset_of(&w, KPL_LEVEL_GBUF, g, goff);
        if (!gbuf_computes(&w, goff, point)) {
            continue;
        }
        if (level == KPL_LEVEL_GBUF) {
            count++;
            continue;
        }
        for (int64_t p = 0; p < w.placements[KPL_LEVEL_REGF]; p++) {
            offset_of(&w, KPL_LEVEL_REGF, p, poff);
            count += regf_computes(&w, goff, poff, point);
        }
    }
    return count;
}
