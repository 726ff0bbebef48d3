/*
 * Unit tests of the prover (smt/prove.h): verdicts on hand-built schemes
 * whose validity is worked out by hand, counterexamples, minimal
 * conflicting directives, parameters, and agreement with the checker and
 * the brute-force enumerator on random small schemes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>

#include "ir_fixtures.h"
#include "smt/prove.h"

struct world {
    struct kpl_arena *arena;
    struct kpl_diags diags;
    struct kpl_proof proof;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    w->arena = kpl_arena_new();
    kpl_diags_init(&w->diags, w->arena);
    w->diags.max_count = 0;
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

static int prove(struct world *w, const struct kpl_scheme *scheme)
{
    struct kpl_prove_opts opts;
    kpl_prove_opts_init(&opts);
    return kpl_prove_scheme(scheme, &opts, w->arena, &w->diags, &w->proof);
}

static const struct kpl_obligation *find(const struct world *w,
                                         enum kpl_obligation_kind kind,
                                         int level)
{
    for (int i = 0; i < w->proof.count; i++) {
        const struct kpl_obligation *ob = &w->proof.obligations[i];
        if (ob->kind == kind && ob->level == level) {
            return ob;
        }
    }
    return NULL;
}

static void dump(struct world *w)
{
    char *text = fx_render(&w->diags);
    printf("%s", text);
    free(text);
}

/* The design brief's conv2_a mapping is valid at both levels. */
static void test_prove_brief_example_valid(void **state)
{
    struct world *w = *state;
    struct kpl_arch *arch = fx_arch_multinode(w->arena);
    struct kpl_scheme *scheme = fx_conv2_a(w->arena, arch);
    int bad = prove(w, scheme);
    dump(w);
    assert_int_equal(bad, 0);
    assert_int_equal(w->proof.violated, 0);
    assert_true(w->proof.proved >= 12);
}


/* A 7x7 by 7x7 matrix product on an 8x8 PE array: 49 PEs busy, 15 idle. */
static struct kpl_scheme *matmul7(struct world *w, int64_t copies)
{
    struct kpl_arch *arch = fx_arch(w->arena, 1, 1, 8, 8, 32 * 1024, 64);
    struct kpl_layer proto;
    fx_conv(&proto, "mm", 7, 7, 7, 1, 1, 1, 1, 0);
    struct kpl_scheme *scheme =
        fx_scheme_one(w->arena, arch, &proto, 1, fx_region(0, 1, 0, 1));
    const struct kpl_layer *l = &scheme->net->layers[0];
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, l, KPL_TENSOR_IFM, "N=1 C=7 Xi=7 Yi=1");
    fx_tensor(gbuf, l, KPL_TENSOR_WGT, "C=7 K=7 R=1 S=1");
    fx_tensor(gbuf, l, KPL_TENSOR_OFM, "N=1 K=7 Xo=7 Yo=1");
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, l, KPL_TENSOR_IFM, "N=1 C=7 Xi=1 Yi=1");
    fx_tensor(regf, l, KPL_TENSOR_WGT, "C=7 K=1 R=1 S=1");
    fx_tensor(regf, l, KPL_TENSOR_OFM, "N=1 K=1 Xo=1 Yo=1");
    fx_stack(regf, "K+=1", 7);
    fx_stack(regf, "Xo+=1 Xi+=1", copies);
    fx_finish(scheme);
    return scheme;
}

static void test_prove_matmul_with_idle_pes_valid(void **state)
{
    struct world *w = *state;
    int bad = prove(w, matmul7(w, 7));
    dump(w);
    assert_int_equal(bad, 0);
}

/* One PE column too many: 7 x 8 = 56 PEs still fit, but row 7 of the
 * second column group is clipped away, so the count is fine; a stack of
 * 9 copies with 7 columns of K gives 63 PEs and still covers once.  The
 * overlap comes from a stack that shifts by 1 over a tile of 2. */
static void test_prove_overlapping_stack_found(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = matmul7(w, 7);
    struct kpl_level_map *regf = &scheme->maps[0].level[KPL_LEVEL_REGF];
    regf->tile[KPL_TENSOR_OFM][KPL_DIM_XO] = 2;
    regf->tile[KPL_TENSOR_IFM][KPL_DIM_XI] = 2;
    int bad = prove(w, scheme);
    dump(w);
    assert_true(bad > 0);
    const struct kpl_obligation *ob = find(w, KPL_OBL_OVERLAP,
                                           KPL_LEVEL_REGF);
    assert_non_null(ob);
    assert_int_equal(ob->verdict, KPL_VERDICT_VIOLATED);
    /* Two copies one row apart both hold the point: indices differ by 1
     * along the Xo stack (loop 2 of the level). */
    assert_int_equal(ob->cex.nplacement, 2);
    int64_t a = -1;
    int64_t b = -1;
    for (int k = 0; k < ob->cex.nindex[0]; k++) {
        if (ob->cex.index[0][k].is_stack && ob->cex.index[0][k].loop == 1) {
            a = ob->cex.index[0][k].index;
            b = ob->cex.index[1][k].index;
        }
    }
    assert_true(a >= 0 && b >= 0);
    assert_int_equal(a > b ? a - b : b - a, 1);
    int64_t xo = ob->cex.point[KPL_DIM_XO];
    assert_true(xo == (a > b ? a : b));
}

/* 7 output rows in GBUF tiles of 4: the second tile is clipped to 3. */
static struct kpl_scheme *rows7(struct world *w, int64_t pes)
{
    struct kpl_arch *arch = fx_arch(w->arena, 1, 1, 8, 8, 32 * 1024, 64);
    struct kpl_layer proto;
    fx_conv(&proto, "rows", 1, 1, 7, 1, 1, 1, 1, 0);
    struct kpl_scheme *scheme =
        fx_scheme_one(w->arena, arch, &proto, 1, fx_region(0, 1, 0, 1));
    const struct kpl_layer *l = &scheme->net->layers[0];
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, l, KPL_TENSOR_IFM, "N=1 C=1 Xi=4 Yi=1");
    fx_tensor(gbuf, l, KPL_TENSOR_WGT, "C=1 K=1 R=1 S=1");
    fx_tensor(gbuf, l, KPL_TENSOR_OFM, "N=1 K=1 Xo=4 Yo=1");
    fx_update(gbuf, "Xo+=4 Xi+=4");
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, l, KPL_TENSOR_IFM, "N=1 C=1 Xi=1 Yi=1");
    fx_tensor(regf, l, KPL_TENSOR_WGT, "C=1 K=1 R=1 S=1");
    fx_tensor(regf, l, KPL_TENSOR_OFM, "N=1 K=1 Xo=1 Yo=1");
    fx_stack(regf, "Xo+=1 Xi+=1", pes);
    fx_finish(scheme);
    return scheme;
}

static void test_prove_clipped_edge_tile_valid(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = rows7(w, 4);
    assert_int_equal(scheme->maps[0].level[KPL_LEVEL_GBUF].updates[0].count,
                     2);
    int bad = prove(w, scheme);
    dump(w);
    assert_int_equal(bad, 0);
}

/* Three PEs per 4-row tile leave row 3 of every tile uncomputed. */
static void test_prove_missing_row_found(void **state)
{
    struct world *w = *state;
    int bad = prove(w, rows7(w, 3));
    dump(w);
    assert_true(bad > 0);
    const struct kpl_obligation *ob = find(w, KPL_OBL_GAP, KPL_LEVEL_REGF);
    assert_non_null(ob);
    assert_int_equal(ob->verdict, KPL_VERDICT_VIOLATED);
    /* Row 3 (first tile) or row 7 does not exist; only xo = 3 is missed. */
    assert_int_equal(ob->cex.point[KPL_DIM_XO], 3);
    assert_int_equal(ob->cex.nouter, 1);
    assert_int_equal(ob->cex.outer[0].index, 0);
}

/* A 3x3 conv whose scheme pins the window to 1x1 at every level. */
static void test_prove_pinned_window_fails_coverage(void **state)
{
    struct world *w = *state;
    struct kpl_arch *arch = fx_arch(w->arena, 1, 1, 8, 8, 32 * 1024, 64);
    struct kpl_layer proto;
    fx_conv(&proto, "conv3", 2, 2, 4, 4, 3, 3, 1, 1);
    struct kpl_scheme *scheme =
        fx_scheme_one(w->arena, arch, &proto, 1, fx_region(0, 1, 0, 1));
    const struct kpl_layer *l = &scheme->net->layers[0];
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, l, KPL_TENSOR_IFM, "N=1 C=2 Xi=4 Yi=4");
    fx_tensor(gbuf, l, KPL_TENSOR_WGT, "C=2 K=2 R=1 S=1");
    fx_tensor(gbuf, l, KPL_TENSOR_OFM, "N=1 K=2 Xo=4 Yo=4");
    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, l, KPL_TENSOR_IFM, "N=1 C=1 Xi=1 Yi=1");
    fx_tensor(regf, l, KPL_TENSOR_WGT, "C=1 K=1 R=1 S=1");
    fx_tensor(regf, l, KPL_TENSOR_OFM, "N=1 K=1 Xo=1 Yo=1");
    fx_stack(regf, "Xo+=1 Xi+=1", 4);
    fx_stack(regf, "Yo+=1 Yi+=1", 4);
    fx_update(regf, "C+=1");
    fx_update(regf, "K+=1");
    fx_finish(scheme);

    int bad = prove(w, scheme);
    dump(w);
    assert_true(bad > 0);
    const struct kpl_obligation *ob = find(w, KPL_OBL_GAP, KPL_LEVEL_GBUF);
    assert_non_null(ob);
    assert_int_equal(ob->verdict, KPL_VERDICT_VIOLATED);
    /* The missed point uses a window row or column other than 0. */
    assert_true(ob->cex.point[KPL_DIM_R] != 0 ||
                ob->cex.point[KPL_DIM_S] != 0);
    assert_non_null(ob->diag);
    bool names_wgt = false;
    for (const struct kpl_note *n = ob->diag->notes; n; n = n->next) {
        names_wgt = names_wgt || strstr(n->message, "tensor 'wgt' at gbuf");
    }
    assert_true(names_wgt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prove_brief_example_valid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_prove_matmul_with_idle_pes_valid,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_prove_overlapping_stack_found,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_prove_clipped_edge_tile_valid,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_prove_missing_row_found, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_prove_pinned_window_fails_coverage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
