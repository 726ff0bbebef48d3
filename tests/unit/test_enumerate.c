/*
 * The brute-force enumerator as referee: its own small known cases, then
 * a seeded random set of small layers and mappings, valid and broken
 * (off-by-one extents, missing edge tiles, overlapping stacks, steps
 * larger than tiles, loops that merge dimension groups, replication, tiles
 * a word too large), on which the checker's verdicts must equal the
 * enumerator's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "checker/check.h"
#include "checker/coverage.h"
#include "checker/enumerate.h"
#include "ir_fixtures.h"

/* ---- known cases ---- */

/* A 1x1 conv with 7 output rows split as 2 stacked tiles of 4 rows. */
static struct kpl_scheme *seven_rows(struct kpl_arena *arena, int64_t copies,
                                     int64_t shift)
{
    struct kpl_layer proto;
    fx_conv(&proto, "rows", 1, 1, 7, 1, 1, 1, 1, 0);
    struct kpl_scheme *scheme = fx_scheme_one(
        arena, fx_arch_multinode(arena), &proto, 1, fx_region(0, 16, 0, 16));
    const struct kpl_layer *layer = &scheme->net->layers[0];
    char shifts[64];
    snprintf(shifts, sizeof shifts, "Xo+=%lld Xi+=%lld", (long long)shift,
             (long long)shift);

    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, layer, KPL_TENSOR_IFM, "Xi=4");
    fx_tensor(gbuf, layer, KPL_TENSOR_WGT, "");
    fx_tensor(gbuf, layer, KPL_TENSOR_OFM, "Xo=4");
    fx_stack(gbuf, shifts, copies);

    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, layer, KPL_TENSOR_IFM, "Xi=1");
    fx_tensor(regf, layer, KPL_TENSOR_WGT, "");
    fx_tensor(regf, layer, KPL_TENSOR_OFM, "Xo=1");
    fx_update(regf, "Xo+=1 Xi+=1");
    fx_finish(scheme);
    return scheme;
}

static void test_enumerate_seven_rows_clipped(void **state)
{
    (void)state;
    struct kpl_arena *arena = kpl_arena_new();
    struct kpl_enum_result res;
    assert_int_equal(kpl_enumerate_layer(seven_rows(arena, 2, 4), 0, &res), 0);

    /* 2 nodes x 4 trips; every one of the 7 MACs once. */
    assert_int_equal(res.points, 7);
    assert_int_equal(res.macs, 7);
    assert_true(res.level[KPL_LEVEL_GBUF].covered);
    assert_true(res.level[KPL_LEVEL_REGF].covered);
    assert_int_equal(res.level[KPL_LEVEL_GBUF].placements, 2);
    assert_int_equal(res.level[KPL_LEVEL_REGF].placements, 4);
    /* ifm 4 + wgt 1 + ofm 4 at GBUF; 1 + 1 + 1 at REGF. */
    assert_int_equal(res.level[KPL_LEVEL_GBUF].max_words, 9);
    assert_int_equal(res.level[KPL_LEVEL_REGF].max_words, 3);
    kpl_arena_free(arena);
}

static void test_enumerate_finds_overlap_and_gap(void **state)
{
    (void)state;
    struct kpl_arena *arena = kpl_arena_new();
    struct kpl_enum_result res;

    /* Shift 3: rows 3 computed by copies 0 and 1. */
    assert_int_equal(kpl_enumerate_layer(seven_rows(arena, 2, 3), 0, &res), 0);
    assert_false(res.level[KPL_LEVEL_GBUF].covered);
    assert_int_equal(res.level[KPL_LEVEL_GBUF].bad_point[KPL_DIM_XO], 3);
    assert_int_equal(res.level[KPL_LEVEL_GBUF].bad_count, 2);

    /* Shift 5: row 4 computed by nobody. */
    assert_int_equal(kpl_enumerate_layer(seven_rows(arena, 2, 5), 0, &res), 0);
    assert_false(res.level[KPL_LEVEL_GBUF].covered);
    assert_int_equal(res.level[KPL_LEVEL_GBUF].bad_point[KPL_DIM_XO], 4);
    assert_int_equal(res.level[KPL_LEVEL_GBUF].bad_count, 0);
    kpl_arena_free(arena);
}

static void test_enumerate_refuses_large_layers(void **state)
{
    (void)state;
    struct kpl_arena *arena = kpl_arena_new();
    struct kpl_enum_result res;
    struct kpl_scheme *scheme = fx_conv2_a(arena, fx_arch_multinode(arena));
    assert_int_equal(kpl_enumerate_layer(scheme, 0, &res), 1);
    assert_int_equal(res.macs, 0);
    kpl_arena_free(arena);
}

/* ---- random cases ---- */

struct rng {
    uint64_t state;
};

static int64_t rnd(struct rng *r, int64_t lo, int64_t hi)
{
    r->state ^= r->state << 13;
    r->state ^= r->state >> 7;
    r->state ^= r->state << 17;
    return lo + (int64_t)(r->state % (uint64_t)(hi - lo + 1));
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int64_t random_divisor(struct rng *r, int64_t e)
{
    int64_t divs[64];
    int n = 0;
    for (int64_t d = 1; d <= e && n < 64; d++) {
        if (e % d == 0) {
            divs[n++] = d;
        }
    }
    return divs[rnd(r, 0, n - 1)];
}

/* The shift text of one step along a line: "N+=2" or "Xo+=2 Xi+=4". */
static void line_shift(char *out, size_t size, int dim, int64_t step,
                       int64_t stride)
{
    if (dim == KPL_DIM_XO || dim == KPL_DIM_YO) {
        snprintf(out, size, "%s+=%lld %s+=%lld", kpl_dim_names[dim],
                 (long long)step,
                 kpl_dim_names[dim == KPL_DIM_XO ? KPL_DIM_XI : KPL_DIM_YI],
                 (long long)(step * stride));
    } else if (dim == KPL_DIM_R || dim == KPL_DIM_S) {
        snprintf(out, size, "%s+=%lld %s+=%lld", kpl_dim_names[dim],
                 (long long)step,
                 kpl_dim_names[dim == KPL_DIM_R ? KPL_DIM_XI : KPL_DIM_YI],
                 (long long)step);
    } else {
        snprintf(out, size, "%s+=%lld", kpl_dim_names[dim], (long long)step);
    }
}

/* Loops that walk extent e along dim; returns the tile extent. */
static int64_t gen_line(struct rng *r, struct kpl_level_map *lm, int dim,
                        int64_t e, int64_t stride)
{
    char text[64];
    int64_t t = rnd(r, 1, e);
    switch (rnd(r, 0, 4)) {
    case 0:
        return e;
    case 1:
        line_shift(text, sizeof text, dim, t, stride);
        fx_update(lm, text);
        return t;
    case 2:
        line_shift(text, sizeof text, dim, t, stride);
        fx_stack(lm, text, ceil_div(e, t));
        return t;
    case 3: {
        int64_t m = rnd(r, 1, 3);
        line_shift(text, sizeof text, dim, t, stride);
        fx_stack(lm, text, m);
        line_shift(text, sizeof text, dim, t * m, stride);
        fx_update(lm, text);
        return t;
    }
    default: {
        int64_t m = random_divisor(r, e);
        int64_t q = e / m;
        t = random_divisor(r, q);
        line_shift(text, sizeof text, dim, q, stride);
        fx_stack(lm, text, m);
        line_shift(text, sizeof text, dim, t, stride);
        fx_update(lm, text);
        return t;
    }
    }
}

/* The window along one axis: whole, or one row stacked or updated. */
static int64_t gen_window(struct rng *r, struct kpl_level_map *lm, int dim,
                          int64_t e, bool has_wgt)
{
    char text[64];
    if (!has_wgt) {
        return e;
    }
    switch (rnd(r, 0, 3)) {
    case 0:
        return e;
    case 1:
        line_shift(text, sizeof text, dim, 1, 1);
        fx_stack(lm, text, e);
        return 1;
    case 2:
        line_shift(text, sizeof text, dim, 1, 1);
        fx_update(lm, text);
        return 1;
    default: {
        int64_t t = rnd(r, 1, e);
        line_shift(text, sizeof text, dim, t, 1);
        fx_update(lm, text);
        return t;
    }
    }
}

static struct kpl_loop *random_loop(struct rng *r, struct kpl_level_map *lm)
{
    int n = lm->nstack + lm->nupdate;
    if (n == 0) {
        return NULL;
    }
    int i = (int)rnd(r, 0, n - 1);
    return i < lm->nstack ? &lm->stacks[i] : &lm->updates[i - lm->nstack];
}

/* Breaks a level in one of several ways (or leaves it alone). */
static void perturb(struct rng *r, struct kpl_level_map *lm,
                    const struct kpl_layer *layer)
{
    struct kpl_loop *loop = random_loop(r, lm);
    switch (rnd(r, 0, 9)) {
    case 0: { /* off-by-one extent */
        int t = (int)rnd(r, 0, KPL_TENSOR_COUNT - 1);
        int d = (int)rnd(r, 0, KPL_DIM_COUNT - 1);
        if (layer->tensor_dims[t] & KPL_DIM_BIT(d)) {
            int64_t v = lm->tile[t][d] + (rnd(r, 0, 1) ? 1 : -1);
            lm->tile[t][d] = v < 1 ? 1 : v;
        }
        break;
    }
    case 1: /* missing edge tile */
        if (lm->nstack > 0 && lm->stacks[0].count > 1) {
            lm->stacks[0].count--;
        }
        break;
    case 2: /* overlap, gap, or step larger than the tile */
        if (loop != NULL && loop->nshift > 0) {
            int i = (int)rnd(r, 0, loop->nshift - 1);
            loop->shifts[i].step += rnd(r, 0, 1) ? 1 : -1;
        }
        break;
    case 3: /* a loop that merges two groups */
        if (loop != NULL && loop->nshift < KPL_DIM_COUNT) {
            loop->shifts[loop->nshift].dim = (enum kpl_dim)rnd(r, 0, 8);
            loop->shifts[loop->nshift].step = rnd(r, 1, 2);
            loop->nshift++;
        }
        break;
    case 4: /* replication */
        fx_stack(lm, "", rnd(r, 1, 2));
        break;
    case 5: /* a stack walking backwards, partly off the parent */
        if (lm->nstack > 0 && lm->stacks[0].nshift > 0) {
            lm->stacks[0].shifts[0].step = -lm->stacks[0].shifts[0].step;
        }
        break;
    default:
        break;
    }
}

/* Fills one level of a random mapping over the given parent extents. */
static void gen_level(struct rng *r, struct kpl_level_map *lm,
                      const struct kpl_layer *layer,
                      const int64_t parent[KPL_DIM_COUNT], bool broken)
{
    int64_t tile[KPL_DIM_COUNT] = {0};
    bool has_wgt = layer->tensor_dims[KPL_TENSOR_WGT] != 0;
    tile[KPL_DIM_N] = gen_line(r, lm, KPL_DIM_N, parent[KPL_DIM_N], 1);
    tile[KPL_DIM_C] = gen_line(r, lm, KPL_DIM_C, parent[KPL_DIM_C], 1);
    tile[KPL_DIM_K] = gen_line(r, lm, KPL_DIM_K, parent[KPL_DIM_K], 1);
    tile[KPL_DIM_XO] = gen_line(r, lm, KPL_DIM_XO, parent[KPL_DIM_XO],
                                layer->stride_x);
    tile[KPL_DIM_YO] = gen_line(r, lm, KPL_DIM_YO, parent[KPL_DIM_YO],
                                layer->stride_y);
    tile[KPL_DIM_R] = gen_window(r, lm, KPL_DIM_R, parent[KPL_DIM_R],
                                 has_wgt);
    tile[KPL_DIM_S] = gen_window(r, lm, KPL_DIM_S, parent[KPL_DIM_S],
                                 has_wgt);
    tile[KPL_DIM_XI] = (tile[KPL_DIM_XO] - 1) * layer->stride_x +
                       tile[KPL_DIM_R];
    tile[KPL_DIM_YI] = (tile[KPL_DIM_YO] - 1) * layer->stride_y +
                       tile[KPL_DIM_S];

    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            bool has = (layer->tensor_dims[t] & KPL_DIM_BIT(d)) != 0;
            lm->tile[t][d] = has ? tile[d] : 0;
        }
        lm->tile_given[t] = true;
        lm->share[t] = 1;
    }
    if (rnd(r, 0, 3) == 0) {
        lm->share[rnd(r, 0, KPL_TENSOR_COUNT - 1)] = rnd(r, 2, 3);
    }
    if (broken) {
        perturb(r, lm, layer);
    }
}

static void gen_layer(struct rng *r, struct kpl_layer *layer)
{
    static const enum kpl_layer_kind kinds[] = {
        KPL_LAYER_CONV, KPL_LAYER_CONV, KPL_LAYER_CONV,
        KPL_LAYER_POOL, KPL_LAYER_DWCONV,
    };
    enum kpl_layer_kind kind = kinds[rnd(r, 0, 4)];
    int64_t c = kind == KPL_LAYER_CONV ? rnd(r, 1, 3) : 1;
    fx_layer(layer, "random", kind, c, rnd(r, 1, 4), rnd(r, 1, 5),
             rnd(r, 1, 4), rnd(r, 1, 3), rnd(r, 1, 3), rnd(r, 1, 2), 0);
}

/* Whether every REGF tile fits its GBUF tile and every GBUF the layer. */
static bool contained(const struct kpl_scheme *scheme)
{
    const struct kpl_layer *layer = &scheme->net->layers[0];
    const struct kpl_layer_map *map = &scheme->maps[0];
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (!(layer->tensor_dims[t] & KPL_DIM_BIT(d))) {
                continue;
            }
            int64_t whole = kpl_layer_extent(layer, scheme->batch, d);
            if (map->level[1].tile[t][d] > whole ||
                map->level[0].tile[t][d] > map->level[1].tile[t][d]) {
                return false;
            }
        }
    }
    return true;
}

/* Whether kpl_check_layer reported rule at level ("regf of ..."). */
static bool reported(const struct kpl_diags *diags, const char *rule,
                     const char *prefix)
{
    for (const struct kpl_diag *d = diags->head; d != NULL; d = d->next) {
        if (strcmp(d->rule, rule) == 0 &&
            strncmp(d->message, prefix, strlen(prefix)) == 0 &&
            d->severity == KPL_SEV_ERROR) {
            return true;
        }
    }
    return false;
}

struct tally {
    int cases, valid, gbuf_bad, regf_bad, capacity_errors;
};

/* One random case: checker and enumerator must agree. */
static void run_case(struct rng *r, struct tally *tally)
{
    struct kpl_arena *arena = kpl_arena_new();
    struct kpl_layer proto;
    gen_layer(r, &proto);
    struct kpl_arch *arch = fx_arch(arena, 4, 4, 4, 4, 1 << 20, 1 << 20);
    struct kpl_scheme *scheme =
        fx_scheme_one(arena, arch, &proto, rnd(r, 1, 3), fx_region(0, 4, 0, 4));
    const struct kpl_layer *layer = &scheme->net->layers[0];
    bool broken = rnd(r, 0, 9) < 6;

    int64_t parent[KPL_DIM_COUNT];
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        parent[d] = kpl_layer_extent(layer, scheme->batch, d);
    }
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    gen_level(r, gbuf, layer, parent, broken && rnd(r, 0, 1));
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        parent[d] = kpl_parent_extent(scheme, 0, KPL_LEVEL_REGF, d);
    }
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    gen_level(r, regf, layer, parent, broken && rnd(r, 0, 1));
    fx_finish(scheme);

    struct kpl_enum_result res;
    if (kpl_enumerate_layer(scheme, 0, &res) != 0) {
        kpl_arena_free(arena);
        return;
    }

    /* Capacities a word below, at, or a word above what is held. */
    bool inside = contained(scheme);
    int64_t regf_words = res.level[KPL_LEVEL_REGF].max_words;
    int64_t gbuf_words = res.level[KPL_LEVEL_GBUF].max_words;
    arch->regf_bytes = 2 * (regf_words + rnd(r, -1, 1));
    arch->gbuf_bytes = 2 * (gbuf_words + rnd(r, -1, 1));
    if (inside) {
        assert_int_equal(regf_words, kpl_level_words(layer, regf));
        assert_int_equal(gbuf_words, kpl_level_words(layer, gbuf));
    } else {
        assert_true(regf_words <= kpl_level_words(layer, regf));
        assert_true(gbuf_words <= kpl_level_words(layer, gbuf));
    }

    struct kpl_diags diags;
    kpl_diags_init(&diags, arena);
    diags.max_count = 0;
    kpl_check_layer(scheme, 0, NULL, &diags);
    if (inside) {
        assert_int_equal(reported(&diags, "capacity", "regf of"),
                         regf_words > arch->regf_bytes / 2);
        assert_int_equal(reported(&diags, "capacity", "gbuf of"),
                         gbuf_words > arch->gbuf_bytes / 2);
    }
    tally->capacity_errors += reported(&diags, "capacity", "");

    /* Coverage, level by level, and the count at the reported point. */
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        struct kpl_coverage_report rep;
        assert_int_equal(kpl_coverage_check(scheme, 0, lv, &rep), 0);
        assert_int_not_equal(rep.status, KPL_COVERAGE_TOO_LARGE);
        bool ok = rep.status == KPL_COVERAGE_OK;
        if (ok != res.level[lv].covered) {
            print_message("case %d: level %d checker %d enumerator %d\n",
                          tally->cases, lv, ok, res.level[lv].covered);
        }
        assert_int_equal(ok, res.level[lv].covered);
        /* Copies that do not fit leave coverage unchecked (check.c). */
        bool skipped = reported(&diags, "fan-out", "gbuf of") ||
                       (lv == KPL_LEVEL_REGF &&
                        reported(&diags, "fan-out", "regf of"));
        assert_int_equal(reported(&diags, "coverage", kpl_level_names[lv]),
                         !ok && !skipped);
        if (!ok && (lv == KPL_LEVEL_GBUF ||
                    res.level[KPL_LEVEL_GBUF].covered)) {
            assert_int_equal(kpl_enumerate_point(scheme, 0, lv, rep.point),
                             rep.count);
            assert_int_not_equal(rep.count, 1);
        }
    }
    if (res.level[0].covered && res.level[1].covered) {
        assert_int_equal(res.macs, res.points);
        tally->valid++;
    }
    tally->gbuf_bad += !res.level[KPL_LEVEL_GBUF].covered;
    tally->regf_bad += !res.level[KPL_LEVEL_REGF].covered;
    tally->cases++;
    kpl_arena_free(arena);
}

static void test_enumerate_agrees_with_checker(void **state)
{
    (void)state;
    /* KPL_ENUM_CASES and KPL_ENUM_SEED widen the run by hand. */
    const char *cases_env = getenv("KPL_ENUM_CASES");
    const char *seed_env = getenv("KPL_ENUM_SEED");
    int cases = cases_env != NULL ? atoi(cases_env) : 600;
    struct rng r = {0x9e3779b97f4a7c15ull};
    if (seed_env != NULL) {
        r.state ^= strtoull(seed_env, NULL, 10) * 0x100000001b3ull;
    }
    struct tally tally = {0};
    for (int i = 0; i < cases; i++) {
        run_case(&r, &tally);
    }
    print_message("%d cases: %d valid, %d gbuf and %d regf coverage "
                  "failures, %d with capacity errors\n",
                  tally.cases, tally.valid, tally.gbuf_bad, tally.regf_bad,
                  tally.capacity_errors);
    /* The set must exercise both verdicts at both levels. */
    assert_true(tally.cases >= cases * 5 / 6);
    assert_true(tally.valid >= 100);
    assert_true(tally.gbuf_bad >= 50);
    assert_true(tally.regf_bad >= 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enumerate_seven_rows_clipped),
        cmocka_unit_test(test_enumerate_finds_overlap_and_gap),
        cmocka_unit_test(test_enumerate_refuses_large_layers),
        cmocka_unit_test(test_enumerate_agrees_with_checker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
