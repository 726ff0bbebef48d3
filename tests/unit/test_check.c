/*
 * Unit tests of the validity rules (checker/check.c): for each rule a
 * passing and a failing case, with the exact diagnostic text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

static void test_check_conv2_a_passes(void **state)
{
    struct world *w = *state;
    struct kpl_scheme *scheme = fx_conv2_a(w->arena, fx_arch_multinode(w->arena));
    const struct kpl_layer *layer = &scheme->net->layers[0];

    assert_int_equal(kpl_level_words(layer, &scheme->maps[0].level[0]), 17);
    assert_int_equal(kpl_arch_words(scheme->arch, KPL_LEVEL_REGF), 32);
    assert_int_equal(kpl_level_words(layer, &scheme->maps[0].level[1]), 5690);
    assert_int_equal(kpl_arch_words(scheme->arch, KPL_LEVEL_GBUF), 16384);
    expect_text(w, scheme, "");
    assert_int_equal(w->diags.nerrors, 0);
    assert_int_equal(w->diags.nwarnings, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check_conv2_a_passes, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
