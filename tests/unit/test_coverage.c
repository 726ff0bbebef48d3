/*
 * Unit tests of the factorised coverage check (checker/coverage.c): the
 * report's point, count and placements on hand-made mappings, each verdict
 * confirmed by the brute-force enumerator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "checker/coverage.h"
#include "checker/enumerate.h"
#include "ir_fixtures.h"

static int setup(void **state)
{
    *state = kpl_arena_new();
    return 0;
}

static int teardown(void **state)
{
    kpl_arena_free(*state);
    return 0;
}

/* Checks a level and confirms the verdict (and count) by enumeration. */
static void check_level(const struct kpl_scheme *scheme, enum kpl_level lv,
                        struct kpl_coverage_report *rep)
{
    struct kpl_enum_result res;
    assert_int_equal(kpl_coverage_check(scheme, 0, lv, rep), 0);
    if (kpl_enumerate_layer(scheme, 0, &res) != 0) {
        return;
    }
    assert_int_equal(rep->status == KPL_COVERAGE_OK, res.level[lv].covered);
    if (rep->status == KPL_COVERAGE_BAD) {
        assert_int_equal(kpl_enumerate_point(scheme, 0, lv, rep->point),
                         rep->count);
    }
}

static struct kpl_scheme *one_layer(struct kpl_arena *arena,
                                    const struct kpl_layer *proto,
                                    int64_t batch)
{
    return fx_scheme_one(arena, fx_arch_multinode(arena), proto, batch,
                         fx_region(0, 16, 0, 16));
}

static void test_coverage_conv2_a_both_levels(void **state)
{
    struct kpl_scheme *scheme = fx_conv2_a(*state, fx_arch_multinode(*state));
    struct kpl_coverage_report rep;
    assert_int_equal(kpl_coverage_check(scheme, 0, KPL_LEVEL_REGF, &rep), 0);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
    assert_int_equal(kpl_coverage_check(scheme, 0, KPL_LEVEL_GBUF, &rep), 0);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
}

static void test_coverage_conv2_a_merged_groups_still_valid(void **state)
{
    /* A one-copy stack over N and C merges the two groups; nothing moves. */
    struct kpl_scheme *scheme = fx_conv2_a(*state, fx_arch_multinode(*state));
    fx_stack(&scheme->maps[0].level[KPL_LEVEL_REGF], "N+=1 C+=1", 1);
    struct kpl_coverage_report rep;
    assert_int_equal(kpl_coverage_check(scheme, 0, KPL_LEVEL_REGF, &rep), 0);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
    assert_int_equal(kpl_coverage_check(scheme, 0, KPL_LEVEL_GBUF, &rep), 0);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
}

/* A 1x1 conv over 7 output rows: GBUF copies of 4 rows shifted by shift. */
static struct kpl_scheme *rows(struct kpl_arena *arena, int shift,
                               const char *regf_ofm, const char *regf_ifm,
                               const char *regf_step)
{
    struct kpl_layer proto;
    fx_conv(&proto, "rows", 1, 1, 7, 1, 1, 1, 1, 0);
    struct kpl_scheme *scheme = one_layer(arena, &proto, 1);
    const struct kpl_layer *layer = &scheme->net->layers[0];
    char text[64];
    snprintf(text, sizeof text, "Xo+=%d Xi+=%d", shift, shift);
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, layer, KPL_TENSOR_IFM, "Xi=4");
    fx_tensor(gbuf, layer, KPL_TENSOR_WGT, "");
    fx_tensor(gbuf, layer, KPL_TENSOR_OFM, "Xo=4");
    fx_stack(gbuf, text, 2);
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, layer, KPL_TENSOR_IFM, regf_ifm);
    fx_tensor(regf, layer, KPL_TENSOR_WGT, "");
    fx_tensor(regf, layer, KPL_TENSOR_OFM, regf_ofm);
    fx_update(regf, regf_step);
    fx_finish(scheme);
    return scheme;
}

static void test_coverage_overlap_reports_both_copies(void **state)
{
    struct kpl_scheme *scheme = rows(*state, 3, "Xo=1", "Xi=1",
                                     "Xo+=1 Xi+=1");
    struct kpl_coverage_report rep;
    check_level(scheme, KPL_LEVEL_GBUF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_BAD);
    assert_int_equal(rep.point[KPL_DIM_XO], 3);
    assert_int_equal(rep.count, 2);
    assert_true(rep.have_pair);
    assert_true(rep.involved[0]);
    assert_int_equal(rep.first[0], 0);
    assert_int_equal(rep.second[0], 1);
}

static void test_coverage_regf_edge_tiles_clip(void **state)
{
    /* GBUF tiles of 4 and (clipped) 3 rows, each walked by 3-row REGF
     * tiles in 2 trips: rows 0-2 and 3 (clipped), or 0-2 and none. */
    struct kpl_scheme *scheme = rows(*state, 4, "Xo=3", "Xi=3",
                                     "Xo+=3 Xi+=3");
    assert_int_equal(scheme->maps[0].level[0].updates[0].count, 2);
    struct kpl_coverage_report rep;
    check_level(scheme, KPL_LEVEL_REGF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
    check_level(scheme, KPL_LEVEL_GBUF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
}

static void test_coverage_regf_step_larger_than_tile(void **state)
{
    /* 1-row REGF tiles stepping 2 rows skip every odd row. */
    struct kpl_scheme *scheme = rows(*state, 4, "Xo=1", "Xi=1",
                                     "Xo+=2 Xi+=2");
    struct kpl_coverage_report rep;
    check_level(scheme, KPL_LEVEL_REGF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_BAD);
    assert_int_equal(rep.point[KPL_DIM_XO], 1);
    assert_int_equal(rep.count, 0);
    assert_false(rep.have_pair);
}

static void test_coverage_replication_is_flagged(void **state)
{
    struct kpl_scheme *scheme = rows(*state, 4, "Xo=1", "Xi=1",
                                     "Xo+=1 Xi+=1");
    fx_stack(&scheme->maps[0].level[KPL_LEVEL_GBUF], "", 3);
    fx_finish(scheme);
    struct kpl_coverage_report rep;
    check_level(scheme, KPL_LEVEL_GBUF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_BAD);
    assert_true(rep.replicated);
    assert_int_equal(rep.count, 3);
    assert_true(rep.involved[1]);
    assert_false(rep.involved[0]);
}

/*
 * A 3-tap window walked at GBUF by `update (R+=1)` over a whole ifm tile:
 * the GBUF tile of trip t holds tap t, so its REGF parent has
 * delta = t (xi' = xo' + r' + t).  A 1-row REGF ifm tile only fits t = 0.
 */
static struct kpl_scheme *walked_window(struct kpl_arena *arena,
                                        const char *regf_ifm)
{
    struct kpl_layer proto;
    fx_conv(&proto, "taps", 1, 1, 4, 1, 3, 1, 1, 0);
    struct kpl_scheme *scheme = one_layer(arena, &proto, 1);
    const struct kpl_layer *layer = &scheme->net->layers[0];
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, layer, KPL_TENSOR_IFM, "Xi=6");
    fx_tensor(gbuf, layer, KPL_TENSOR_WGT, "R=1");
    fx_tensor(gbuf, layer, KPL_TENSOR_OFM, "Xo=4");
    fx_update(gbuf, "R+=1");
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, layer, KPL_TENSOR_IFM, regf_ifm);
    fx_tensor(regf, layer, KPL_TENSOR_WGT, "R=1");
    fx_tensor(regf, layer, KPL_TENSOR_OFM, "Xo=1");
    fx_stack(regf, "Xo+=1 Xi+=1", 4);
    fx_finish(scheme);
    return scheme;
}

static void test_coverage_delta_of_gbuf_offsets(void **state)
{
    struct kpl_coverage_report rep;
    struct kpl_scheme *narrow = walked_window(*state, "Xi=1");
    assert_int_equal(narrow->maps[0].level[1].updates[0].count, 3);
    check_level(narrow, KPL_LEVEL_GBUF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
    check_level(narrow, KPL_LEVEL_REGF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_BAD);
    assert_int_equal(rep.point[KPL_DIM_XO], 0);
    assert_int_equal(rep.point[KPL_DIM_R], 1);
    assert_int_equal(rep.count, 0);

    /* Three input rows per PE reach every delta up to 2. */
    struct kpl_scheme *wide = walked_window(*state, "Xi=3");
    check_level(wide, KPL_LEVEL_REGF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
}

static void test_coverage_diagonal_update_merges_groups(void **state)
{
    /* update (N+=1, K+=1) walks the diagonal (0,0), (1,1) only. */
    struct kpl_layer proto;
    fx_conv(&proto, "diag", 1, 2, 1, 1, 1, 1, 1, 0);
    struct kpl_scheme *scheme = one_layer(*state, &proto, 2);
    const struct kpl_layer *layer = &scheme->net->layers[0];
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, layer, KPL_TENSOR_IFM, "N=1");
    fx_tensor(gbuf, layer, KPL_TENSOR_WGT, "K=1");
    fx_tensor(gbuf, layer, KPL_TENSOR_OFM, "N=1 K=1");
    fx_update(gbuf, "N+=1 K+=1");
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, layer, KPL_TENSOR_IFM, "");
    fx_tensor(regf, layer, KPL_TENSOR_WGT, "");
    fx_tensor(regf, layer, KPL_TENSOR_OFM, "");
    fx_finish(scheme);

    struct kpl_coverage_report rep;
    check_level(scheme, KPL_LEVEL_GBUF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_BAD);
    assert_int_equal(rep.point[KPL_DIM_N], 0);
    assert_int_equal(rep.point[KPL_DIM_K], 1);
    assert_int_equal(rep.count, 0);
    assert_true(rep.involved[0]);
    check_level(scheme, KPL_LEVEL_REGF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
}

static void test_coverage_interleaved_stack(void **state)
{
    /* 4 copies 2 apart, each stepping 1: offsets 0,2,4,6 then 1,3,5,7. */
    struct kpl_layer proto;
    fx_conv(&proto, "inter", 1, 1, 1, 1, 1, 1, 1, 0);
    struct kpl_scheme *scheme = one_layer(*state, &proto, 8);
    const struct kpl_layer *layer = &scheme->net->layers[0];
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, layer, KPL_TENSOR_IFM, "N=1");
    fx_tensor(gbuf, layer, KPL_TENSOR_WGT, "");
    fx_tensor(gbuf, layer, KPL_TENSOR_OFM, "N=1");
    fx_stack(gbuf, "N+=2", 4);
    fx_update(gbuf, "N+=1");
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, layer, KPL_TENSOR_IFM, "");
    fx_tensor(regf, layer, KPL_TENSOR_WGT, "");
    fx_tensor(regf, layer, KPL_TENSOR_OFM, "");
    fx_finish(scheme);

    /* T = 1 + 3 * 2 = 7 rows spanned, so 1 + ceil((8 - 7) / 1) = 2. */
    assert_int_equal(gbuf->updates[0].count, 2);
    struct kpl_coverage_report rep;
    check_level(scheme, KPL_LEVEL_GBUF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
}

static void test_coverage_strided_overlapping_windows(void **state)
{
    /* Stride 2, 3 taps: GBUF ifm tiles of 2 output rows overlap by one
     * input row; PEs hold one tap each (row stationary). */
    struct kpl_layer proto;
    fx_conv(&proto, "stride", 1, 1, 5, 1, 3, 1, 2, 0);
    struct kpl_scheme *scheme = one_layer(*state, &proto, 1);
    const struct kpl_layer *layer = &scheme->net->layers[0];
    assert_int_equal(layer->xi, 11);
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, layer, KPL_TENSOR_IFM, "Xi=5");
    fx_tensor(gbuf, layer, KPL_TENSOR_WGT, "R=3");
    fx_tensor(gbuf, layer, KPL_TENSOR_OFM, "Xo=2");
    fx_update(gbuf, "Xo+=2 Xi+=4");
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, layer, KPL_TENSOR_IFM, "Xi=1");
    fx_tensor(regf, layer, KPL_TENSOR_WGT, "R=1");
    fx_tensor(regf, layer, KPL_TENSOR_OFM, "Xo=1");
    fx_stack(regf, "R+=1 Xi+=1", 3);
    fx_update(regf, "Xo+=1 Xi+=2");
    fx_finish(scheme);
    assert_int_equal(gbuf->updates[0].count, 3);
    assert_int_equal(regf->updates[0].count, 2);

    struct kpl_coverage_report rep;
    check_level(scheme, KPL_LEVEL_GBUF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
    check_level(scheme, KPL_LEVEL_REGF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);

    /*
     * Stepping the input by 3 rows instead of 4 misaligns trip 1: it holds
     * input rows 3-7 for output rows 2-3, and xo=3, r=2 needs row 8.
     */
    gbuf->updates[0].shifts[1].step = 3;
    check_level(scheme, KPL_LEVEL_GBUF, &rep);
    assert_int_equal(rep.status, KPL_COVERAGE_BAD);
    assert_int_equal(rep.point[KPL_DIM_XO], 3);
    assert_int_equal(rep.point[KPL_DIM_R], 2);
    assert_int_equal(rep.count, 0);
}

static void test_coverage_too_large_is_not_decided(void **state)
{
    struct kpl_scheme *scheme = fx_conv2_a(*state, fx_arch_multinode(*state));
    fx_stack(&scheme->maps[0].level[KPL_LEVEL_GBUF], "N+=1 C+=1 K+=1 Xo+=1",
             1);
    struct kpl_coverage_report rep;
    assert_int_equal(kpl_coverage_check(scheme, 0, KPL_LEVEL_GBUF, &rep), 0);
    assert_int_equal(rep.status, KPL_COVERAGE_TOO_LARGE);
    assert_int_equal(rep.points, (int64_t)64 * 48 * 128 * 27 * 5);
    /* The REGF parent (one GBUF tile) is small enough. */
    assert_int_equal(kpl_coverage_check(scheme, 0, KPL_LEVEL_REGF, &rep), 0);
    assert_int_equal(rep.status, KPL_COVERAGE_OK);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_coverage_conv2_a_both_levels),
        T(test_coverage_conv2_a_merged_groups_still_valid),
        T(test_coverage_overlap_reports_both_copies),
        T(test_coverage_regf_edge_tiles_clip),
        T(test_coverage_regf_step_larger_than_tile),
        T(test_coverage_replication_is_flagged),
        T(test_coverage_delta_of_gbuf_offsets),
        T(test_coverage_diagonal_update_merges_groups),
        T(test_coverage_interleaved_stack),
        T(test_coverage_strided_overlapping_windows),
        T(test_coverage_too_large_is_not_decided),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
