/*
 * Parser tests: the AST built from each construct of docs/language.md, the
 * exact text of syntax and lexical diagnostics, error recovery and its
 * limits, and a bounded fuzz run (random bytes, random token soup and
 * every prefix of a real scheme) that must neither crash nor leak.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parse.h"

/* One parse: its arena, diagnostics, AST and rendered diagnostics. */
struct parsed {
    struct kpl_arena *arena;
    struct kpl_diags diags;
    struct kpl_source *src;
    struct kpl_ast_file *file;
    struct kpl_buf text;
};

static void parse_bytes(struct parsed *r, const char *text, size_t len)
{
    r->arena = kpl_arena_new();
    assert_non_null(r->arena);
    kpl_diags_init(&r->diags, r->arena);
    r->src = kpl_source_new(r->arena, "t.kapla", text, len);
    assert_non_null(r->src);
    r->file = kpl_parse(r->arena, r->src, &r->diags);
    assert_non_null(r->file);
    kpl_buf_init(&r->text);
    kpl_diags_render_text(&r->diags, &r->text);
}

static void parse_text(struct parsed *r, const char *text)
{
    parse_bytes(r, text, strlen(text));
}

static void done(struct parsed *r)
{
    kpl_buf_free(&r->text);
    kpl_arena_free(r->arena);
}

static const char *rendered(const struct parsed *r)
{
    return r->text.data != NULL ? r->text.data : "";
}

/* The source text a span covers, in a static buffer. */
static const char *span_text(const struct parsed *r, struct kpl_span span)
{
    static char buf[256];
    size_t len = span.end - span.start;

    assert_true(span.src == r->src);
    assert_true(span.end >= span.start && len < sizeof buf);
    memcpy(buf, r->src->text + span.start, len);
    buf[len] = '\0';
    return buf;
}

/* Parses text that must be clean and returns its single item. */
static const struct kpl_item *only_item(struct parsed *r, const char *text)
{
    parse_text(r, text);
    assert_string_equal(rendered(r), "");
    assert_non_null(r->file->items);
    assert_null(r->file->items->next);
    return r->file->items;
}

/* ---- the AST ---- */

static void test_parser_builds_imports(void **state)
{
    struct parsed r;
    (void)state;

    parse_text(&r, "import \"a \\\"b\\\\.kapla\";  # c\nimport alexnet;\n");
    assert_string_equal(rendered(&r), "");
    const struct kpl_item *first = r.file->items;
    assert_int_equal(first->kind, KPL_ITEM_IMPORT);
    assert_false(first->import_bundled);
    assert_string_equal(first->import_path, "a \"b\\.kapla");
    const struct kpl_item *second = first->next;
    assert_true(second->import_bundled);
    assert_string_equal(second->import_path, "alexnet");
    assert_string_equal(span_text(&r, second->span), "import alexnet");
    assert_null(second->next);
    done(&r);
}

static void test_parser_keeps_arch_words(void **state)
{
    struct parsed r;
    (void)state;

    const struct kpl_item *item = only_item(&r,
        "arch m {\n"
        "    nodes 16 x 16;\n"
        "    dram corners, bandwidth 51.2 B/cycle;\n"
        "    layer in;\n"
        "    systolic;\n"
        "}\n");
    const struct kpl_ast_arch *arch = item->arch;
    assert_string_equal(arch->name, "m");
    assert_string_equal(span_text(&r, arch->name_span), "m");

    const struct kpl_prop *nodes = arch->props;
    assert_string_equal(nodes->key, "nodes");
    assert_string_equal(span_text(&r, nodes->key_span), "nodes");
    const struct kpl_word *w = nodes->clauses->words;
    assert_int_equal(w->kind, KPL_WORD_NUMBER);
    assert_true(w->number == 16.0);
    assert_int_equal(w->next->kind, KPL_WORD_IDENT);
    assert_string_equal(w->next->text, "x");
    assert_string_equal(w->next->next->text, "16");
    assert_null(nodes->clauses->next);

    const struct kpl_prop *dram = nodes->next;
    const struct kpl_clause *bw = dram->clauses->next;
    assert_string_equal(dram->clauses->words->text, "corners");
    assert_string_equal(span_text(&r, bw->span), "bandwidth 51.2 B/cycle");
    assert_true(bw->words->next->number == 51.2);
    assert_string_equal(bw->words->next->text, "51.2");
    assert_string_equal(bw->words->next->next->text, "B/cycle");
    assert_string_equal(span_text(&r, bw->words->next->next->span),
                        "B/cycle");

    const struct kpl_prop *layer = dram->next;
    assert_string_equal(layer->key, "layer");
    assert_string_equal(layer->clauses->words->text, "in");
    const struct kpl_prop *flag = layer->next;
    assert_string_equal(flag->key, "systolic");
    assert_null(flag->clauses);
    assert_null(flag->next);
    done(&r);
}

static void test_parser_builds_network_statements(void **state)
{
    struct parsed r;
    (void)state;

    const struct kpl_item *item = only_item(&r,
        "network n {\n"
        "    input image [C=3, H=224];\n"
        "    conv c7 <- x, image [K=64] window 7 x 5 stride 2;\n"
        "    eltwise e <- a, b [];\n"
        "    training;\n"
        "}\n");
    const struct kpl_ast_layer *input = item->network->stmts;
    assert_string_equal(input->kind, "input");
    assert_string_equal(input->name, "image");
    assert_null(input->prevs);
    assert_true(input->has_shape);
    assert_string_equal(input->shape->dim, "C");
    assert_int_equal(input->shape->value->value, 3);
    assert_string_equal(span_text(&r, input->shape->next->dim_span), "H");
    assert_string_equal(span_text(&r, input->span),
                        "input image [C=3, H=224]");

    const struct kpl_ast_layer *conv = input->next;
    assert_string_equal(conv->prevs->text, "x");
    assert_string_equal(conv->prevs->next->text, "image");
    assert_string_equal(span_text(&r, conv->name_span), "c7");
    assert_string_equal(span_text(&r, conv->kind_span), "conv");
    const struct kpl_option *window = conv->options;
    assert_string_equal(window->name, "window");
    assert_int_equal(window->first->value, 7);
    assert_int_equal(window->second->value, 5);
    assert_string_equal(span_text(&r, window->span), "window 7 x 5");
    assert_null(window->next->second);

    const struct kpl_ast_layer *elt = conv->next;
    assert_true(elt->has_shape);
    assert_null(elt->shape);
    assert_null(elt->options);

    const struct kpl_ast_layer *flag = elt->next;
    assert_null(flag->kind);
    assert_string_equal(flag->name, "training");
    assert_null(flag->next);
    done(&r);
}

static void test_parser_builds_scheme(void **state)
{
    struct parsed r;
    (void)state;

    const struct kpl_item *item = only_item(&r,
        "scheme s for net on hw batch B {\n"
        "    segment { a, b } nodes [0:16, 0:8];\n"
        "    param B = 16 in [1, 64];\n"
        "    segment { a [0:4, 0:2], b };\n"
        "    layer a {\n"
        "        gbuf {\n"
        "            tensor ifm (N=1, Xi=31) shared 8;\n"
        "            tensor wgt ();\n"
        "            stack (K+=16, N+=2) x 8;\n"
        "            update (C+=4);\n"
        "        }\n"
        "    }\n"
        "}\n");
    const struct kpl_ast_scheme *s = item->scheme;
    assert_string_equal(s->name, "s");
    assert_string_equal(s->network, "net");
    assert_string_equal(span_text(&r, s->arch_span), "hw");
    assert_int_equal(s->batch->kind, KPL_EXPR_PARAM);
    assert_string_equal(s->batch->name, "B");

    assert_string_equal(s->params->name, "B");
    assert_int_equal(s->params->value->value, 16);
    assert_int_equal(s->params->lo->value, 1);
    assert_int_equal(s->params->hi->value, 64);
    assert_string_equal(span_text(&r, s->params->span),
                        "param B = 16 in [1, 64]");

    const struct kpl_ast_segment *shared = s->segments;
    assert_string_equal(shared->items->layer, "a");
    assert_null(shared->items->region);
    assert_int_equal(shared->region->row1->value, 16);
    assert_int_equal(shared->region->col1->value, 8);
    const struct kpl_ast_segment *spatial = shared->next;
    assert_null(spatial->region);
    assert_int_equal(spatial->items->region->col1->value, 2);
    assert_string_equal(span_text(&r, spatial->items->span), "a [0:4, 0:2]");
    assert_null(spatial->items->next->region);

    const struct kpl_ast_level *gbuf = s->layers->levels;
    assert_string_equal(s->layers->layer, "a");
    assert_string_equal(gbuf->name, "gbuf");
    const struct kpl_directive *ifm = gbuf->directives;
    assert_int_equal(ifm->kind, KPL_DIRECTIVE_TENSOR);
    assert_string_equal(ifm->tensor, "ifm");
    assert_string_equal(ifm->extents->next->dim, "Xi");
    assert_int_equal(ifm->shared->value, 8);
    assert_string_equal(span_text(&r, ifm->span),
                        "tensor ifm (N=1, Xi=31) shared 8");
    const struct kpl_directive *wgt = ifm->next;
    assert_null(wgt->extents);
    assert_null(wgt->shared);
    const struct kpl_directive *stack = wgt->next;
    assert_int_equal(stack->kind, KPL_DIRECTIVE_STACK);
    assert_string_equal(stack->shifts->next->dim, "N");
    assert_int_equal(stack->shifts->next->step->value, 2);
    assert_int_equal(stack->count->value, 8);
    const struct kpl_directive *update = stack->next;
    assert_int_equal(update->kind, KPL_DIRECTIVE_UPDATE);
    assert_string_equal(span_text(&r, update->shifts->dim_span), "C");
    assert_null(update->count);
    assert_null(update->next);
    done(&r);
}

/* 1 + 2 * 3 - -b / (4 - 5) is (1 + (2 * 3)) - ((-b) / (4 - 5)). */
static void test_parser_respects_precedence(void **state)
{
    struct parsed r;
    (void)state;

    const struct kpl_item *item = only_item(&r,
        "scheme s for n on a batch 1 + 2 * 3 - -b / (4 - 5) { }");
    const struct kpl_expr *e = item->scheme->batch;
    assert_int_equal(e->kind, KPL_EXPR_SUB);
    assert_int_equal(e->lhs->kind, KPL_EXPR_ADD);
    assert_int_equal(e->lhs->lhs->value, 1);
    assert_int_equal(e->lhs->rhs->kind, KPL_EXPR_MUL);
    assert_int_equal(e->lhs->rhs->rhs->value, 3);
    assert_int_equal(e->rhs->kind, KPL_EXPR_DIV);
    assert_int_equal(e->rhs->lhs->kind, KPL_EXPR_NEG);
    assert_string_equal(e->rhs->lhs->lhs->name, "b");
    assert_int_equal(e->rhs->rhs->kind, KPL_EXPR_SUB);
    assert_string_equal(span_text(&r, e->rhs->rhs->span), "(4 - 5)");
    assert_string_equal(span_text(&r, e->span), "1 + 2 * 3 - -b / (4 - 5)");
    done(&r);
}

static void test_parser_subtraction_is_left_associative(void **state)
{
    struct parsed r;
    (void)state;

    const struct kpl_item *item =
        only_item(&r, "scheme s for n on a batch 8 - 4 - 2 { }");
    const struct kpl_expr *e = item->scheme->batch;
    assert_int_equal(e->kind, KPL_EXPR_SUB);
    assert_int_equal(e->rhs->value, 2);
    assert_int_equal(e->lhs->kind, KPL_EXPR_SUB);
    assert_int_equal(e->lhs->lhs->value, 8);
    done(&r);
}

static void test_parser_reads_largest_integer(void **state)
{
    struct parsed r;
    (void)state;

    const struct kpl_item *item = only_item(&r,
        "scheme s for n on a batch 9223372036854775807 { }");
    assert_true(item->scheme->batch->value == INT64_MAX);
    done(&r);
}

static void test_parser_accepts_empty_and_comment_files(void **state)
{
    struct parsed r;
    (void)state;

    parse_text(&r, "");
    assert_null(r.file->items);
    assert_int_equal(r.diags.count, 0);
    done(&r);

    parse_text(&r, "# nothing here\n\n   # at all");
    assert_null(r.file->items);
    assert_int_equal(r.diags.count, 0);
    done(&r);
}

/* ---- syntax errors ---- */

static void expect_diagnostics(const char *source, const char *expected)
{
    struct parsed r;

    parse_text(&r, source);
    assert_string_equal(rendered(&r), expected);
    done(&r);
}

static void test_parser_rejects_decimal_in_expression(void **state)
{
    (void)state;
    expect_diagnostics(
        "network n {\n"
        "    conv a <- b [K=2.5];\n"
        "}\n",
        "t.kapla:2:20: error: expected an integer expression, saw decimal "
        "number '2.5' [syntax]\n"
        "      conv a <- b [K=2.5];\n"
        "                     ^~~\n");
}

static void test_parser_names_expected_tokens(void **state)
{
    (void)state;
    expect_diagnostics(
        "scheme s for n on a batch 4 {\n"
        "    layer c { regf { stack (K+=1) 8; } }\n"
        "}\n",
        "t.kapla:2:35: error: expected 'x', saw integer '8' [syntax]\n"
        "      layer c { regf { stack (K+=1) 8; } }\n"
        "                                    ^\n");
    expect_diagnostics(
        "netwrk n { }\n",
        "t.kapla:1:1: error: expected 'import', 'arch', 'network', 'scheme' "
        "or end of file, saw name 'netwrk' [syntax]\n"
        "  netwrk n { }\n"
        "  ^~~~~~\n");
}

static void test_parser_shortens_long_tokens_in_messages(void **state)
{
    struct parsed r;
    (void)state;

    parse_text(&r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN;");
    assert_string_equal(r.diags.head->message,
                        "expected 'import', 'arch', 'network', 'scheme' or "
                        "end of file, saw name "
                        "'abcdefghijklmnopqrstuvwxyzABCDEF...'");
    /* The caret still spans the whole token. */
    assert_int_equal(r.diags.head->span.end, 40);
    done(&r);
}

static void test_parser_reports_end_of_file_after_last_token(void **state)
{
    (void)state;
    expect_diagnostics(
        "network n {\n"
        "    conv a <- b\n"
        "\n",
        "t.kapla:2:16: error: expected a name, ';', ',' or '[', saw end of "
        "file [syntax]\n"
        "      conv a <- b\n"
        "                 ^\n");
}

static void test_parser_hints_missing_semicolon_at_line_end(void **state)
{
    (void)state;
    expect_diagnostics(
        "scheme s for n on m batch 1 {\n"
        "    layer a {\n"
        "        regf {\n"
        "            tensor ifm (N=1)   # the tile\n"
        "            tensor wgt (K=1);\n"
        "        }\n"
        "    }\n"
        "}\n",
        "t.kapla:5:13: error: expected 'shared' or ';', saw 'tensor' "
        "[syntax]\n"
        "              tensor wgt (K=1);\n"
        "              ^~~~~~\n"
        "t.kapla:4:29: note: ';' may be missing at the end of line 4\n"
        "              tensor ifm (N=1)   # the tile\n"
        "                              ^\n");

    /* On one line there is no line end to blame. */
    expect_diagnostics(
        "network n { input i [C=1] conv c <- i; }\n",
        "t.kapla:1:34: error: expected a name, 'x', an operator or ';', saw "
        "'<-' [syntax]\n"
        "  network n { input i [C=1] conv c <- i; }\n"
        "                                   ^~\n");
}

static void test_parser_recovers_at_semicolon_and_brace(void **state)
{
    struct parsed r;
    (void)state;

    parse_text(&r,
        "network n {\n"
        "    conv a <- [K=1];\n"
        "    conv b <- a;\n"
        "    pool p <- b window 3 3;\n"
        "}\n"
        "arch m { nodes 4 x 4 }\n"
        "arch k { word 16 bit; }\n");
    assert_string_equal(rendered(&r),
        "t.kapla:2:15: error: expected a name or 'x', saw '[' [syntax]\n"
        "      conv a <- [K=1];\n"
        "                ^\n"
        "t.kapla:4:26: error: expected a name, 'x', an operator or ';', saw "
        "integer '3' [syntax]\n"
        "      pool p <- b window 3 3;\n"
        "                           ^\n"
        "t.kapla:6:22: error: expected a name, an integer, a decimal number, "
        "';' or ',', saw '}' [syntax]\n"
        "  arch m { nodes 4 x 4 }\n"
        "                       ^\n");

    /* What survived: n with its one good statement, m, and k whole. */
    const struct kpl_item *n = r.file->items;
    assert_string_equal(n->network->stmts->name, "b");
    assert_null(n->network->stmts->next);
    assert_string_equal(n->next->arch->name, "m");
    assert_null(n->next->arch->props);
    assert_string_equal(n->next->next->arch->props->key, "word");
    done(&r);
}

static void test_parser_stops_after_twenty_errors(void **state)
{
    struct parsed r;
    struct kpl_buf source;
    (void)state;

    kpl_buf_init(&source);
    kpl_buf_puts(&source, "network n {\n");
    for (int i = 0; i < 30; i++) {
        kpl_buf_puts(&source, "    conv a <- ;\n");
    }
    kpl_buf_puts(&source, "}\n");
    parse_text(&r, source.data);
    assert_int_equal(r.diags.nerrors, 20);
    assert_int_equal(r.diags.count, 21);
    assert_int_equal(r.diags.tail->severity, KPL_SEV_NOTE);
    assert_string_equal(r.diags.tail->message,
                        "too many errors, parsing stopped after 20");
    kpl_buf_free(&source);
    done(&r);
}

static void test_parser_caps_nesting(void **state)
{
    struct parsed r;
    struct kpl_buf source;
    (void)state;

    kpl_buf_init(&source);
    kpl_buf_puts(&source, "scheme s for n on a batch ");
    for (int i = 0; i < 100000; i++) {
        kpl_buf_puts(&source, "(");
    }
    parse_text(&r, source.data);
    assert_int_equal(r.diags.nerrors, 1);
    assert_string_equal(r.diags.head->message,
                        "input nested deeper than 256 levels");
    /* The 257th parenthesis, at offset 26 + 256. */
    assert_int_equal(r.diags.head->span.start, 26 + 256);
    done(&r);

    kpl_buf_free(&source);
    kpl_buf_init(&source);
    kpl_buf_puts(&source, "scheme s for n on a batch 1");
    for (int i = 0; i < 100000; i++) {
        kpl_buf_puts(&source, "+1");
    }
    kpl_buf_puts(&source, " { }");
    parse_text(&r, source.data);
    assert_int_equal(r.diags.nerrors, 1);
    assert_string_equal(r.diags.head->message,
                        "expression nested deeper than 256 levels");
    done(&r);
    kpl_buf_free(&source);
}

/* 100 levels of `--(` hold 200 unary minus signs: fine; 100 of 200: not. */
static void nest_minus(struct parsed *r, int levels, int signs)
{
    struct kpl_buf source;

    kpl_buf_init(&source);
    kpl_buf_puts(&source, "scheme s for n on a batch ");
    for (int i = 0; i < levels; i++) {
        for (int j = 0; j < signs; j++) {
            kpl_buf_puts(&source, "-");
        }
        kpl_buf_puts(&source, "(");
    }
    kpl_buf_puts(&source, "1");
    for (int i = 0; i < levels; i++) {
        kpl_buf_puts(&source, ")");
    }
    kpl_buf_puts(&source, " { }");
    parse_text(r, source.data);
    kpl_buf_free(&source);
}

static void test_parser_caps_unary_minus(void **state)
{
    struct parsed r;
    (void)state;

    nest_minus(&r, 100, 2);
    assert_int_equal(r.diags.count, 0);
    const struct kpl_expr *e = r.file->items->scheme->batch;
    assert_int_equal(e->kind, KPL_EXPR_NEG);
    assert_int_equal(e->lhs->kind, KPL_EXPR_NEG);
    assert_int_equal(e->lhs->lhs->lhs->kind, KPL_EXPR_NEG);
    done(&r);

    nest_minus(&r, 100, 200);
    assert_int_equal(r.diags.nerrors, 1);
    assert_string_equal(r.diags.head->message,
                        "input nested deeper than 256 levels");
    done(&r);
}

/* ---- lexical errors ---- */

static void test_lexer_reports_bad_character(void **state)
{
    (void)state;
    expect_diagnostics(
        "arch a { gbuf 32 KiB $; }\n",
        "t.kapla:1:22: error: unexpected character '$' [lexical]\n"
        "  arch a { gbuf 32 KiB $; }\n"
        "                       ^\n");
}

static void test_lexer_reports_binary_bytes_once(void **state)
{
    struct parsed r;
    (void)state;

    parse_bytes(&r, "arch \0\x01\xff a { }", 14);
    assert_int_equal(r.diags.count, 1);
    assert_string_equal(r.diags.head->rule, "lexical");
    assert_string_equal(r.diags.head->message,
                        "3 unexpected bytes, the first 0x00");
    assert_int_equal(r.diags.head->span.start, 5);
    assert_int_equal(r.diags.head->span.end, 8);
    assert_string_equal(r.file->items->arch->name, "a");
    done(&r);
}

static void test_lexer_reports_unterminated_string(void **state)
{
    (void)state;
    expect_diagnostics(
        "import \"lib.kapla;\narch a { }\n",
        "t.kapla:1:8: error: unterminated string [lexical]\n"
        "  import \"lib.kapla;\n"
        "         ^~~~~~~~~~~\n");
}

static void test_lexer_reports_unknown_escape(void **state)
{
    (void)state;
    expect_diagnostics(
        "import \"a\\tb\";\n",
        "t.kapla:1:10: error: unknown escape '\\t' in string, only '\\\"' "
        "and '\\\\' are allowed [lexical]\n"
        "  import \"a\\tb\";\n"
        "           ^~\n");
}

static void test_parser_drops_malformed_import_paths(void **state)
{
    struct parsed r;
    (void)state;

    /* Both imports stay in the tree, without a path the loader would
     * try to read. */
    parse_text(&r, "import \"a\\qb\";\nimport \"lib.kapla\n;\n");
    assert_int_equal(r.diags.nerrors, 2);
    const struct kpl_item *first = r.file->items;
    assert_non_null(first);
    assert_int_equal(first->kind, KPL_ITEM_IMPORT);
    assert_null(first->import_path);
    assert_non_null(first->next);
    assert_null(first->next->import_path);
    done(&r);
}

static void test_lexer_reports_integer_overflow(void **state)
{
    (void)state;
    expect_diagnostics(
        "scheme s for n on a batch 9223372036854775808 { }\n",
        "t.kapla:1:27: error: integer '9223372036854775808' is larger than "
        "9223372036854775807 [lexical]\n"
        "  scheme s for n on a batch 9223372036854775808 { }\n"
        "                            ^~~~~~~~~~~~~~~~~~~\n");
}

static void test_lexer_reports_huge_decimal(void **state)
{
    (void)state;
    expect_diagnostics(
        "arch a { bandwidth 1e400 B/cycle; }\n",
        "t.kapla:1:20: error: number '1e400' is too large [lexical]\n"
        "  arch a { bandwidth 1e400 B/cycle; }\n"
        "                     ^~~~~\n");
}

static void test_lexer_reports_non_ascii_character(void **state)
{
    struct parsed r;
    (void)state;

    parse_text(&r, "network r\xc3\xa9s { }\n");
    assert_string_equal(r.diags.head->message,
                        "unexpected character '\xc3\xa9'");
    assert_int_equal(r.diags.head->span.start, 9);
    assert_int_equal(r.diags.head->span.end, 11);
    done(&r);
}

/* ---- fuzz ---- */

static uint64_t fuzz_state = 0x9E3779B97F4A7C15u;

static uint64_t next_random(void)
{
    fuzz_state ^= fuzz_state << 13;
    fuzz_state ^= fuzz_state >> 7;
    fuzz_state ^= fuzz_state << 17;
    return fuzz_state;
}

/* Every diagnostic's span lies inside the source. */
static void assert_spans_inside(const struct parsed *r)
{
    for (const struct kpl_diag *d = r->diags.head; d; d = d->next) {
        if (d->span.src != NULL) {
            assert_true(d->span.start <= d->span.end);
            assert_true(d->span.end <= r->src->len);
        }
    }
}

static void test_fuzz_random_bytes(void **state)
{
    char buf[512];
    (void)state;

    for (int round = 0; round < 3000; round++) {
        struct parsed r;
        size_t len = 1 + next_random() % sizeof buf;
        for (size_t i = 0; i < len; i++) {
            buf[i] = (char)(next_random() & 0xFF);
        }
        /* A control byte first: this garbage is never a valid file. */
        buf[0] = (char)(1 + next_random() % 8);
        parse_bytes(&r, buf, len);
        assert_true(r.diags.nerrors >= 1);
        assert_spans_inside(&r);
        done(&r);
    }
}

static void test_fuzz_token_soup(void **state)
{
    static const char *const tokens[] = {
        "import", "arch", "network", "scheme", "for", "on", "batch",
        "param", "in", "segment", "nodes", "layer", "tensor", "shared",
        "stack", "update", "x", "a", "K", "12", "3.5", "\"p\"", "{", "}",
        "[", "]", "(", ")", ";", ",", "=", "<-", "+=", ":", "/", "*", "+",
        "-", "#c\n", "\n",
    };
    size_t ntokens = sizeof tokens / sizeof tokens[0];
    (void)state;

    for (int round = 0; round < 3000; round++) {
        struct parsed r;
        struct kpl_buf source;
        int count = 1 + (int)(next_random() % 120);

        kpl_buf_init(&source);
        for (int i = 0; i < count; i++) {
            kpl_buf_puts(&source, tokens[next_random() % ntokens]);
            kpl_buf_puts(&source, " ");
        }
        parse_text(&r, source.data);
        assert_spans_inside(&r);
        assert_true(r.diags.nerrors <= 20);
        done(&r);
        kpl_buf_free(&source);
    }
}

static const char scheme_example[] =
    "import alexnet;\n"
    "arch m { nodes 16 x 16; dram corners, bandwidth 51.2 B/cycle; }\n"
    "scheme hand for alexnet on m batch 64 {\n"
    "    param B = 16 in [1, 64];\n"
    "    segment { conv1_a, pool1_a } nodes [0:16, 0:16];\n"
    "    segment { c [0:16, 0:8], d [0:16, 8:16] };\n"
    "    layer conv2_a {\n"
    "        regf {\n"
    "            tensor ifm (N=1, C=1, Xi=5, Yi=(B - 1) / 2) shared 2;\n"
    "            stack (Yi+=1, Yo+=1) x 8;\n"
    "            update (Xi+=1, Xo+=1);\n"
    "        }\n"
    "    }\n"
    "}\n";

static void test_fuzz_every_prefix(void **state)
{
    (void)state;

    for (size_t len = 0; len < sizeof scheme_example; len++) {
        struct parsed r;
        parse_bytes(&r, scheme_example, len);
        assert_spans_inside(&r);
        done(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_builds_imports),
        cmocka_unit_test(test_parser_keeps_arch_words),
        cmocka_unit_test(test_parser_builds_network_statements),
        cmocka_unit_test(test_parser_builds_scheme),
        cmocka_unit_test(test_parser_respects_precedence),
        cmocka_unit_test(test_parser_subtraction_is_left_associative),
        cmocka_unit_test(test_parser_reads_largest_integer),
        cmocka_unit_test(test_parser_accepts_empty_and_comment_files),
        cmocka_unit_test(test_parser_rejects_decimal_in_expression),
        cmocka_unit_test(test_parser_names_expected_tokens),
        cmocka_unit_test(test_parser_shortens_long_tokens_in_messages),
        cmocka_unit_test(test_parser_reports_end_of_file_after_last_token),
        cmocka_unit_test(test_parser_hints_missing_semicolon_at_line_end),
        cmocka_unit_test(test_parser_recovers_at_semicolon_and_brace),
        cmocka_unit_test(test_parser_stops_after_twenty_errors),
        cmocka_unit_test(test_parser_caps_nesting),
        cmocka_unit_test(test_parser_caps_unary_minus),
        cmocka_unit_test(test_lexer_reports_bad_character),
        cmocka_unit_test(test_lexer_reports_binary_bytes_once),
        cmocka_unit_test(test_lexer_reports_unterminated_string),
        cmocka_unit_test(test_lexer_reports_unknown_escape),
        cmocka_unit_test(test_parser_drops_malformed_import_paths),
        cmocka_unit_test(test_lexer_reports_integer_overflow),
        cmocka_unit_test(test_lexer_reports_huge_decimal),
        cmocka_unit_test(test_lexer_reports_non_ascii_character),
        cmocka_unit_test(test_fuzz_random_bytes),
        cmocka_unit_test(test_fuzz_token_soup),
        cmocka_unit_test(test_fuzz_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
