/*
 * Canonical printer tests: exact layout, minimal parentheses, structural
 * equality, and the round trip parse -> print -> parse (equal AST) and
 * print -> parse -> print (same text) on every example of
 * docs/language.md and every file under examples/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parse.h"
#include "parser/print.h"

/* ---- helpers ---- */

/* The whole file, NUL-terminated, malloc'd; NULL when unreadable. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long size = 0;

    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0
        && fseek(f, 0, SEEK_SET) == 0) {
        text = malloc((size_t)size + 1);
    }
    if (text != NULL) {
        *len = fread(text, 1, (size_t)size, f);
        text[*len] = '\0';
    }
    fclose(f);
    return text;
}

/* Parses text into arena; fails the test on any diagnostic. */
static struct kpl_ast_file *parse_clean(struct kpl_arena *arena,
                                        const char *name, const char *text,
                                        size_t len)
{
    struct kpl_diags diags;
    struct kpl_source *src = NULL;
    struct kpl_ast_file *file = NULL;
    struct kpl_buf out;

    kpl_diags_init(&diags, arena);
    src = kpl_source_new(arena, name, text, len);
    assert_non_null(src);
    file = kpl_parse(arena, src, &diags);
    assert_non_null(file);
    kpl_buf_init(&out);
    kpl_diags_render_text(&diags, &out);
    if (diags.count != 0) {
        print_message("%s", out.data);
    }
    kpl_buf_free(&out);
    assert_int_equal(diags.count, 0);
    return file;
}

/* Parses, prints, parses the print and prints again: both must agree. */
static void check_round_trip(const char *name, const char *text, size_t len)
{
    struct kpl_arena *arena = kpl_arena_new();
    struct kpl_buf first;
    struct kpl_buf second;

    kpl_buf_init(&first);
    kpl_buf_init(&second);
    struct kpl_ast_file *parsed = parse_clean(arena, name, text, len);
    kpl_print_file(parsed, &first);
    assert_false(first.failed);

    struct kpl_ast_file *reparsed =
        parse_clean(arena, "printed", first.data ? first.data : "",
                    first.len);
    if (!kpl_ast_file_equal(parsed, reparsed)) {
        print_message("%s: print changed the AST:\n%s", name, first.data);
        fail();
    }
    kpl_print_file(reparsed, &second);
    assert_string_equal(first.data ? first.data : "",
                        second.data ? second.data : "");

    kpl_buf_free(&first);
    kpl_buf_free(&second);
    kpl_arena_free(arena);
}

/* The canonical text of source, which must parse cleanly. */
static void expect_printed(const char *source, const char *expected)
{
    struct kpl_arena *arena = kpl_arena_new();
    struct kpl_buf out;

    kpl_buf_init(&out);
    kpl_print_file(parse_clean(arena, "t", source, strlen(source)), &out);
    assert_string_equal(out.data ? out.data : "", expected);
    kpl_buf_free(&out);
    kpl_arena_free(arena);
}

/* ---- layout ---- */

static void test_printer_normalises_layout(void **state)
{
    (void)state;
    expect_printed(
        "import   \"lib/a \\\"q\\\".kapla\" ; import base;"
        "arch m{nodes 16 x 16;dram corners,bandwidth 51.2 B / cycle;"
        "rowstationary;}\n"
        "network n {  input  image [C=3,H=8] ;"
        "conv c <- image,x[K=4]window 3 x 1 stride 2;flag;}",
        "import \"lib/a \\\"q\\\".kapla\";\n"
        "import base;\n"
        "\n"
        "arch m {\n"
        "    nodes 16 x 16;\n"
        "    dram corners, bandwidth 51.2 B/cycle;\n"
        "    rowstationary;\n"
        "}\n"
        "\n"
        "network n {\n"
        "    input image [C=3, H=8];\n"
        "    conv c <- image, x [K=4] window 3 x 1 stride 2;\n"
        "    flag;\n"
        "}\n");
}

static void test_printer_orders_scheme_body(void **state)
{
    (void)state;
    expect_printed(
        "scheme s for n on m batch 2*B {\n"
        "  layer b { regf { update (C+=1); } }\n"
        "  segment { a [0:2, 0:2], b [0:2, 2:4] };\n"
        "  param B = 16 in [1, 64];\n"
        "  layer a { gbuf { tensor ifm (N=1, C=4) shared 8;\n"
        "                   stack (K+=16) x 8; } regf { } }\n"
        "  segment { a, b } nodes [0:16, 0:8];\n"
        "}\n",
        "scheme s for n on m batch 2 * B {\n"
        "    param B = 16 in [1, 64];\n"
        "    segment { a [0:2, 0:2], b [0:2, 2:4] };\n"
        "    segment { a, b } nodes [0:16, 0:8];\n"
        "    layer b {\n"
        "        regf {\n"
        "            update (C+=1);\n"
        "        }\n"
        "    }\n"
        "\n"
        "    layer a {\n"
        "        gbuf {\n"
        "            tensor ifm (N=1, C=4) shared 8;\n"
        "            stack (K+=16) x 8;\n"
        "        }\n"
        "        regf {\n"
        "        }\n"
        "    }\n"
        "}\n");
}

static void test_printer_prints_empty_file_as_nothing(void **state)
{
    (void)state;
    expect_printed("# only a comment\n", "");
}

/* ---- expressions ---- */

static struct kpl_expr *num(struct kpl_arena *arena, int64_t value)
{
    struct kpl_expr *e = kpl_arena_alloc(arena, sizeof *e);
    e->kind = KPL_EXPR_NUMBER;
    e->value = value;
    return e;
}

static struct kpl_expr *op(struct kpl_arena *arena, enum kpl_expr_kind kind,
                           struct kpl_expr *lhs, struct kpl_expr *rhs)
{
    struct kpl_expr *e = kpl_arena_alloc(arena, sizeof *e);
    e->kind = kind;
    e->lhs = lhs;
    e->rhs = rhs;
    return e;
}

static void expect_expr(const struct kpl_expr *e, const char *expected)
{
    struct kpl_buf out;

    kpl_buf_init(&out);
    kpl_print_expr(e, &out);
    assert_string_equal(out.data, expected);
    kpl_buf_free(&out);
}

static void test_printer_uses_minimal_parentheses(void **state)
{
    struct kpl_arena *a = kpl_arena_new();
    (void)state;

    struct kpl_expr *sum = op(a, KPL_EXPR_ADD, num(a, 1), num(a, 2));
    struct kpl_expr *diff = op(a, KPL_EXPR_SUB, num(a, 3), num(a, 4));
    expect_expr(op(a, KPL_EXPR_MUL, sum, num(a, 5)), "(1 + 2) * 5");
    expect_expr(op(a, KPL_EXPR_ADD, num(a, 5), op(a, KPL_EXPR_MUL,
                                                 num(a, 6), num(a, 7))),
                "5 + 6 * 7");
    expect_expr(op(a, KPL_EXPR_SUB, diff, num(a, 5)), "3 - 4 - 5");
    expect_expr(op(a, KPL_EXPR_SUB, num(a, 5), diff), "5 - (3 - 4)");
    expect_expr(op(a, KPL_EXPR_ADD, num(a, 5), sum), "5 + (1 + 2)");
    expect_expr(op(a, KPL_EXPR_DIV, num(a, 8),
                   op(a, KPL_EXPR_MUL, num(a, 2), num(a, 2))),
                "8 / (2 * 2)");
    expect_expr(op(a, KPL_EXPR_NEG, sum, NULL), "-(1 + 2)");
    expect_expr(op(a, KPL_EXPR_MUL, num(a, 2),
                   op(a, KPL_EXPR_NEG, num(a, 3), NULL)),
                "2 * -3");
    expect_expr(op(a, KPL_EXPR_NEG, op(a, KPL_EXPR_NEG, num(a, 3), NULL),
                   NULL),
                "--3");
    kpl_arena_free(a);
}

/* Numbers the parser cannot produce still print as valid expressions. */
static void test_printer_prints_negative_numbers(void **state)
{
    struct kpl_arena *a = kpl_arena_new();
    (void)state;

    expect_expr(num(a, -7), "-7");
    expect_expr(op(a, KPL_EXPR_SUB, num(a, 1), num(a, -7)), "1 - -7");
    expect_expr(num(a, INT64_MIN), "(-9223372036854775807 - 1)");
    kpl_arena_free(a);
}

/* Words built without source text (by the solver) print their value. */
static void test_printer_prints_words_without_text(void **state)
{
    struct kpl_word unit = {.kind = KPL_WORD_IDENT, .text = "pJ"};
    struct kpl_word third = {.kind = KPL_WORD_NUMBER, .number = 1.0 / 3.0,
                             .next = &unit};
    struct kpl_word gbuf = {.kind = KPL_WORD_NUMBER, .number = 2.8325,
                            .next = &third};
    struct kpl_clause clause = {.words = &gbuf};
    struct kpl_prop prop = {.key = "energy", .clauses = &clause};
    struct kpl_ast_arch arch = {.name = "a", .props = &prop};
    struct kpl_buf out;
    (void)state;

    kpl_buf_init(&out);
    kpl_print_arch(&arch, &out);
    assert_string_equal(out.data, "arch a {\n"
                                  "    energy 2.8325 0.33333333333333331 pJ;\n"
                                  "}\n");
    kpl_buf_free(&out);
}

/* ---- equality ---- */

static void test_equality_ignores_spans_not_content(void **state)
{
    struct kpl_arena *arena = kpl_arena_new();
    (void)state;

    const char *base = "network n { conv a <- b [K=4] window 3; }";
    const char *spaced = "network n {\n  conv  a<-b[ K = 4 ]window 3 ;\n}";
    const char *changed[] = {
        "network n { conv a <- b [K=5] window 3; }",
        "network n { conv a <- b [K=4] window 3 x 3; }",
        "network n { conv a <- b [C=4] window 3; }",
        "network n { conv a <- c [K=4] window 3; }",
        "network n { conv a <- b window 3; }",
        "network n { conv a <- b [K=4] window 3; training; }",
        "network m { conv a <- b [K=4] window 3; }",
    };
    struct kpl_ast_file *a =
        parse_clean(arena, "a", base, strlen(base));
    struct kpl_ast_file *b =
        parse_clean(arena, "b", spaced, strlen(spaced));
    assert_true(kpl_ast_file_equal(a, b));
    for (size_t i = 0; i < sizeof changed / sizeof changed[0]; i++) {
        struct kpl_ast_file *c =
            parse_clean(arena, "c", changed[i], strlen(changed[i]));
        assert_false(kpl_ast_file_equal(a, c));
        assert_false(kpl_ast_file_equal(c, a));
    }
    kpl_arena_free(arena);
}

static void test_equality_compares_expression_trees(void **state)
{
    struct kpl_arena *arena = kpl_arena_new();
    (void)state;

    const char *x = "scheme s for n on m batch (1 + 2) * 3 { }";
    const char *y = "scheme s for n on m batch 1 + 2 * 3 { }";
    const char *z = "scheme s for n on m batch ((1 + 2)) * (3) { }";
    struct kpl_ast_file *fx = parse_clean(arena, "x", x, strlen(x));
    struct kpl_ast_file *fy = parse_clean(arena, "y", y, strlen(y));
    struct kpl_ast_file *fz = parse_clean(arena, "z", z, strlen(z));
    assert_false(kpl_ast_file_equal(fx, fy));
    assert_true(kpl_ast_file_equal(fx, fz));
    kpl_arena_free(arena);
}

/* ---- round trips ---- */

static void test_round_trip_tricky_cases(void **state)
{
    static const char *const cases[] = {
        "scheme s for n on m batch -(-B) - -(3 - 4) * -(5 / (6 * 7)) {"
        " param B = -1 in [-(2), 8 - 9 - 10]; }",
        "arch a { x x x, in on / for; nodes 1e3 0.5 1.5e-3; }",
        "network x { conv x <- x [] window 1 x 2; }",
        "import \"\\\\\\\"\";",
        "scheme s for x on x batch 1 { segment { x } nodes [0:1, 0:1];"
        " layer x { } }",
    };
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_round_trip(cases[i], cases[i], strlen(cases[i]));
    }
}

/*
 * Every ```kapla block of the language reference parses cleanly and
 * round-trips; every ```kapla-error block reports at least one error.
 */
static void test_round_trip_language_examples(void **state)
{
    size_t len = 0;
    char *doc = read_file(KPL_SOURCE_DIR "/docs/language.md", &len);
    int clean = 0;
    int failing = 0;
    (void)state;

    assert_non_null(doc);
    for (char *at = strstr(doc, "\n```kapla"); at != NULL;
         at = strstr(at, "\n```kapla")) {
        at++;
        bool expect_error = strncmp(at, "```kapla-error\n", 15) == 0;
        assert_true(expect_error || strncmp(at, "```kapla\n", 9) == 0);
        char *body = strchr(at, '\n') + 1;
        char *end = strstr(body, "\n```");
        assert_non_null(end);
        end++;

        if (expect_error) {
            struct kpl_arena *arena = kpl_arena_new();
            struct kpl_diags diags;
            kpl_diags_init(&diags, arena);
            struct kpl_source *src = kpl_source_new(
                arena, "doc", body, (size_t)(end - body));
            assert_non_null(kpl_parse(arena, src, &diags));
            assert_true(diags.nerrors > 0);
            kpl_arena_free(arena);
            failing++;
        } else {
            check_round_trip("docs/language.md", body, (size_t)(end - body));
            clean++;
        }
        at = end + 3;
    }
    assert_true(clean >= 5);
    assert_true(failing >= 1);
    free(doc);
}

static void test_round_trip_example_files(void **state)
{
    glob_t found;
    (void)state;

    memset(&found, 0, sizeof found);
    int status = glob(KPL_SOURCE_DIR "/examples/*/*.kapla", 0, NULL, &found);
    assert_int_equal(status, 0);
    assert_true(found.gl_pathc > 0);
    for (size_t i = 0; i < found.gl_pathc; i++) {
        size_t len = 0;
        char *text = read_file(found.gl_pathv[i], &len);
        assert_non_null(text);
        check_round_trip(found.gl_pathv[i], text, len);
        free(text);
    }
    globfree(&found);
}

/*
 * Whatever the parser recovers from random token soup is a well-formed
 * tree: it prints, and the print parses cleanly back to an equal tree.
 */
static void test_round_trip_recovered_trees(void **state)
{
    static const char *const tokens[] = {
        "import a;", "arch", "network", "scheme s for n on a batch",
        "param P = 1 in [1, 2];", "segment", "nodes", "layer", "tensor",
        "shared", "stack", "update", "x", "a", "K", "12", "3.5", "{", "}",
        "[", "]", "(", ")", ";", ";", ",", "=", "<-", "+=", ":", "/", "*",
        "+", "-", "regf {", "K+=2", "conv c <- a", "[0:1, 2:3]",
    };
    size_t ntokens = sizeof tokens / sizeof tokens[0];
    uint64_t seed = 0x2545F4914F6CDD1Du;
    int nonempty = 0;
    (void)state;

    for (int round = 0; round < 4000; round++) {
        struct kpl_arena *arena = kpl_arena_new();
        struct kpl_diags diags;
        struct kpl_buf soup;
        struct kpl_buf printed;
        int count = 1 + (int)(seed % 60);

        kpl_buf_init(&soup);
        for (int i = 0; i < count; i++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            kpl_buf_puts(&soup, tokens[seed % ntokens]);
            kpl_buf_puts(&soup, " ");
        }
        kpl_diags_init(&diags, arena);
        struct kpl_ast_file *file = kpl_parse(
            arena, kpl_source_new(arena, "soup", soup.data, soup.len),
            &diags);
        assert_non_null(file);
        kpl_buf_init(&printed);
        kpl_print_file(file, &printed);
        if (printed.len > 0) {
            nonempty++;
            check_round_trip(soup.data, printed.data, printed.len);
        }
        kpl_buf_free(&printed);
        kpl_buf_free(&soup);
        kpl_arena_free(arena);
    }
    assert_true(nonempty > 100);
}

/* ---- random valid programs ---- */

static uint64_t gen_state = 0x853C49E6748FEA9Bu;

static unsigned pick(unsigned n)
{
    gen_state ^= gen_state << 13;
    gen_state ^= gen_state >> 7;
    gen_state ^= gen_state << 17;
    return (unsigned)(gen_state % n);
}

/* Appends a token after random blank space or a comment. */
static void tok(struct kpl_buf *out, const char *text)
{
    static const char *const gaps[] = {" ", "  ", "\n", "\t", " # c\n"};
    kpl_buf_puts(out, gaps[pick(5)]);
    kpl_buf_puts(out, text);
}

static void gen_expr(struct kpl_buf *out, int depth)
{
    static const char *const atoms[] = {"0", "7", "64", "B", "P_2", "n.x"};
    static const char *const ops[] = {"+", "-", "*", "/"};
    unsigned choice = depth > 3 ? 0 : pick(5);

    if (choice <= 1) {
        tok(out, atoms[pick(6)]);
    } else if (choice == 2) {
        tok(out, "-");
        gen_expr(out, depth + 1);
    } else if (choice == 3) {
        tok(out, "(");
        gen_expr(out, depth + 1);
        tok(out, ")");
    } else {
        gen_expr(out, depth + 1);
        tok(out, ops[pick(4)]);
        gen_expr(out, depth + 1);
    }
}

static void gen_name(struct kpl_buf *out)
{
    static const char *const names[] = {"a", "x", "conv1.dx", "b_2", "L"};
    tok(out, names[pick(5)]);
}

/* `(D=e, ...)` or `(D+=e, ...)`, at least `min` entries */
static void gen_pairs(struct kpl_buf *out, const char *sep, unsigned min)
{
    static const char *const dims[] = {"N", "C", "K", "Xi", "Yo"};
    unsigned count = min + pick(3);

    for (unsigned i = 0; i < count; i++) {
        if (i > 0) {
            tok(out, ",");
        }
        tok(out, dims[pick(5)]);
        tok(out, sep);
        gen_expr(out, 0);
    }
}

static void gen_arch(struct kpl_buf *out)
{
    static const char *const words[] = {
        "16", "x", "51.2", "1e3", "B/cycle", "pJ", "per", "node", "in",
        "nodes", "KiB / s",
    };
    tok(out, "arch");
    gen_name(out);
    tok(out, "{");
    for (unsigned p = pick(4); p > 0; p--) {
        tok(out, pick(2) ? "gbuf" : "layer");
        for (unsigned c = pick(3); c > 0; c--) {
            for (unsigned w = 1 + pick(3); w > 0; w--) {
                tok(out, words[pick(11)]);
            }
            tok(out, c > 1 ? "," : "");
        }
        tok(out, ";");
    }
    tok(out, "}");
}

static void gen_network(struct kpl_buf *out)
{
    tok(out, "network");
    gen_name(out);
    tok(out, "{");
    for (unsigned s = pick(4); s > 0; s--) {
        tok(out, pick(4) == 0 ? "training" : "conv");
        if (pick(4) == 0) {
            tok(out, ";");
            continue;
        }
        gen_name(out);
        unsigned prevs = pick(3);
        for (unsigned i = 0; i < prevs; i++) {
            tok(out, i == 0 ? "<-" : ",");
            gen_name(out);
        }
        if (pick(2)) {
            tok(out, "[");
            if (pick(3)) {
                gen_pairs(out, "=", 1);
            }
            tok(out, "]");
        }
        for (unsigned o = pick(3); o > 0; o--) {
            tok(out, "window");
            gen_expr(out, 0);
            if (pick(2)) {
                tok(out, "x");
                gen_expr(out, 0);
            }
        }
        tok(out, ";");
    }
    tok(out, "}");
}

static void gen_region(struct kpl_buf *out)
{
    tok(out, "[");
    gen_expr(out, 2);
    tok(out, ":");
    gen_expr(out, 2);
    tok(out, ",");
    gen_expr(out, 2);
    tok(out, ":");
    gen_expr(out, 2);
    tok(out, "]");
}

static void gen_directive(struct kpl_buf *out)
{
    unsigned kind = pick(3);

    tok(out, kind == 0 ? "tensor ifm (" : kind == 1 ? "stack (" : "update (");
    gen_pairs(out, kind == 0 ? "=" : "+=", kind == 0 ? 0 : 1);
    tok(out, ")");
    if (kind == 0 && pick(2)) {
        tok(out, "shared");
        gen_expr(out, 0);
    } else if (kind == 1) {
        tok(out, "x");
        gen_expr(out, 0);
    }
    tok(out, ";");
}

static void gen_scheme(struct kpl_buf *out)
{
    tok(out, "scheme");
    gen_name(out);
    tok(out, "for");
    gen_name(out);
    tok(out, "on");
    gen_name(out);
    tok(out, "batch");
    gen_expr(out, 0);
    tok(out, "{");
    for (unsigned s = pick(6); s > 0; s--) {
        unsigned kind = pick(3);
        if (kind == 0) {
            tok(out, "param B =");
            gen_expr(out, 0);
            tok(out, "in [");
            gen_expr(out, 0);
            tok(out, ",");
            gen_expr(out, 0);
            tok(out, "] ;");
        } else if (kind == 1) {
            bool shared = pick(2);
            tok(out, "segment {");
            for (unsigned i = 1 + pick(3); i > 0; i--) {
                gen_name(out);
                if (!shared || pick(3) == 0) {
                    gen_region(out);
                }
                tok(out, i > 1 ? "," : "");
            }
            tok(out, "}");
            if (shared) {
                tok(out, "nodes");
                gen_region(out);
            }
            tok(out, ";");
        } else {
            tok(out, "layer");
            gen_name(out);
            tok(out, "{");
            for (unsigned l = pick(3); l > 0; l--) {
                tok(out, pick(2) ? "regf {" : "gbuf {");
                for (unsigned d = pick(5); d > 0; d--) {
                    gen_directive(out);
                }
                tok(out, "}");
            }
            tok(out, "}");
        }
    }
    tok(out, "}");
}

/* Random programs of the whole grammar round-trip. */
static void test_round_trip_random_programs(void **state)
{
    (void)state;

    for (int round = 0; round < 1500; round++) {
        struct kpl_buf program;

        kpl_buf_init(&program);
        for (unsigned items = pick(4); items > 0; items--) {
            unsigned kind = pick(4);
            if (kind == 0) {
                tok(&program, pick(2) ? "import \"a\\\\b\\\".k\" ;"
                                      : "import x ;");
            } else if (kind == 1) {
                gen_arch(&program);
            } else if (kind == 2) {
                gen_network(&program);
            } else {
                gen_scheme(&program);
            }
        }
        check_round_trip(program.data ? program.data : "",
                         program.data ? program.data : "", program.len);
        kpl_buf_free(&program);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_printer_normalises_layout),
        cmocka_unit_test(test_printer_orders_scheme_body),
        cmocka_unit_test(test_printer_prints_empty_file_as_nothing),
        cmocka_unit_test(test_printer_uses_minimal_parentheses),
        cmocka_unit_test(test_printer_prints_negative_numbers),
        cmocka_unit_test(test_printer_prints_words_without_text),
        cmocka_unit_test(test_equality_ignores_spans_not_content),
        cmocka_unit_test(test_equality_compares_expression_trees),
        cmocka_unit_test(test_round_trip_tricky_cases),
        cmocka_unit_test(test_round_trip_language_examples),
        cmocka_unit_test(test_round_trip_example_files),
        cmocka_unit_test(test_round_trip_recovered_trees),
        cmocka_unit_test(test_round_trip_random_programs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
