/*
 * Unit tests of the validity rules (checker/check.c): for each rule a
 * passing and a failing case, with the exact diagnostic text.  Expected
 * numbers are worked out in the comments from the directives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "checker/check.h"
#include "ir_fixtures.h"

struct world {
    struct kpl_arena *arena;
    struct kpl_diags diags;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    w->arena = kpl_arena_new();
    kpl_diags_init(&w->diags, w->arena);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    kpl_arena_free(w->arena);
    free(w);
    return 0;
}

/* Checks the scheme and compares the whole rendered text. */
static void expect_text(struct world *w, const struct kpl_scheme *scheme,
                        const char *expected)
{
    kpl_check_scheme(scheme, &w->diags);
    char *text = fx_render(&w->diags);
    assert_string_equal(text, expected);
    free(text);
}

static struct kpl_arch *arch_with(struct world *w, int64_t pe_rows,
                                  int64_t pe_cols, int64_t gbuf_bytes,
                                  int64_t regf_bytes)
{
    return fx_arch(w->arena, 16, 16, pe_rows, pe_cols, gbuf_bytes,
                   regf_bytes);
}

/* ---- the design brief's example ---- */

static void test_check_conv2_a_passes(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    const struct kpl_layer *layer = &scheme->net->layers[0];

    /* REGF: ifm 5 + wgt 2 * 5 + ofm 2 = 17 of 64 B / 2 B = 32 words. */
    assert_int_equal(kpl_level_words(layer, &scheme->maps[0].level[0]), 17);
    assert_int_equal(kpl_arch_words(scheme->arch, KPL_LEVEL_REGF), 32);
    /* GBUF: ceil(4 * 31 * 13 / 8) + 4 * 16 * 25 + 16 * 27 * 9 = 5690. */
    assert_int_equal(kpl_level_words(layer, &scheme->maps[0].level[1]), 5690);
    assert_int_equal(kpl_arch_words(scheme->arch, KPL_LEVEL_GBUF), 16384);
    /* 27 output rows per PE column, 2 trips over a 9-row GBUF tile. */
    assert_int_equal(scheme->maps[0].level[0].updates[0].count, 27);
    assert_int_equal(scheme->maps[0].level[0].updates[1].count, 2);
    assert_int_equal(scheme->maps[0].level[1].updates[1].count, 12);
    expect_text(w, scheme, "");
    assert_int_equal(w->diags.nerrors, 0);
    assert_int_equal(w->diags.nwarnings, 0);
}

/* ---- capacity ---- */

static void test_check_capacity_gbuf_names_sizes(void **state)
{
    struct world *w = *state;
    /* 8 KiB per node holds 4096 words; the tiles need 5690 = 11380 B. */
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, arch_with(w, 8, 8, 8 * 1024, 64));
    expect_text(w, scheme,
                "kaplac: error: gbuf of layer 'conv2_a' holds 11380 B "
                "(wgt 3200 B + ifm 404 B + ofm 7776 B) but a node has "
                "8192 B [capacity]\n"
                "kaplac: note: wgt tile holds 3200 B\n"
                "kaplac: note: ifm tile holds 404 B (3224 B shared by 8)\n"
                "kaplac: note: ofm tile holds 7776 B\n");
    assert_int_equal(w->diags.nerrors, 1);
}

static void test_check_capacity_regf_one_word_over(void **state)
{
    struct world *w = *state;
    /* 32 B per PE holds 16 words, one fewer than the 17 needed. */
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, arch_with(w, 8, 8, 32 * 1024, 32));
    expect_text(w, scheme,
                "kaplac: error: regf of layer 'conv2_a' holds 34 B "
                "(wgt 20 B + ifm 10 B + ofm 4 B) but a pe has 32 B "
                "[capacity]\n"
                "kaplac: note: wgt tile holds 20 B\n"
                "kaplac: note: ifm tile holds 10 B\n"
                "kaplac: note: ofm tile holds 4 B\n");
}

static void test_check_capacity_points_at_directives(void **state)
{
    struct world *w = *state;
    static const char text[] =
        "layer conv2_a {\n"
        "    gbuf {\n"
        "        tensor ifm (N=1, C=4, Xi=31, Yi=13) shared 8;\n"
        "        tensor wgt (C=4, K=16, R=5, S=5);\n"
        "        tensor ofm (N=1, K=16, Xo=27, Yo=9);\n"
        "    }\n"
        "}\n";
    struct kpl_source *src =
        kpl_source_new(w->arena, "s.kapla", text, sizeof text - 1);
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, arch_with(w, 8, 8, 8 * 1024, 64));
    struct kpl_level_map *gbuf = &scheme->maps[0].level[KPL_LEVEL_GBUF];
    gbuf->span = fx_span(src, "gbuf", 0);
    gbuf->tile_span[KPL_TENSOR_IFM] = fx_span(src, "tensor ifm", 0);
    gbuf->tile_span[KPL_TENSOR_WGT] = fx_span(src, "tensor wgt", 0);
    gbuf->tile_span[KPL_TENSOR_OFM] = fx_span(src, "tensor ofm", 0);
    expect_text(w, scheme,
                "s.kapla:2:5: error: gbuf of layer 'conv2_a' holds 11380 B "
                "(wgt 3200 B + ifm 404 B + ofm 7776 B) but a node has "
                "8192 B [capacity]\n"
                "      gbuf {\n"
                "      ^~~~\n"
                "s.kapla:4:9: note: wgt tile holds 3200 B\n"
                "          tensor wgt (C=4, K=16, R=5, S=5);\n"
                "          ^~~~~~~~~~\n"
                "s.kapla:3:9: note: ifm tile holds 404 B (3224 B shared "
                "by 8)\n"
                "          tensor ifm (N=1, C=4, Xi=31, Yi=13) shared 8;\n"
                "          ^~~~~~~~~~\n"
                "s.kapla:5:9: note: ofm tile holds 7776 B\n"
                "          tensor ofm (N=1, K=16, Xo=27, Yo=9);\n"
                "          ^~~~~~~~~~\n");
}

/* ---- fan-out ---- */

static void test_check_fanout_regf_exceeds_pes(void **state)
{
    struct world *w = *state;
    /* 8 x 5 = 40 PEs asked of a 4 x 8 array. */
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, arch_with(w, 4, 8, 32 * 1024, 64));
    expect_text(w, scheme,
                "kaplac: error: regf of layer 'conv2_a' stacks 40 copies "
                "(8 x 5) but a node has 32 pes (4 x 8) [fan-out]\n"
                "kaplac: note: stack (Yi+=1, Yo+=1) x 8\n"
                "kaplac: note: stack (S+=1, Yi+=1) x 5\n"
                "kaplac: note: regf coverage is not checked until the "
                "copies fit\n");
}

static void test_check_fanout_gbuf_exceeds_region(void **state)
{
    struct world *w = *state;
    /* 8 x 16 = 128 nodes asked of a 16 x 4 region. */
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    scheme->segments[0].regions[0] = fx_region(0, 16, 0, 4);
    expect_text(w, scheme,
                "kaplac: error: gbuf of layer 'conv2_a' stacks 128 copies "
                "(8 x 16) but its region [0:16, 0:4] has 64 nodes "
                "[fan-out]\n"
                "kaplac: note: stack (K+=16) x 8\n"
                "kaplac: note: stack (N+=4) x 16\n"
                "kaplac: note: region given here\n"
                "kaplac: note: gbuf and regf coverage is not checked until "
                "the copies fit\n");
}

static void test_check_fanout_region_outside_mesh(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    scheme->segments[0].regions[0] = fx_region(8, 24, 0, 8);
    expect_text(w, scheme,
                "kaplac: error: region [8:24, 0:8] of layer 'conv2_a' lies "
                "outside the 16 x 16 node mesh [fan-out]\n");
}

static void test_check_fanout_empty_region(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    scheme->segments[0].regions[0] = fx_region(3, 3, 0, 8);
    expect_text(w, scheme,
                "kaplac: error: region [3:3, 0:8] of layer 'conv2_a' holds "
                "no node [fan-out]\n"
                "kaplac: note: gbuf and regf coverage is not checked until "
                "the copies fit\n");
}

/* conv2_a and conv2_b, both mapped as conv2_a, in one segment. */
static struct kpl_scheme *two_branches(struct world *w,
                                       struct kpl_region second, bool spatial)
{
    struct kpl_scheme *one =
        fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    struct kpl_network *net = fx_network(w->arena, "alexnet", 2);
    net->layers[0] = one->net->layers[0];
    net->layers[1] = one->net->layers[0];
    net->layers[1].name = "conv2_b";
    struct kpl_scheme *scheme = fx_scheme(w->arena, net, one->arch, 64);
    scheme->maps[0] = one->maps[0];
    scheme->maps[1] = one->maps[0];
    int layers[2] = {0, 1};
    struct kpl_region regions[2] = {fx_region(0, 16, 0, 8), second};
    fx_segment(w->arena, scheme, 2, layers, regions, spatial);
    return scheme;
}

static void test_check_fanout_spatial_regions_disjoint(void **state)
{
    struct world *w = *state;
    expect_text(w, two_branches(w, fx_region(0, 16, 8, 16), true), "");
}

static void test_check_fanout_spatial_regions_overlap(void **state)
{
    struct world *w = *state;
    expect_text(w, two_branches(w, fx_region(0, 16, 4, 12), true),
                "kaplac: error: regions of layers 'conv2_a' [0:16, 0:8] and "
                "'conv2_b' [0:16, 4:12] overlap in a spatial segment "
                "[fan-out]\n"
                "kaplac: note: 'conv2_a' is here\n");
}

static void test_check_fanout_temporal_regions_may_coincide(void **state)
{
    struct world *w = *state;
    expect_text(w, two_branches(w, fx_region(0, 16, 0, 8), false), "");
}

static void test_check_layer_defaults_to_whole_mesh(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    struct kpl_region quarter = fx_region(0, 8, 0, 8);
    /* 128 copies fit 256 nodes, not 64. */
    assert_int_equal(kpl_check_layer(scheme, 0, NULL, &w->diags), 0);
    assert_int_equal(kpl_check_layer(scheme, 0, &quarter, &w->diags), 1);
    assert_string_equal(w->diags.head->rule, "fan-out");
}

/* ---- containment ---- */

static void test_check_containment_missing_directive(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    scheme->maps[0].level[KPL_LEVEL_REGF].tile_given[KPL_TENSOR_WGT] = false;
    expect_text(w, scheme,
                "kaplac: error: regf of layer 'conv2_a' has no tensor "
                "directive for wgt [containment]\n");
}

static void test_check_containment_zero_extent(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    scheme->maps[0].level[KPL_LEVEL_REGF].tile[KPL_TENSOR_WGT][KPL_DIM_R] = 0;
    expect_text(w, scheme,
                "kaplac: error: regf tile of wgt in layer 'conv2_a' has R=0; "
                "extents must be at least 1 [containment]\n");
}

static void test_check_containment_regf_exceeds_gbuf(void **state)
{
    struct world *w = *state;
    /* A large REGF so that only containment fails; the K range is still
     * the ofm's 2, so coverage holds. */
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, arch_with(w, 8, 8, 32 * 1024, 1024));
    scheme->maps[0].level[KPL_LEVEL_REGF].tile[KPL_TENSOR_WGT][KPL_DIM_K] = 32;
    expect_text(w, scheme,
                "kaplac: error: regf tile of wgt in layer 'conv2_a' has "
                "K=32 but its gbuf tile has K=16 [containment]\n"
                "kaplac: note: gbuf tile of wgt\n");
}

static void test_check_containment_gbuf_exceeds_layer(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, arch_with(w, 8, 8, 1024 * 1024, 64));
    scheme->maps[0].level[KPL_LEVEL_GBUF].tile[KPL_TENSOR_OFM][KPL_DIM_K] =
        256;
    fx_finish(scheme);
    expect_text(w, scheme,
                "kaplac: error: gbuf tile of ofm in layer 'conv2_a' has "
                "K=256 but the layer has K=128 [containment]\n");
}

static void test_check_containment_window(void **state)
{
    struct world *w = *state;
    /* Xi=4 cannot hold the 5 input rows of a 5-row window: containment,
     * and coverage, since r=4 then meets no input row. */
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    scheme->maps[0].level[KPL_LEVEL_REGF].tile[KPL_TENSOR_IFM][KPL_DIM_XI] = 4;
    expect_text(w, scheme,
                "kaplac: error: ifm tile at regf of layer 'conv2_a' has Xi=4 "
                "but its ofm tile needs Xi >= (Xo - 1) * stride + R = "
                "(1 - 1) * 1 + 5 = 5 [containment]\n"
                "kaplac: note: ofm tile at regf\n"
                "kaplac: error: regf of layer 'conv2_a' computes point "
                "(n=0, c=0, k=0, xo=0, yo=0, r=4, s=0) 0 times, expected "
                "once [coverage]\n"
                "kaplac: note: update (Xi+=1, Xo+=1) makes 27 trips\n");
}

/* ---- coverage ---- */

/* A 1x1 conv, 7 output rows, GBUF tile of 4 rows in 2 stacked copies. */
static struct kpl_scheme *seven_rows(struct world *w, int64_t shift)
{
    struct kpl_layer proto;
    fx_conv(&proto, "rows", 1, 1, 7, 1, 1, 1, 1, 0);
    struct kpl_scheme *scheme =
        fx_scheme_one(w->arena, fx_arch_multinode(w->arena), &proto, 1,
                      fx_region(0, 16, 0, 16));
    const struct kpl_layer *layer = &scheme->net->layers[0];
    char shifts[64];
    snprintf(shifts, sizeof shifts, "Xo+=%d Xi+=%d", (int)shift, (int)shift);

    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, layer, KPL_TENSOR_IFM, "Xi=4");
    fx_tensor(gbuf, layer, KPL_TENSOR_WGT, "");
    fx_tensor(gbuf, layer, KPL_TENSOR_OFM, "Xo=4");
    fx_stack(gbuf, shifts, 2);

    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, layer, KPL_TENSOR_IFM, "Xi=1");
    fx_tensor(regf, layer, KPL_TENSOR_WGT, "");
    fx_tensor(regf, layer, KPL_TENSOR_OFM, "Xo=1");
    fx_update(regf, "Xo+=1 Xi+=1");
    fx_finish(scheme);
    return scheme;
}

static void test_check_coverage_seven_rows_clipped(void **state)
{
    struct world *w = *state;
    /* Copies cover rows 0-3 and 4-7, the last clipped to 4-6. */
    struct kpl_scheme *scheme = seven_rows(w, 4);
    assert_int_equal(scheme->maps[0].level[KPL_LEVEL_REGF].updates[0].count,
                     4);
    expect_text(w, scheme, "");
}

static void test_check_coverage_overlapping_stack(void **state)
{
    struct world *w = *state;
    /* Copies cover rows 0-3 and 3-6: row 3 twice. */
    expect_text(w, seven_rows(w, 3),
                "kaplac: error: gbuf of layer 'rows' computes point (xo=3) "
                "2 times, expected once [coverage]\n"
                "kaplac: note: stack (Xo+=3, Xi+=3) x 2: copies 0 and 1 "
                "both reach it\n");
}

static void test_check_coverage_gap_between_copies(void **state)
{
    struct world *w = *state;
    /* Copies cover rows 0-3 and 5-6: row 4 never. */
    expect_text(w, seven_rows(w, 5),
                "kaplac: error: gbuf of layer 'rows' computes point (xo=4) "
                "0 times, expected once [coverage]\n"
                "kaplac: note: stack (Xo+=5, Xi+=5) x 2 makes 2 copies\n");
}

static void test_check_coverage_replicating_stack(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = seven_rows(w, 4);
    fx_stack(&scheme->maps[0].level[KPL_LEVEL_REGF], "", 2);
    expect_text(w, scheme,
                "kaplac: error: regf of layer 'rows' computes point (xo=0) "
                "2 times, expected once [coverage]\n"
                "kaplac: note: stack () x 2 shifts nothing: its 2 copies "
                "compute the same points\n");
}

static void test_check_coverage_pinned_window_fails(void **state)
{
    struct world *w = *state;
    /* A 3x3 conv whose every level holds one filter tap (R=S=1) and no
     * loop moves R or S: taps r=1, 2 and s=1, 2 are never computed. */
    struct kpl_layer proto;
    fx_conv(&proto, "conv3", 1, 1, 4, 4, 3, 3, 1, 1);
    struct kpl_scheme *scheme =
        fx_scheme_one(w->arena, fx_arch_multinode(w->arena), &proto, 1,
                      fx_region(0, 1, 0, 1));
    const struct kpl_layer *layer = &scheme->net->layers[0];
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, layer, KPL_TENSOR_IFM, "Xi=6 Yi=6");
    fx_tensor(gbuf, layer, KPL_TENSOR_WGT, "R=1 S=1");
    fx_tensor(gbuf, layer, KPL_TENSOR_OFM, "Xo=4 Yo=4");
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, layer, KPL_TENSOR_IFM, "Xi=1 Yi=1");
    fx_tensor(regf, layer, KPL_TENSOR_WGT, "R=1 S=1");
    fx_tensor(regf, layer, KPL_TENSOR_OFM, "Xo=1 Yo=1");
    fx_stack(regf, "Xo+=1 Xi+=1", 4);
    fx_stack(regf, "Yo+=1 Yi+=1", 4);
    fx_finish(scheme);
    expect_text(w, scheme,
                "kaplac: error: gbuf of layer 'conv3' computes point "
                "(xo=0, yo=0, r=1, s=0) 0 times, expected once [coverage]\n"
                "kaplac: note: no stack or update of gbuf moves these "
                "dimensions\n");
}

static void test_check_coverage_matrix_on_larger_array(void **state)
{
    struct world *w = *state;
    /* 7x7 by 7x7: an 8 x 8 PE stack, the 8th row and column clipped
     * away (idle PEs), 7 trips over C. */
    struct kpl_layer proto;
    fx_layer(&proto, "mm", KPL_LAYER_FC, 7, 7, 1, 1, 1, 1, 1, 0);
    struct kpl_scheme *scheme =
        fx_scheme_one(w->arena, fx_arch_multinode(w->arena), &proto, 7,
                      fx_region(0, 1, 0, 1));
    const struct kpl_layer *layer = &scheme->net->layers[0];
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, layer, KPL_TENSOR_IFM, "N=7 C=7");
    fx_tensor(gbuf, layer, KPL_TENSOR_WGT, "C=7 K=7");
    fx_tensor(gbuf, layer, KPL_TENSOR_OFM, "N=7 K=7");
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, layer, KPL_TENSOR_IFM, "N=1 C=1");
    fx_tensor(regf, layer, KPL_TENSOR_WGT, "C=1 K=1");
    fx_tensor(regf, layer, KPL_TENSOR_OFM, "N=1 K=1");
    fx_stack(regf, "N+=1", 8);
    fx_stack(regf, "K+=1", 8);
    fx_update(regf, "C+=1");
    fx_finish(scheme);
    assert_int_equal(regf->updates[0].count, 7);
    expect_text(w, scheme, "");
}

static void test_check_coverage_too_large_warns(void **state)
{
    struct world *w = *state;
    /* A one-copy stack shifting N, C, K and Xo merges their groups; the
     * GBUF level's merged space is 64 * 48 * 128 * 27 * 5 points. */
    struct kpl_scheme *scheme =
        fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    fx_stack(&scheme->maps[0].level[KPL_LEVEL_REGF], "N+=1 C+=1 K+=1 Xo+=1",
             1);
    expect_text(w, scheme,
                "kaplac: warning: coverage of gbuf of layer 'conv2_a' not "
                "checked: 53084160 points exceed the checker's limit; use "
                "--prove [coverage]\n");
    assert_int_equal(w->diags.nerrors, 0);
}

/* ---- segments ---- */

/*
 * A chain a -> b -> c of 1x1 convs over 8 x 8 outputs, each mapped whole
 * at GBUF (c streams its input channels); a and b each write 8 channels.
 */
static struct kpl_scheme *chain(struct world *w, int64_t gbuf_bytes)
{
    struct kpl_arch *arch = arch_with(w, 8, 8, gbuf_bytes, 64);
    struct kpl_network *net = fx_network(w->arena, "chain", 3);
    fx_conv(&net->layers[0], "a", 1, 8, 8, 8, 1, 1, 1, 0);
    fx_conv(&net->layers[1], "b", 8, 8, 8, 8, 1, 1, 1, 0);
    fx_conv(&net->layers[2], "c", 8, 1, 8, 8, 1, 1, 1, 0);
    fx_chain(w->arena, net);
    struct kpl_scheme *scheme = fx_scheme(w->arena, net, arch, 1);

    for (int l = 0; l < 3; l++) {
        const struct kpl_layer *layer = &net->layers[l];
        char spec[64];
        struct kpl_level_map *gbuf = fx_level(scheme, l, KPL_LEVEL_GBUF);
        bool stream = l == 1;
        snprintf(spec, sizeof spec, "C=%d Xi=8 Yi=8",
                 stream ? 1 : (int)layer->c);
        fx_tensor(gbuf, layer, KPL_TENSOR_IFM, spec);
        snprintf(spec, sizeof spec, "C=%d K=%d", stream ? 1 : (int)layer->c,
                 (int)layer->k);
        fx_tensor(gbuf, layer, KPL_TENSOR_WGT, spec);
        snprintf(spec, sizeof spec, "K=%d Xo=8 Yo=8", (int)layer->k);
        fx_tensor(gbuf, layer, KPL_TENSOR_OFM, spec);
        if (stream) {
            fx_update(gbuf, "C+=1");
        }

        struct kpl_level_map *regf = fx_level(scheme, l, KPL_LEVEL_REGF);
        fx_tensor(regf, layer, KPL_TENSOR_IFM, "");
        fx_tensor(regf, layer, KPL_TENSOR_WGT, "");
        fx_tensor(regf, layer, KPL_TENSOR_OFM, "");
        fx_stack(regf, "Xo+=1 Xi+=1", 8);
        fx_stack(regf, "Yo+=1 Yi+=1", 8);
        fx_update(regf, "C+=1");
        fx_update(regf, "K+=1");
    }
    fx_finish(scheme);
    return scheme;
}

static void add_segment(struct world *w, struct kpl_scheme *scheme, int n,
                        const int *layers, struct kpl_region region)
{
    struct kpl_region regions[3] = {region, region, region};
    fx_segment(w->arena, scheme, n, layers, regions, false);
}

static void test_check_segment_valid_chain(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = chain(w, 2 * 584);
    int ab[2] = {0, 1};
    int c[1] = {2};
    add_segment(w, scheme, 2, ab, fx_region(0, 1, 0, 1));
    add_segment(w, scheme, 1, c, fx_region(0, 1, 0, 1));
    expect_text(w, scheme, "");
}

static void test_check_segment_out_of_order(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = chain(w, 2 * 584);
    int a[1] = {0};
    int b[1] = {1};
    int c[1] = {2};
    add_segment(w, scheme, 1, a, fx_region(0, 1, 0, 1));
    add_segment(w, scheme, 1, c, fx_region(0, 1, 0, 1));
    add_segment(w, scheme, 1, b, fx_region(0, 1, 0, 1));
    expect_text(w, scheme,
                "kaplac: error: segment of 'c' comes before the segment of "
                "'b', which produces its input [segment]\n"
                "kaplac: note: 'b' is placed here\n");
}

static void test_check_segment_missing_and_twice(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = chain(w, 2 * 584);
    int a[1] = {0};
    int aa[2] = {0, 1};
    add_segment(w, scheme, 1, a, fx_region(0, 1, 0, 1));
    add_segment(w, scheme, 2, aa, fx_region(0, 1, 0, 1));
    expect_text(w, scheme,
                "kaplac: error: layer 'a' is in two segments [segment]\n"
                "kaplac: note: first placed here\n"
                "kaplac: error: layer 'c' is in no segment [segment]\n");
}

static void test_check_segment_unmapped_layer(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = chain(w, 2 * 584);
    int all[3] = {0, 1, 2};
    add_segment(w, scheme, 3, all, fx_region(0, 1, 0, 2));
    scheme->maps[2].present = false;
    expect_text(w, scheme,
                "kaplac: error: layer 'c' has no mapping in scheme "
                "'fixture' [coverage]\n");
}

static void test_check_segment_forwarded_data_fits(void **state)
{
    struct world *w = *state;
    /* Per node: a and c hold 64 + 8 + 512 words, b 64 + 8 + 512 (it
     * streams C), so 584 words (1168 B) fit.  Forwarded: the ofm of a
     * and of b, 512 words each, 1024 words on 2 nodes of 584. */
    struct kpl_scheme *scheme = chain(w, 2 * 584);
    int all[3] = {0, 1, 2};
    add_segment(w, scheme, 3, all, fx_region(0, 1, 0, 2));
    expect_text(w, scheme, "");
}

static void test_check_segment_forwarded_data_overflows(void **state)
{
    struct world *w = *state;
    /* The same on one node: 1024 forwarded words exceed 584. */
    struct kpl_scheme *scheme = chain(w, 2 * 584);
    int all[3] = {0, 1, 2};
    add_segment(w, scheme, 3, all, fx_region(0, 1, 0, 1));
    expect_text(w, scheme,
                "kaplac: error: segment of 'a', 'b', 'c' keeps 2048 B of "
                "forwarded data on chip but its 1 node has 1168 B "
                "[capacity]\n");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_check_conv2_a_passes),
        T(test_check_capacity_gbuf_names_sizes),
        T(test_check_capacity_regf_one_word_over),
        T(test_check_capacity_points_at_directives),
        T(test_check_fanout_regf_exceeds_pes),
        T(test_check_fanout_gbuf_exceeds_region),
        T(test_check_fanout_region_outside_mesh),
        T(test_check_fanout_empty_region),
        T(test_check_fanout_spatial_regions_disjoint),
        T(test_check_fanout_spatial_regions_overlap),
        T(test_check_fanout_temporal_regions_may_coincide),
        T(test_check_layer_defaults_to_whole_mesh),
        T(test_check_containment_missing_directive),
        T(test_check_containment_zero_extent),
        T(test_check_containment_regf_exceeds_gbuf),
        T(test_check_containment_gbuf_exceeds_layer),
        T(test_check_containment_window),
        T(test_check_coverage_seven_rows_clipped),
        T(test_check_coverage_overlapping_stack),
        T(test_check_coverage_gap_between_copies),
        T(test_check_coverage_replicating_stack),
        T(test_check_coverage_pinned_window_fails),
        T(test_check_coverage_matrix_on_larger_array),
        T(test_check_coverage_too_large_warns),
        T(test_check_segment_valid_chain),
        T(test_check_segment_out_of_order),
        T(test_check_segment_missing_and_twice),
        T(test_check_segment_unmapped_layer),
        T(test_check_segment_forwarded_data_fits),
        T(test_check_segment_forwarded_data_overflows),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
