/*
 * Unit tests of the JSON and SARIF renderers (base/render.h): paths made
 * relative to the base directory, line and code-point columns, notes as
 * related locations, escaping, and the rule table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/render.h"

struct world {
    struct kpl_arena *arena;
    struct kpl_diags diags;
    struct kpl_source *src;
    struct kpl_buf out;
};

/* Line 2 holds a two-byte character before the directive. */
static const char text[] =
    "scheme s {\n"
    "  \xc3\xa9 stack (K+=16) x 8;\n"
    "  tensor \"wgt\";\n";

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    w->arena = kpl_arena_new();
    kpl_diags_init(&w->diags, w->arena);
    w->src = kpl_source_new(w->arena, "/repo/examples/a b.kapla", text,
                            sizeof text - 1);
    kpl_buf_init(&w->out);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    kpl_buf_free(&w->out);
    kpl_arena_free(w->arena);
    free(w);
    return 0;
}

static struct kpl_span span_of(struct world *w, const char *needle)
{
    const char *at = strstr(w->src->text, needle);
    struct kpl_span span = {w->src, (uint32_t)(at - w->src->text),
                            (uint32_t)(at - w->src->text + strlen(needle))};
    return span;
}

static void add_sample(struct world *w)
{
    struct kpl_diag *d = kpl_error(&w->diags, "fan-out",
                                   span_of(w, "stack (K+=16) x 8"),
                                   "gbuf stacks %d copies", 128);
    kpl_diag_note(&w->diags, d, span_of(w, "tensor"), "see \"%s\"", "wgt");
    kpl_warning(&w->diags, "prove-unknown", kpl_span_none(), "no location");
}

static void test_render_relative_path(void **state)
{
    (void)state;
    assert_string_equal(kpl_render_relative_path("/repo/x/y.kapla", "/repo"),
                        "x/y.kapla");
    assert_string_equal(kpl_render_relative_path("/repo/x/y.kapla", "/repo/"),
                        "x/y.kapla");
    assert_string_equal(kpl_render_relative_path("/repository/y", "/repo"),
                        "/repository/y");
    assert_string_equal(kpl_render_relative_path("./a/b", "/repo"), "a/b");
    assert_string_equal(kpl_render_relative_path("/abs", NULL), "/abs");
}

static void test_render_json_locations(void **state)
{
    struct world *w = *state;
    add_sample(w);
    kpl_diags_render_json(&w->diags, "/repo", &w->out);
    const char *json = w->out.data;
    assert_non_null(strstr(json, "\"errors\": 1"));
    assert_non_null(strstr(json, "\"warnings\": 1"));
    /* "é" is one code point: the stack starts at column 5 of line 2 and
     * its 17 characters end (exclusive) at column 22. */
    assert_non_null(strstr(json, "\"file\": \"examples/a b.kapla\", "
                                 "\"line\": 2, \"column\": 5, "
                                 "\"end_line\": 2, \"end_column\": 22"));
    assert_non_null(strstr(json, "\"message\": \"see \\\"wgt\\\"\""));
    assert_non_null(strstr(json, "\"rule\": \"prove-unknown\", "
                                 "\"message\": \"no location\", "
                                 "\"notes\": []"));
}

static void test_render_sarif_shape(void **state)
{
    struct world *w = *state;
    add_sample(w);
    kpl_diags_render_sarif(&w->diags, "/repo", &w->out);
    const char *s = w->out.data;
    assert_non_null(strstr(s, "\"version\": \"2.1.0\""));
    assert_non_null(strstr(s, "\"$schema\": \"https://"));
    assert_non_null(strstr(s, "\"name\": \"kaplac\""));
    assert_non_null(strstr(s, "\"columnKind\": \"unicodeCodePoints\""));
    assert_non_null(strstr(s, "{\"id\": \"coverage\", \"shortDescription\""));
    assert_non_null(strstr(s, "\"ruleId\": \"fan-out\""));
    assert_non_null(strstr(s, "\"level\": \"error\""));
    assert_non_null(strstr(s, "\"level\": \"warning\""));
    /* The space is percent-encoded and the uri relative to SRCROOT. */
    assert_non_null(strstr(s, "\"uri\": \"examples/a%20b.kapla\", "
                              "\"uriBaseId\": \"SRCROOT\""));
    assert_non_null(strstr(s, "\"SRCROOT\": {\"uri\": \"file:///repo/\"}"));
    assert_non_null(strstr(s, "\"startLine\": 2, \"startColumn\": 5, "
                              "\"endLine\": 2, \"endColumn\": 22"));
    assert_non_null(strstr(s, "\"relatedLocations\": [{\"id\": 0, "
                              "\"message\": {\"text\": \"see \\\"wgt\\\"\"}, "
                              "\"physicalLocation\""));
    assert_non_null(strstr(s, "\"startLine\": 3, \"startColumn\": 3"));
    /* The warning without a source has no location at all. */
    assert_non_null(strstr(s, "\"text\": \"no location\"}, \"locations\": []"));
}

static void test_render_sarif_unknown_rule_listed(void **state)
{
    struct world *w = *state;
    kpl_error(&w->diags, "brand-new", span_of(w, "tensor"), "odd");
    kpl_diags_render_sarif(&w->diags, NULL, &w->out);
    assert_non_null(strstr(w->out.data, "{\"id\": \"brand-new\", "
                                        "\"shortDescription\": {\"text\": "
                                        "\"brand-new\"}"));
    /* Without a base directory the absolute path becomes a file URI. */
    assert_non_null(strstr(w->out.data,
                           "\"uri\": \"file:///repo/examples/a%20b.kapla\""));
    assert_null(strstr(w->out.data, "originalUriBaseIds"));
}

static void test_render_empty(void **state)
{
    struct world *w = *state;
    kpl_diags_render_json(&w->diags, NULL, &w->out);
    assert_non_null(strstr(w->out.data, "\"diagnostics\": []"));
    kpl_buf_free(&w->out);
    kpl_buf_init(&w->out);
    kpl_diags_render_sarif(&w->diags, NULL, &w->out);
    assert_non_null(strstr(w->out.data, "\"results\": []"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_relative_path),
        cmocka_unit_test_setup_teardown(test_render_json_locations, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_render_sarif_shape, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_render_sarif_unknown_rule_listed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_render_empty, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
