/*
 * Resolver tests: names, graph order, shape inference, padding, training
 * graphs, parameters and bundled look-ups, through the program API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "checker/resolve.h"
#include "parser/bundled.h"

/* Loads text and resolves it; the caller frees the program. */
static struct kpl_program *resolve_text(const char *text)
{
    struct kpl_program *prog = kpl_program_new();
    assert_non_null(prog);
    kpl_program_load_text(prog, "t.kapla", text, strlen(text));
    kpl_program_resolve(prog);
    return prog;
}

/* The first diagnostic's rule and message, for exact assertions. */
static void assert_first_error(const struct kpl_program *prog,
                               const char *rule, const char *message)
{
    assert_non_null(prog->diags.head);
    assert_string_equal(prog->diags.head->rule, rule);
    assert_string_equal(prog->diags.head->message, message);
}

static void test_resolve_orders_layers_topologically(void **state)
{
    (void)state;
    /* Written consumer first: the order follows the edges, and among
     * ready layers the one written first. */
    struct kpl_program *prog = resolve_text(
        "network n {\n"
        "    fc c <- b [K=2];\n"
        "    fc b <- a [K=3];\n"
        "    fc d <- a [K=4];\n"
        "    fc a <- i [K=5];\n"
        "    input i [C=1, H=1, W=1];\n"
        "}\n");
    assert_int_equal(prog->diags.nerrors, 0);
    const struct kpl_network *net = kpl_program_network(prog, "n");
    assert_non_null(net);
    assert_int_equal(net->nlayer, 4);
    const char *want[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(net->layers[i].name, want[i]);
    }
    /* c reads b, which is now layer 1. */
    assert_false(net->layers[2].prev[0].is_input);
    assert_int_equal(net->layers[2].prev[0].index, 1);
    assert_int_equal(net->layers[2].c, 3);
    kpl_program_free(prog);
}

static void test_resolve_reports_cycle(void **state)
{
    (void)state;
    struct kpl_program *prog = resolve_text(
        "network n {\n"
        "    input i [C=1, H=1, W=1];\n"
        "    fc a <- b [K=1];\n"
        "    fc b <- a [K=1];\n"
        "}\n");
    assert_first_error(prog, "cycle",
                       "layer 'a' depends on itself through a cycle");
    assert_null(kpl_program_network(prog, "n"));
    kpl_program_free(prog);
}

static void test_resolve_infers_shapes_and_padding(void **state)
{
    (void)state;
    struct kpl_program *prog = resolve_text(
        "network n {\n"
        "    input i [C=3, H=224, W=224];\n"
        "    conv c1 <- i [K=64, H=112, W=112] window 7 stride 2;\n"
        "    pool p1 <- c1 [H=56, W=56] window 3 stride 2;\n"
        "    conv a <- p1 [K=8, H=56, W=56];\n"
        "    conv b <- p1 [K=24, H=56, W=56] window 3;\n"
        "    eltwise e <- a, a;\n"
        "    conv cat <- a, b [K=4, H=56, W=56];\n"
        "    fc f <- cat [K=10];\n"
        "}\n");
    assert_int_equal(prog->diags.nerrors, 0);
    const struct kpl_network *net = kpl_program_network(prog, "n");
    const struct kpl_layer *c1 = &net->layers[0];
    /* 111 * 2 + 7 = 229 rows from 224: 5 rows of padding, 2 before. */
    assert_int_equal(c1->xi, 229);
    assert_int_equal(c1->pad_x, 2);
    const struct kpl_layer *p1 = &net->layers[1];
    assert_int_equal(p1->k, 64);
    assert_int_equal(p1->c, 1); /* pool: the C loop is 1 */
    const struct kpl_layer *e = &net->layers[4];
    assert_int_equal(e->c, 2); /* eltwise: C counts operands */
    assert_int_equal(e->k, 8);
    assert_int_equal(net->layers[5].c, 32); /* channels concatenate */
    const struct kpl_layer *f = &net->layers[6];
    assert_int_equal(f->r, 56); /* fc: the window is its input */
    assert_int_equal(kpl_layer_ops(f, 2), 2LL * 4 * 10 * 56 * 56);
    kpl_program_free(prog);
}

static void test_resolve_rejects_inconsistent_shapes(void **state)
{
    (void)state;
    struct kpl_program *prog = resolve_text(
        "network n {\n"
        "    input i [C=3, H=8, W=8];\n"
        "    conv c <- i [C=4, K=8, H=8, W=8] window 3;\n"
        "}\n");
    assert_first_error(prog, "shape",
                       "'c' declares C=4 but its producers give 3 channels");
    kpl_program_free(prog);

    prog = resolve_text("network n {\n"
                        "    input i [C=3, H=8, W=8];\n"
                        "    conv c <- i [K=8, H=8, W=8] window 3 stride 2;\n"
                        "}\n");
    assert_first_error(prog, "shape",
                       "'c' needs 17 input rows for 8 outputs (window 3, "
                       "stride 2) but its input has only 8: the implied "
                       "padding 9 exceeds the window");
    kpl_program_free(prog);
}

static void test_resolve_accepts_whole_fc_window_and_widest_pad(void **state)
{
    (void)state;
    struct kpl_program *prog = resolve_text(
        "network n {\n"
        "    input i [C=2, H=6, W=4];\n"
        "    fc f <- i [K=3] window 6 x 4;\n"
        "    conv c <- i [K=2, H=6, W=4] window 3 pad 2;\n"
        "}\n");
    assert_int_equal(prog->diags.nerrors, 0);
    const struct kpl_network *net = kpl_program_network(prog, "n");
    assert_non_null(net);
    /* The written fc window is the input's size, as an unwritten one. */
    assert_int_equal(net->layers[0].r, 6);
    assert_int_equal(net->layers[0].s, 4);
    /* Window 3: a pad of 2 on each side is the most allowed. */
    assert_int_equal(net->layers[1].pad_x, 2);
    assert_int_equal(net->layers[1].pad_y, 2);
    kpl_program_free(prog);
}

static void test_resolve_rejects_pad_wider_than_window(void **state)
{
    (void)state;
    struct kpl_program *prog = resolve_text(
        "network n {\n"
        "    input i [C=2, H=8, W=8];\n"
        "    conv c <- i [K=2, H=8, W=8] window 3 pad 3 x 1;\n"
        "}\n");
    assert_first_error(prog, "shape",
                       "'c' pads 3 rows on each side but its window of 3 "
                       "allows at most 2");
    assert_null(kpl_program_network(prog, "n"));
    kpl_program_free(prog);
}

static void test_resolve_derives_training_layers(void **state)
{
    (void)state;
    struct kpl_program *prog = resolve_text(
        "network n {\n"
        "    input i [C=2, H=4, W=4];\n"
        "    conv a <- i [K=4, H=4, W=4] window 3;\n"
        "    pool p <- a [H=2, W=2] window 2 stride 2;\n"
        "    fc f <- p [K=3];\n"
        "    training;\n"
        "}\n");
    assert_int_equal(prog->diags.nerrors, 0);
    const struct kpl_network *net = kpl_program_network(prog, "n");
    /* Forward 3; f.dx f.dw p.dx a.dw (a reads only the input: no a.dx). */
    assert_int_equal(net->nlayer, 7);
    const char *want[] = {"f.dx", "f.dw", "p.dx", "a.dw"};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(net->layers[3 + i].name, want[i]);
    }
    assert_int_equal(net->layers[3].out, KPL_TENSOR_IFM);
    assert_int_equal(net->layers[4].out, KPL_TENSOR_WGT);
    /* Same iteration space, so the same MACs as the forward layer. */
    assert_int_equal(kpl_layer_ops(&net->layers[6], 8),
                     kpl_layer_ops(&net->layers[0], 8));
    kpl_program_free(prog);
}

static void test_resolve_evaluates_parameters(void **state)
{
    (void)state;
    int64_t v = 0;
    struct kpl_expr two = {.kind = KPL_EXPR_NUMBER, .value = 2};
    struct kpl_expr zero = {.kind = KPL_EXPR_NUMBER, .value = 0};
    struct kpl_expr seven = {.kind = KPL_EXPR_NUMBER, .value = -7};
    struct kpl_expr b = {.kind = KPL_EXPR_PARAM, .name = "B"};
    struct kpl_param ps[] = {{.name = "B", .value = 9}};
    struct kpl_expr div = {.kind = KPL_EXPR_DIV, .lhs = &b, .rhs = &two};
    assert_true(kpl_expr_eval(&div, ps, 1, &v));
    assert_int_equal(v, 4);
    struct kpl_expr neg = {.kind = KPL_EXPR_DIV, .lhs = &seven, .rhs = &two};
    assert_true(kpl_expr_eval(&neg, ps, 1, &v));
    assert_int_equal(v, -4); /* rounds down */

    const struct kpl_expr *culprit = NULL;
    struct kpl_expr bad = {.kind = KPL_EXPR_DIV, .lhs = &b, .rhs = &zero};
    assert_int_equal(kpl_expr_eval_why(&bad, ps, 1, &v, &culprit),
                     KPL_EVAL_DIV_ZERO);
    assert_ptr_equal(culprit, &bad);
    assert_int_equal(kpl_expr_eval_why(&div, NULL, 0, &v, &culprit),
                     KPL_EVAL_UNKNOWN_PARAM);
    assert_ptr_equal(culprit, &b);
    struct kpl_expr big = {.kind = KPL_EXPR_NUMBER, .value = INT64_MAX};
    struct kpl_expr sum = {.kind = KPL_EXPR_ADD, .lhs = &big, .rhs = &two};
    assert_int_equal(kpl_expr_eval_why(&sum, NULL, 0, &v, &culprit),
                     KPL_EVAL_OVERFLOW);
}

static void test_resolve_finds_bundles_by_identifier(void **state)
{
    (void)state;
    struct kpl_program *prog = resolve_text("import mlp_l;\n"
                                            "import multinode_4x4;\n");
    assert_int_equal(prog->diags.nerrors, 0);
    assert_non_null(kpl_program_network(prog, "mlp_l"));
    assert_non_null(kpl_program_arch(prog, "multinode_4x4"));
    kpl_program_free(prog);

    prog = resolve_text("import nosuchnet;\n");
    assert_first_error(prog, "import",
                       "no bundled network or preset named 'nosuchnet'");
    kpl_program_free(prog);
}

static void test_resolve_scheme_without_segments_is_whole_mesh(void **state)
{
    (void)state;
    struct kpl_program *prog = resolve_text(
        "import eyeriss;\n"
        "network n { input i [C=1, H=1, W=1]; fc f <- i [K=2]; }\n"
        "scheme s for n on eyeriss batch 3 {\n"
        "    segment { f };\n"
        "    layer f {\n"
        "        regf { tensor wgt (C=1, K=1); tensor ifm (N=1, C=1);\n"
        "               tensor ofm (N=1, K=1); update (K+=1); }\n"
        "        gbuf { tensor wgt (C=1, K=2); tensor ifm (N=3, C=1);\n"
        "               tensor ofm (N=3, K=2); }\n"
        "    }\n"
        "}\n");
    assert_int_equal(prog->diags.nerrors, 0);
    const struct kpl_scheme *s = prog->schemes[0];
    assert_non_null(s);
    assert_int_equal(s->batch, 3);
    assert_int_equal(s->segments[0].regions[0].row1, 1);
    /* The REGF update walks K over the GBUF tile: 2 trips. */
    assert_int_equal(s->maps[0].level[KPL_LEVEL_REGF].updates[0].count, 2);
    kpl_program_free(prog);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_orders_layers_topologically),
        cmocka_unit_test(test_resolve_reports_cycle),
        cmocka_unit_test(test_resolve_infers_shapes_and_padding),
        cmocka_unit_test(test_resolve_rejects_inconsistent_shapes),
        cmocka_unit_test(test_resolve_accepts_whole_fc_window_and_widest_pad),
        cmocka_unit_test(test_resolve_rejects_pad_wider_than_window),
        cmocka_unit_test(test_resolve_derives_training_layers),
        cmocka_unit_test(test_resolve_evaluates_parameters),
        cmocka_unit_test(test_resolve_finds_bundles_by_identifier),
        cmocka_unit_test(test_resolve_scheme_without_segments_is_whole_mesh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
