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
#include "parser/ast.h"
#include "checker/check.h"
#include "checker/enumerate.h"
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
    /* The enumerator counts the point twice as well (other dims 0). */
    int64_t point[KPL_LOOP_DIMS] = {0};
    point[KPL_DIM_XO] = xo;
    assert_int_equal(kpl_enumerate_point(scheme, 0, KPL_LEVEL_REGF, point),
                     2);
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
    struct kpl_scheme *scheme = rows7(w, 3);
    int bad = prove(w, scheme);
    dump(w);
    assert_true(bad > 0);
    const struct kpl_obligation *ob = find(w, KPL_OBL_GAP, KPL_LEVEL_REGF);
    assert_non_null(ob);
    assert_int_equal(ob->verdict, KPL_VERDICT_VIOLATED);
    /* Row 3 (first tile) or row 7 does not exist; only xo = 3 is missed. */
    assert_int_equal(ob->cex.point[KPL_DIM_XO], 3);
    assert_int_equal(ob->cex.nouter, 1);
    assert_int_equal(ob->cex.outer[0].index, 0);
    int64_t point[KPL_LOOP_DIMS] = {0, 0, 0, 3, 0, 0, 0};
    assert_int_equal(kpl_enumerate_point(scheme, 0, KPL_LEVEL_REGF, point),
                     0);
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
    int64_t point[KPL_LOOP_DIMS] = {0};
    for (int d = 0; d < KPL_LOOP_DIMS; d++) {
        if (ob->cex.point_dims & KPL_DIM_BIT(d)) {
            point[d] = ob->cex.point[d];
        }
    }
    assert_int_equal(kpl_enumerate_point(scheme, 0, KPL_LEVEL_GBUF, point),
                     0);
    assert_non_null(ob->diag);
    bool names_wgt = false;
    for (const struct kpl_note *n = ob->diag->notes; n; n = n->next) {
        names_wgt = names_wgt || strstr(n->message, "tensor 'wgt' at gbuf");
    }
    assert_true(names_wgt);
}

/* A resource limit too small to search ends coverage as unknown, with a
 * warning, and never as proved or violated. */
static void test_prove_resource_limit_gives_unknown(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = fx_conv2_a(w->arena,
                                           fx_arch_multinode(w->arena));
    struct kpl_prove_opts opts;
    kpl_prove_opts_init(&opts);
    opts.rlimit = 1;
    int bad = kpl_prove_scheme(scheme, &opts, w->arena, &w->diags,
                               &w->proof);
    assert_true(w->proof.unknown > 0);
    assert_int_equal(w->proof.violated, 0);
    assert_int_equal(bad, w->proof.unknown);
    int warnings = 0;
    for (const struct kpl_diag *d = w->diags.head; d; d = d->next) {
        assert_string_equal(d->rule, "prove-unknown");
        assert_int_equal(d->severity, KPL_SEV_WARNING);
        warnings++;
    }
    assert_int_equal(warnings, w->proof.unknown);
    const struct kpl_obligation *ob = find(w, KPL_OBL_GAP, KPL_LEVEL_REGF);
    assert_int_equal(ob->verdict, KPL_VERDICT_UNKNOWN);
    assert_non_null(ob->reason);
}

/*
 * A budget of 1 ms per obligation (--prove-timeout 1) is spent only after
 * 1 ms: Z3 is asked, and an obligation that ends unknown for a timeout
 * has used its whole budget, never a few microseconds.  Whether Z3
 * decides a query within 1 ms depends on the machine, so the verdicts
 * themselves are not asserted.
 */
static void test_prove_one_ms_budget_is_spent_before_timeout(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = fx_conv2_a(w->arena,
                                           fx_arch_multinode(w->arena));
    struct kpl_prove_opts opts;
    kpl_prove_opts_init(&opts);
    opts.timeout_ms = 1;
    int bad = kpl_prove_scheme(scheme, &opts, w->arena, &w->diags,
                               &w->proof);
    assert_true(bad >= 0);
    assert_int_equal(w->proof.violated, 0);
    for (int i = 0; i < w->proof.count; i++) {
        const struct kpl_obligation *ob = &w->proof.obligations[i];
        bool timed_out = ob->verdict == KPL_VERDICT_UNKNOWN &&
                         strcmp(ob->reason, "timeout") == 0;
        if (timed_out && ob->seconds < 0.000999) {
            print_message("%s of '%s' timed out after %.6f s\n",
                          kpl_obligation_kind_name(ob->kind), ob->layer_name,
                          ob->seconds);
            fail();
        }
    }
}

/* The proof's JSON names the obligation, its verdict and counterexample. */
static void test_prove_json_counterexample(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = rows7(w, 3);
    prove(w, scheme);
    struct kpl_buf buf;
    kpl_buf_init(&buf);
    kpl_proof_render_json(&w->proof, &w->diags, NULL, &buf);
    assert_non_null(strstr(buf.data, "\"verdict\": \"violated\""));
    assert_non_null(strstr(buf.data, "\"kind\": \"coverage-gap\", "
                                     "\"rule\": \"coverage\", "
                                     "\"layer\": \"rows\", "
                                     "\"level\": \"regf\""));
    assert_non_null(strstr(buf.data, "\"point\": {\"Xo\": 3, \"R\": 0}"));
    assert_non_null(strstr(buf.data, "\"outer\": [{\"level\": \"gbuf\", "
                                     "\"loop\": \"update 1\", \"index\": 0, "
                                     "\"count\": 2}]"));
    kpl_buf_free(&buf);
}

/* ---- segment rules ---- */

/*
 * Two 1x1 convolutions, "first" feeding "second", with no mapping (the
 * segment rules need none), placed by segments listed as layer indices:
 * {0, 1} is one segment per layer in network order.
 */
static struct kpl_scheme *two_layers(struct world *w, const int *order,
                                     int nsegment)
{
    struct kpl_arch *arch = fx_arch(w->arena, 1, 1, 8, 8, 32 * 1024, 64);
    struct kpl_network *net = fx_network(w->arena, "pair", 2);
    fx_conv(&net->layers[0], "first", 4, 4, 4, 4, 1, 1, 1, 0);
    fx_conv(&net->layers[1], "second", 4, 4, 4, 4, 1, 1, 1, 0);
    fx_chain(w->arena, net);
    struct kpl_scheme *scheme = fx_scheme(w->arena, net, arch, 1);
    struct kpl_region whole = fx_region(0, 1, 0, 1);
    for (int s = 0; s < nsegment; s++) {
        fx_segment(w->arena, scheme, 1, &order[s], &whole, false);
    }
    return scheme;
}

static const struct kpl_obligation *find_rule(const struct world *w,
                                              const char *rule)
{
    for (int i = 0; i < w->proof.count; i++) {
        const struct kpl_obligation *ob = &w->proof.obligations[i];
        if (strcmp(ob->rule, rule) == 0) {
            return ob;
        }
    }
    return NULL;
}

static int count_errors(const struct world *w, const char *rule)
{
    int n = 0;
    for (const struct kpl_diag *d = w->diags.head; d; d = d->next) {
        n += d->severity == KPL_SEV_ERROR && strcmp(d->rule, rule) == 0;
    }
    return n;
}

/*
 * Each failing segment rule is one violated obligation: the counts, the
 * return value and the JSON verdict say so, and the diagnostic is
 * reported once, by the prover.
 */
static void assert_one_segment_failure(struct world *w, const char *what)
{
    const struct kpl_obligation *ob = find_rule(w, "segment");
    assert_non_null(ob);
    assert_string_equal(kpl_obligation_kind_name(ob->kind), "segment");
    assert_int_equal(ob->verdict, KPL_VERDICT_VIOLATED);
    assert_non_null(ob->diag);
    assert_non_null(strstr(ob->message, what));
    assert_int_equal(w->proof.violated, 1);
    assert_int_equal(w->proof.proved + w->proof.violated, w->proof.count);
    assert_int_equal(count_errors(w, "segment"), 1);

    struct kpl_buf buf;
    kpl_buf_init(&buf);
    kpl_proof_render_json(&w->proof, &w->diags, NULL, &buf);
    assert_non_null(strstr(buf.data, "\"verdict\": \"violated\""));
    assert_non_null(strstr(buf.data, "\"violated\": 1,"));
    assert_non_null(strstr(buf.data, "\"kind\": \"segment\", "
                                     "\"rule\": \"segment\""));
    kpl_buf_free(&buf);
}

static void test_prove_segment_out_of_order_violated(void **state)
{
    struct world *w = *state;
    int order[] = {1, 0};
    int bad = prove(w, two_layers(w, order, 2));
    dump(w);
    assert_int_equal(bad, 1);
    assert_one_segment_failure(w, "comes before the segment of 'first'");
}

static void test_prove_layer_in_two_segments_violated(void **state)
{
    struct world *w = *state;
    int order[] = {0, 0, 1};
    int bad = prove(w, two_layers(w, order, 3));
    dump(w);
    assert_int_equal(bad, 1);
    assert_one_segment_failure(w, "'first' is in two segments");
}

static void test_prove_layer_in_no_segment_violated(void **state)
{
    struct world *w = *state;
    int order[] = {0};
    int bad = prove(w, two_layers(w, order, 1));
    dump(w);
    assert_int_equal(bad, 1);
    assert_one_segment_failure(w, "'second'");
}

/* Segments in network order add no obligation and no diagnostic. */
static void test_prove_segments_in_order_proved(void **state)
{
    struct world *w = *state;
    int order[] = {0, 1};
    int bad = prove(w, two_layers(w, order, 2));
    dump(w);
    assert_int_equal(bad, 0);
    assert_null(find_rule(w, "segment"));
    assert_int_equal(w->proof.proved, w->proof.count);
    assert_null(w->diags.head);
}

/* ---- parameters ---- */

static struct kpl_expr *param_ref(struct kpl_arena *arena, const char *name)
{
    struct kpl_expr *e = kpl_arena_alloc(arena, sizeof *e);
    e->kind = KPL_EXPR_PARAM;
    e->name = name;
    return e;
}

/*
 * 8 output rows in GBUF tiles of B rows, B in [1, 8] (instance 3), each
 * tile spread over `pes` PE columns one row apart, with no REGF update.
 */
static struct kpl_scheme *rows_by_param(struct world *w, int64_t pes)
{
    struct kpl_arch *arch = fx_arch(w->arena, 1, 1, 8, 8, 32 * 1024, 64);
    struct kpl_layer proto;
    fx_conv(&proto, "rows", 1, 1, 8, 1, 1, 1, 1, 0);
    struct kpl_scheme *scheme =
        fx_scheme_one(w->arena, arch, &proto, 1, fx_region(0, 1, 0, 1));
    scheme->nparam = 1;
    scheme->params = kpl_arena_alloc(w->arena, sizeof *scheme->params);
    scheme->params[0].name = "B";
    scheme->params[0].value = 3;
    scheme->params[0].lo = 1;
    scheme->params[0].hi = 8;
    struct kpl_expr *b = param_ref(w->arena, "B");

    const struct kpl_layer *l = &scheme->net->layers[0];
    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, l, KPL_TENSOR_IFM, "N=1 C=1 Xi=3 Yi=1");
    fx_tensor(gbuf, l, KPL_TENSOR_WGT, "C=1 K=1 R=1 S=1");
    fx_tensor(gbuf, l, KPL_TENSOR_OFM, "N=1 K=1 Xo=3 Yo=1");
    gbuf->tile_expr[KPL_TENSOR_IFM][KPL_DIM_XI] = b;
    gbuf->tile_expr[KPL_TENSOR_OFM][KPL_DIM_XO] = b;
    struct kpl_loop *up = fx_update(gbuf, "Xo+=3 Xi+=3");
    up->shifts[0].step_expr = b;
    up->shifts[1].step_expr = b;

    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, l, KPL_TENSOR_IFM, "N=1 C=1 Xi=1 Yi=1");
    fx_tensor(regf, l, KPL_TENSOR_WGT, "C=1 K=1 R=1 S=1");
    fx_tensor(regf, l, KPL_TENSOR_OFM, "N=1 K=1 Xo=1 Yo=1");
    fx_stack(regf, "Xo+=1 Xi+=1", pes);
    fx_finish(scheme);
    return scheme;
}

static void test_prove_parameter_range_valid(void **state)
{
    struct world *w = *state;
    int bad = prove(w, rows_by_param(w, 8));
    dump(w);
    assert_int_equal(bad, 0);
}

/* With 4 PE columns the instance B = 3 is valid, but B >= 5 leaves the
 * rows past the fourth of each tile uncomputed. */
static void test_prove_parameter_counterexample(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = rows_by_param(w, 4);

    struct kpl_diags checked;
    kpl_diags_init(&checked, w->arena);
    assert_int_equal(kpl_check_scheme(scheme, &checked), 0);

    int bad = prove(w, scheme);
    dump(w);
    assert_true(bad > 0);
    const struct kpl_obligation *ob = find(w, KPL_OBL_GAP, KPL_LEVEL_REGF);
    assert_non_null(ob);
    assert_int_equal(ob->verdict, KPL_VERDICT_VIOLATED);
    assert_int_equal(ob->cex.nparam, 1);
    int64_t value = ob->cex.params[0].value;
    assert_true(value >= 5 && value <= 8);
    /* The missed row lies in the tile, past the four columns. */
    int64_t xo = ob->cex.point[KPL_DIM_XO];
    int64_t tile = ob->cex.outer[0].index;
    assert_true(xo >= tile * value + 4 && xo < (tile + 1) * value && xo < 8);
    bool names_param = false;
    for (const struct kpl_note *n = ob->diag->notes; n; n = n->next) {
        names_param = names_param || strstr(n->message, "'B' = ");
    }
    assert_true(names_param);
}

/* A buffer that holds B = 6 rows of ifm and ofm (plus one weight) fails
 * for B = 7 and 8 only. */
static void test_prove_parameter_capacity(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = rows_by_param(w, 8);
    ((struct kpl_arch *)scheme->arch)->gbuf_bytes = (6 + 6 + 1) * 2;
    prove(w, scheme);
    dump(w);
    const struct kpl_obligation *ob = find(w, KPL_OBL_CAPACITY,
                                           KPL_LEVEL_GBUF);
    assert_non_null(ob);
    assert_int_equal(ob->verdict, KPL_VERDICT_VIOLATED);
    int64_t value = ob->cex.params[0].value;
    assert_true(value == 7 || value == 8);
    assert_int_equal(ob->cex.words, 2 * value + 1);
    assert_int_equal(ob->cex.limit, 13);
    assert_int_equal(ob->cex.bytes, (2 * value + 1) * 2);
}

/* ---- random small schemes: checker, prover and enumerator agree ---- */

struct rng {
    uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
    /* xorshift64* */
    r->state ^= r->state >> 12;
    r->state ^= r->state << 25;
    r->state ^= r->state >> 27;
    return r->state * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [lo, hi]. */
static int64_t rng_in(struct rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static void add_shift(struct kpl_loop *loop, int dim, int64_t step)
{
    loop->shifts[loop->nshift].dim = (enum kpl_dim)dim;
    loop->shifts[loop->nshift].step = step;
    loop->nshift++;
}

/*
 * Splits extent `parent` of dim d at one level: a tile, maybe a stack of
 * 2 copies one tile apart, and an update over what the copies cover.
 * `in` (Xi or Yi, or -1) moves along with d by `scale` per step.
 */
static int64_t plan_dim(struct rng *r, struct kpl_level_map *lm, int d,
                        int64_t parent, int in, int64_t scale, int64_t *copies)
{
    int64_t tile = rng_in(r, 1, parent);
    int64_t n = tile < parent && rng_in(r, 0, 2) == 0 ? 2 : 1;
    if (*copies * n > 4) {
        n = 1;
    }
    *copies *= n;
    if (n > 1) {
        struct kpl_loop *st = &lm->stacks[lm->nstack++];
        memset(st, 0, sizeof *st);
        st->count = n;
        add_shift(st, d, tile);
        if (in >= 0) {
            add_shift(st, in, tile * scale);
        }
    }
    if (n * tile < parent || rng_in(r, 0, 4) == 0) {
        struct kpl_loop *up = &lm->updates[lm->nupdate++];
        memset(up, 0, sizeof *up);
        add_shift(up, d, n * tile);
        if (in >= 0) {
            add_shift(up, in, n * tile * scale);
        }
    }
    return tile;
}

/* One level: tiles and loops for every dim, parent extents given. */
static void plan_level(struct rng *r, const struct kpl_layer *l,
                       struct kpl_level_map *lm, const int64_t *parent,
                       int64_t *tile)
{
    int64_t copies = 1;
    static const int order[KPL_LOOP_DIMS] = {
        KPL_DIM_N, KPL_DIM_C, KPL_DIM_K, KPL_DIM_XO, KPL_DIM_R, KPL_DIM_YO,
        KPL_DIM_S,
    };
    for (int i = 0; i < KPL_LOOP_DIMS; i++) {
        int d = order[i];
        int in = -1;
        int64_t scale = 1;
        if (d == KPL_DIM_XO || d == KPL_DIM_R) {
            in = KPL_DIM_XI;
            scale = d == KPL_DIM_XO ? l->stride_x : 1;
        } else if (d == KPL_DIM_YO || d == KPL_DIM_S) {
            in = KPL_DIM_YI;
            scale = d == KPL_DIM_YO ? l->stride_y : 1;
        }
        tile[d] = plan_dim(r, lm, d, parent[d], in, scale, &copies);
    }
    tile[KPL_DIM_XI] = (tile[KPL_DIM_XO] - 1) * l->stride_x + tile[KPL_DIM_R];
    tile[KPL_DIM_YI] = (tile[KPL_DIM_YO] - 1) * l->stride_y + tile[KPL_DIM_S];
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        lm->tile_given[t] = l->tensor_dims[t] != 0;
        lm->share[t] = 1;
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            bool has = (l->tensor_dims[t] & KPL_DIM_BIT(d)) != 0;
            lm->tile[t][d] = has ? tile[d] : 0;
        }
    }
}

enum mutation {
    MUT_NONE,
    MUT_EXTENT,     /* a tile extent off by one */
    MUT_EDGE,       /* a stack copy or an update missing */
    MUT_OVERLAP,    /* a stack shift one short of its tile */
    MUT_STEP,       /* an update step one past what it should be */
    MUT_REGION,     /* the region runs past the mesh */
    MUT_WORD,       /* a buffer one word too small */
    MUT_COUNT,
};

static const char *const mutation_names[MUT_COUNT] = {
    "none", "extent", "edge", "overlap", "step", "region", "word",
};

static struct kpl_loop *pick_loop(struct rng *r, struct kpl_level_map *lm,
                                  bool stack)
{
    int n = stack ? lm->nstack : lm->nupdate;
    if (n == 0) {
        return NULL;
    }
    int i = (int)rng_in(r, 0, n - 1);
    return stack ? &lm->stacks[i] : &lm->updates[i];
}

static void mutate(struct rng *r, struct kpl_scheme *scheme, enum mutation m)
{
    const struct kpl_layer *l = &scheme->net->layers[0];
    int level = (int)rng_in(r, 0, 1);
    struct kpl_level_map *lm = &scheme->maps[0].level[level];
    struct kpl_loop *loop = NULL;
    switch (m) {
    case MUT_EXTENT: {
        int t = (int)rng_in(r, 0, KPL_TENSOR_COUNT - 1);
        int d = (int)rng_in(r, 0, KPL_DIM_COUNT - 1);
        if (l->tensor_dims[t] & KPL_DIM_BIT(d)) {
            int64_t delta = rng_in(r, 0, 1) ? 1 : -1;
            if (lm->tile[t][d] + delta >= 1) {
                lm->tile[t][d] += delta;
            }
        }
        break;
    }
    case MUT_EDGE:
        loop = pick_loop(r, lm, true);
        if (loop != NULL && rng_in(r, 0, 1)) {
            loop->count--;
        } else if (lm->nupdate > 0) {
            lm->nupdate--;
        }
        break;
    case MUT_OVERLAP:
        loop = pick_loop(r, lm, true);
        if (loop != NULL && loop->shifts[0].step > 1) {
            loop->shifts[0].step--;
        }
        break;
    case MUT_STEP:
        loop = pick_loop(r, lm, false);
        if (loop != NULL) {
            loop->shifts[0].step++;
        }
        break;
    case MUT_REGION:
        scheme->segments[0].regions[0].col1 = scheme->arch->node_cols + 1;
        break;
    case MUT_WORD:
    case MUT_NONE:
    case MUT_COUNT:
        break;
    }
}

/* A random small layer and a mapping of it, maybe broken on purpose. */
static struct kpl_scheme *random_scheme(struct kpl_arena *arena,
                                        struct rng *r, enum mutation m)
{
    static const enum kpl_layer_kind kinds[] = {
        KPL_LAYER_CONV, KPL_LAYER_CONV, KPL_LAYER_CONV, KPL_LAYER_DWCONV,
        KPL_LAYER_POOL, KPL_LAYER_FC,
    };
    enum kpl_layer_kind kind = kinds[rng_in(r, 0, 5)];
    int64_t k = rng_in(r, 1, 4);
    int64_t c = kind == KPL_LAYER_CONV || kind == KPL_LAYER_FC
                    ? rng_in(r, 1, 3) : 1;
    int64_t xo = kind == KPL_LAYER_FC ? 1 : rng_in(r, 1, 5);
    int64_t yo = kind == KPL_LAYER_FC ? 1 : rng_in(r, 1, 3);
    int64_t win = rng_in(r, 1, 3);
    int64_t stride = rng_in(r, 1, 2);
    struct kpl_layer proto;
    fx_layer(&proto, "rnd", kind, c, k, xo, yo, win, win, stride, 0);

    struct kpl_arch *arch = fx_arch(arena, 2, 2, 4, 4, 1 << 20, 1 << 20);
    struct kpl_scheme *scheme = fx_scheme_one(
        arena, arch, &proto, rng_in(r, 1, 3), fx_region(0, 2, 0, 2));
    const struct kpl_layer *l = &scheme->net->layers[0];

    int64_t whole[KPL_DIM_COUNT];
    int64_t gtile[KPL_DIM_COUNT];
    int64_t rtile[KPL_DIM_COUNT];
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        whole[d] = kpl_layer_extent(l, scheme->batch, (enum kpl_dim)d);
    }
    plan_level(r, l, fx_level(scheme, 0, KPL_LEVEL_GBUF), whole, gtile);
    plan_level(r, l, fx_level(scheme, 0, KPL_LEVEL_REGF), gtile, rtile);
    mutate(r, scheme, m);
    fx_finish(scheme);

    /* Buffers that fit exactly, or one word short. */
    int64_t need[KPL_LEVEL_COUNT];
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        need[lv] = kpl_level_words(l, &scheme->maps[0].level[lv]);
        if (rng_in(r, 0, 1)) {
            need[lv] += rng_in(r, 0, 8);
        }
    }
    if (m == MUT_WORD) {
        need[rng_in(r, 0, 1)] -= 1;
    }
    arch->regf_bytes = need[KPL_LEVEL_REGF] * 2;
    arch->gbuf_bytes = need[KPL_LEVEL_GBUF] * 2;
    return scheme;
}

static void print_level(const struct kpl_layer *l,
                        const struct kpl_level_map *lm, int level)
{
    printf("  %s {\n", kpl_level_names[level]);
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (l->tensor_dims[t] == 0) {
            continue;
        }
        printf("    tensor %s (", kpl_tensor_names[t]);
        for (int d = 0, k = 0; d < KPL_DIM_COUNT; d++) {
            if (l->tensor_dims[t] & KPL_DIM_BIT(d)) {
                printf("%s%s=%lld", k++ ? ", " : "", kpl_dim_names[d],
                       (long long)lm->tile[t][d]);
            }
        }
        printf(");\n");
    }
    for (int i = 0; i < lm->nstack + lm->nupdate; i++) {
        bool is_stack = i < lm->nstack;
        const struct kpl_loop *loop = is_stack ? &lm->stacks[i]
                                               : &lm->updates[i - lm->nstack];
        printf("    %s (", is_stack ? "stack" : "update");
        for (int k = 0; k < loop->nshift; k++) {
            printf("%s%s+=%lld", k ? ", " : "",
                   kpl_dim_names[loop->shifts[k].dim],
                   (long long)loop->shifts[k].step);
        }
        printf(")%s%lld;\n", is_stack ? " x " : "  # trips ",
               (long long)loop->count);
    }
    printf("  }\n");
}

static void print_case(int index, enum mutation m,
                       const struct kpl_scheme *scheme)
{
    const struct kpl_layer *l = &scheme->net->layers[0];
    const struct kpl_region *rg = &scheme->segments[0].regions[0];
    printf("case %d (mutation %s): %s C=%lld K=%lld Xo=%lld Yo=%lld "
           "R=%lld S=%lld stride %lld batch %lld, regf %lld B, gbuf %lld B, "
           "region [%lld:%lld, %lld:%lld]\n",
           index, mutation_names[m], kpl_layer_kind_name(l->kind),
           (long long)l->c, (long long)l->k, (long long)l->xo,
           (long long)l->yo, (long long)l->r, (long long)l->s,
           (long long)l->stride_x, (long long)scheme->batch,
           (long long)scheme->arch->regf_bytes,
           (long long)scheme->arch->gbuf_bytes, (long long)rg->row0,
           (long long)rg->row1, (long long)rg->col0, (long long)rg->col1);
    for (int lv = KPL_LEVEL_GBUF; lv >= KPL_LEVEL_REGF; lv--) {
        print_level(l, &scheme->maps[0].level[lv], lv);
    }
}

enum { R_CAPACITY, R_FANOUT, R_COVERAGE, R_CONTAINMENT, R_OTHER, R_COUNT };

static int rule_slot(const char *rule)
{
    static const char *const names[] = {"capacity", "fan-out", "coverage",
                                        "containment"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(rule, names[i]) == 0) {
            return i;
        }
    }
    return R_OTHER;
}

static void rules_of(const struct kpl_diags *diags, bool *out)
{
    memset(out, 0, sizeof(bool) * R_COUNT);
    for (const struct kpl_diag *d = diags->head; d != NULL; d = d->next) {
        if (d->severity == KPL_SEV_ERROR ||
            strcmp(d->rule, "prove-unknown") == 0) {
            out[strcmp(d->rule, "prove-unknown") == 0 ? R_OTHER
                                                      : rule_slot(d->rule)] =
                true;
        }
    }
}

/* Runs the three referees on one case; returns true when they agree. */
static bool agree(int index, enum mutation m, struct kpl_scheme *scheme,
                  int *broken)
{
    struct kpl_arena *arena = kpl_arena_new();
    struct kpl_diags checked;
    struct kpl_diags proved;
    kpl_diags_init(&checked, arena);
    kpl_diags_init(&proved, arena);
    kpl_check_scheme(scheme, &checked);

    struct kpl_prove_opts opts;
    struct kpl_proof proof;
    kpl_prove_opts_init(&opts);
    opts.no_cores = true;
    kpl_prove_scheme(scheme, &opts, arena, &proved, &proof);

    bool by_check[R_COUNT];
    bool by_prove[R_COUNT];
    rules_of(&checked, by_check);
    rules_of(&proved, by_prove);
    bool same = memcmp(by_check, by_prove, sizeof by_check) == 0;

    struct kpl_enum_result er;
    bool enumerated = kpl_enumerate_layer(scheme, 0, &er) == 0;
    bool enum_cover = !enumerated || (er.level[0].covered &&
                                      er.level[1].covered);
    if (enumerated && !by_check[R_CONTAINMENT]) {
        same = same && enum_cover == !by_check[R_COVERAGE];
        bool over = false;
        for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
            over = over || er.level[lv].max_words >
                               kpl_arch_words(scheme->arch,
                                              (enum kpl_level)lv);
        }
        same = same && over == by_check[R_CAPACITY];
    }
    *broken += by_check[R_CAPACITY] || by_check[R_FANOUT] ||
               by_check[R_COVERAGE] || by_check[R_CONTAINMENT];

    if (!same) {
        print_case(index, m, scheme);
        printf("checker:  cap %d fan %d cov %d cont %d other %d\n",
               by_check[0], by_check[1], by_check[2], by_check[3],
               by_check[4]);
        printf("prover:   cap %d fan %d cov %d cont %d other %d\n",
               by_prove[0], by_prove[1], by_prove[2], by_prove[3],
               by_prove[4]);
        printf("enumerator: %s, covered %d\n",
               enumerated ? "ran" : "refused", enum_cover);
        char *text = fx_render(&checked);
        printf("--- checker\n%s", text);
        free(text);
        text = fx_render(&proved);
        printf("--- prover\n%s", text);
        free(text);
    }
    kpl_arena_free(arena);
    return same;
}

static void test_prove_agrees_with_checker_and_enumerator(void **state)
{
    (void)state;
    struct rng r = {0x9E3779B97F4A7C15ULL};
    int cases = 1000;
    int disagree = 0;
    int broken = 0;
    for (int i = 0; i < cases; i++) {
        struct kpl_arena *arena = kpl_arena_new();
        enum mutation m = (enum mutation)(i % 2 == 0
                                              ? MUT_NONE
                                              : rng_in(&r, 1, MUT_COUNT - 1));
        struct kpl_scheme *scheme = random_scheme(arena, &r, m);
        disagree += !agree(i, m, scheme, &broken);
        kpl_arena_free(arena);
    }
    printf("%d cases, %d invalid, %d disagreements\n", cases, broken,
           disagree);
    /* The generator must exercise both outcomes. */
    assert_true(broken > cases / 5);
    assert_true(broken < cases - cases / 5);
    assert_int_equal(disagree, 0);
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
        cmocka_unit_test_setup_teardown(
            test_prove_resource_limit_gives_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_prove_one_ms_budget_is_spent_before_timeout, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_prove_json_counterexample,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_prove_segment_out_of_order_violated, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_prove_layer_in_two_segments_violated, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_prove_layer_in_no_segment_violated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prove_segments_in_order_proved,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_prove_parameter_range_valid,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_prove_parameter_counterexample,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_prove_parameter_capacity, setup,
                                        teardown),
        cmocka_unit_test(test_prove_agrees_with_checker_and_enumerator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
