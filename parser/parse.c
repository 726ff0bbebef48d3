/*
 * The parser driver and the helpers that the generated scanner and parser
 * call (parser/lex_state.h).
 *
 * kpl_parse runs the reentrant flex scanner under the pure bison parser.
 * kpl_yylex sits between them: it stamps end-of-file with the end of the
 * last token, counts open brackets and pending unary '-' so that no input
 * can nest deeper than KPL_PARSE_MAX_NESTING (the parser stack and every
 * later recursive walk stay bounded), and turns the scanner off once the
 * parse has given up.  Expressions carry their depth beside the AST node
 * for the same reason.
 */
#include "parser/parse.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "parser/lex_state.h"

#include "parser.h"
#include "lexer.h"

int kpl_lex_scan(KPL_YYSTYPE *lval, KPL_YYLTYPE *lloc, yyscan_t scanner);

/* Longest token text quoted in a message. */
#define QUOTE_MAX 32

/* An expression node and the depth of its tree. */
struct parsed_expr {
    struct kpl_expr expr; /* first: a kpl_expr pointer converts back */
    int depth;
};

/* ---- diagnostics ---- */

/* Counts an error; the one that reaches the cap stops the parse. */
static void count_error(struct kpl_parser *p, struct kpl_span span)
{
    p->nerrors++;
    if (p->nerrors < KPL_PARSE_MAX_ERRORS) {
        return;
    }
    p->stop = true;
    kpl_diag_add(p->diags, KPL_SEV_NOTE, "syntax", span,
                 "too many errors, parsing stopped after %d",
                 KPL_PARSE_MAX_ERRORS);
}

/* Source text of span for a message, cut at QUOTE_MAX bytes. */
static const char *quote_text(struct kpl_parser *p, struct kpl_span span)
{
    size_t len = span.end - span.start;
    const char *text = p->src->text + span.start;
    const char *quoted = NULL;

    if (len <= QUOTE_MAX) {
        quoted = kpl_arena_strndup(p->arena, text, len);
    } else {
        len = QUOTE_MAX;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) {
            len--;
        }
        quoted = kpl_arena_printf(p->arena, "%.*s...", (int)len, text);
    }
    return quoted != NULL ? quoted : "?";
}

void kpl_lex_error(struct kpl_parser *p, struct kpl_span span,
                   const char *fmt, ...)
{
    va_list args;
    char *message = NULL;

    if (p->stop) {
        return;
    }
    p->token_bad = true;
    va_start(args, fmt);
    message = kpl_arena_vprintf(p->arena, fmt, args);
    va_end(args);
    kpl_error(p->diags, "lexical", span, "%s",
              message != NULL ? message : "unreadable token");
    count_error(p, span);
}

void kpl_lex_bad_bytes(struct kpl_parser *p, struct kpl_span span,
                       const char *text, size_t len)
{
    unsigned first = (unsigned char)text[0];

    if (len == 1) {
        kpl_lex_error(p, span, "unexpected byte 0x%02x", first);
        return;
    }
    kpl_lex_error(p, span, "%zu unexpected bytes, the first 0x%02x", len,
                  first);
}

/* End of the text on the line at offset, comments and blanks excluded. */
static uint32_t end_of_code_line(const struct kpl_source *src,
                                 uint32_t offset)
{
    uint32_t end = offset;
    bool quoted = false;

    for (uint32_t i = offset; i < src->len && src->text[i] != '\n'; i++) {
        char c = src->text[i];
        if (c == '#' && !quoted) {
            break;
        }
        quoted = c == '"' ? !quoted : quoted;
        if (c != ' ' && c != '\t' && c != '\r') {
            end = i + 1;
        }
    }
    return end;
}

/*
 * A statement that runs on past its first line into an error often lacks
 * the ';' at the end of that line: say so where it belongs.
 */
static void hint_semicolon(struct kpl_parser *p, struct kpl_diag *diag,
                           struct kpl_span span,
                           const char *const *expected, int count)
{
    size_t stmt_line = 0;
    size_t error_line = 0;
    size_t column = 0;
    bool semicolon = false;

    for (int i = 0; i < count; i++) {
        semicolon = semicolon || strcmp(expected[i], "';'") == 0;
    }
    if (!semicolon || p->stmt_start >= span.start) {
        return;
    }
    kpl_source_locate(p->arena, p->src, p->stmt_start, &stmt_line, &column);
    kpl_source_locate(p->arena, p->src, span.start, &error_line, &column);
    if (stmt_line == error_line) {
        return;
    }

    struct kpl_span at = span;
    at.start = end_of_code_line(p->src, p->stmt_start);
    at.end = at.start;
    kpl_diag_note(p->diags, diag, at, "';' may be missing at the end of "
                  "line %zu", stmt_line);
}

void kpl_parse_syntax_error(struct kpl_parser *p, struct kpl_span span,
                            const char *category, const char *name,
                            const char *const *expected, int count)
{
    struct kpl_buf want;
    const char *saw = name;

    /*
     * A malformed token was reported already, and the token after it is
     * often out of place because of it (an unterminated string eats ';').
     */
    if (p->stop || p->token_bad || p->previous_bad) {
        return;
    }
    if (category != NULL && strcmp(category, "string") == 0) {
        saw = kpl_arena_printf(p->arena, "string %s", quote_text(p, span));
    } else if (category != NULL) {
        saw = kpl_arena_printf(p->arena, "%s '%s'", category,
                               quote_text(p, span));
    }
    if (saw == NULL) {
        saw = name;
    }

    kpl_buf_init(&want);
    for (int i = 0; i < count; i++) {
        if (i > 0) {
            kpl_buf_puts(&want, i + 1 == count ? " or " : ", ");
        }
        kpl_buf_puts(&want, expected[i]);
    }
    if (count == 0 || want.failed) {
        kpl_error(p->diags, "syntax", span, "unexpected %s", saw);
    } else {
        struct kpl_diag *diag = kpl_error(p->diags, "syntax", span,
                                          "expected %s, saw %s", want.data,
                                          saw);
        hint_semicolon(p, diag, span, expected, count);
    }
    kpl_buf_free(&want);
    count_error(p, span);
}

void kpl_parse_fail(struct kpl_parser *p, struct kpl_span span,
                    const char *message)
{
    p->out_of_memory = true;
    p->stop = true;
    kpl_error(p->diags, "internal", span, "parser failed: %s", message);
}

_Noreturn void kpl_parse_abort(struct kpl_parser *p)
{
    longjmp(p->bail, 1);
}

/* ---- tokens ---- */

const char *kpl_lex_text(struct kpl_parser *p, const char *text,
                         size_t len)
{
    char *copy = kpl_arena_strndup(p->arena, text, len);

    if (copy == NULL) {
        p->out_of_memory = true;
        p->stop = true;
        return "";
    }
    return copy;
}

const char *kpl_lex_unit(struct kpl_parser *p, const char *num,
                         const char *den)
{
    return kpl_arena_printf(p->arena, "%s/%s", num, den);
}

struct kpl_lex_number *kpl_lex_integer(struct kpl_parser *p,
                                       struct kpl_span span,
                                       const char *text, size_t len)
{
    struct kpl_lex_number *number = kpl_parse_node(p, sizeof *number);
    static struct kpl_lex_number zero = {"0", 0, 0.0};
    int64_t value = 0;

    if (number == NULL) {
        return &zero;
    }
    for (size_t i = 0; i < len; i++) {
        int digit = text[i] - '0';
        if (value > (INT64_MAX - digit) / 10) {
            kpl_lex_error(p, span, "integer '%s' is larger than %lld",
                          quote_text(p, span), (long long)INT64_MAX);
            value = INT64_MAX;
            break;
        }
        value = value * 10 + digit;
    }
    number->text = kpl_lex_text(p, text, len);
    number->integer = value;
    number->value = (double)value;
    return number;
}

struct kpl_lex_number *kpl_lex_decimal(struct kpl_parser *p,
                                       struct kpl_span span,
                                       const char *text, size_t len)
{
    struct kpl_lex_number *number = kpl_parse_node(p, sizeof *number);
    static struct kpl_lex_number zero = {"0.0", 0, 0.0};

    if (number == NULL) {
        return &zero;
    }
    number->text = kpl_lex_text(p, text, len);
    number->value = strtod(number->text, NULL);
    if (isinf(number->value)) {
        kpl_lex_error(p, span, "number '%s' is too large",
                      quote_text(p, span));
        number->value = 0.0;
    }
    return number;
}

/*
 * text is the whole token, quotes included; only \" and \\ escape.  A
 * string with a bad escape or byte gives NULL: its text is not what the
 * author meant, so nothing (an import) may act on it.
 */
const char *kpl_lex_string(struct kpl_parser *p, struct kpl_span span,
                           const char *text, size_t len)
{
    char *out = kpl_parse_node(p, len);
    size_t n = 0;
    bool bad = false;

    if (out == NULL) {
        return "";
    }
    for (size_t i = 1; i + 1 < len; i++) {
        struct kpl_span at = span;
        at.start = span.start + (uint32_t)i;
        at.end = at.start + 1;
        if (text[i] == '\\') {
            at.end++;
            i++;
            if (text[i] != '"' && text[i] != '\\') {
                kpl_lex_error(p, at, "unknown escape '\\%c' in string, "
                              "only '\\\"' and '\\\\' are allowed", text[i]);
                bad = true;
            }
        } else if (text[i] == '\0') {
            kpl_lex_error(p, at, "unexpected byte 0x00 in string");
            bad = true;
        }
        out[n++] = text[i];
    }
    out[n] = '\0';
    return bad ? NULL : out;
}

/* ---- the scanner as the parser sees it ---- */

/* A token after which '-' is binary: the end of an operand. */
static bool ends_operand(int token)
{
    return token == TOK_INT || token == TOK_IDENT || token == TOK_DECIMAL
           || token == ')';
}

/* An operand starts (or a bracket group closes): its minus signs apply. */
static void settle_unary(struct kpl_parser *p)
{
    p->unary_total -= p->unary[p->nesting];
    p->unary[p->nesting] = 0;
}

/*
 * Bounds what the parser stack can hold: open brackets, and unary minus
 * signs still waiting for their operand (`- - (- - (` nests both ways).
 */
static bool nest(struct kpl_parser *p, int token, struct kpl_span span)
{
    if (token == '-' && !ends_operand(p->last_token)) {
        p->unary[p->nesting]++;
        p->unary_total++;
    } else if (token == TOK_INT || token == TOK_IDENT
               || token == TOK_DECIMAL) {
        settle_unary(p);
    } else if (token == ')' || token == ']' || token == '}') {
        settle_unary(p);
        p->nesting -= p->nesting > 0;
        settle_unary(p);
    } else if (token == '(' || token == '[' || token == '{') {
        p->nesting++;
    }

    if (p->nesting <= KPL_PARSE_MAX_NESTING
        && p->unary_total <= KPL_PARSE_MAX_NESTING) {
        return true;
    }
    kpl_error(p->diags, "syntax", span, "input nested deeper than %d levels",
              KPL_PARSE_MAX_NESTING);
    p->nerrors++;
    p->stop = true;
    return false;
}

int kpl_yylex(KPL_YYSTYPE *lval, KPL_YYLTYPE *lloc, yyscan_t scanner)
{
    struct kpl_parser *p = kpl_yyget_extra(scanner);
    int token = TOK_YYEOF;

    p->previous_bad = p->token_bad;
    p->token_bad = false;
    if (!p->stop) {
        token = kpl_lex_scan(lval, lloc, scanner);
    }
    if (token != TOK_YYEOF && !nest(p, token, *lloc)) {
        token = TOK_YYEOF;
    }
    if (token == TOK_YYEOF) {
        /* Point at the end of the last token, not at trailing space. */
        lloc->src = p->src;
        lloc->start = p->last_end;
        lloc->end = p->last_end;
        return token;
    }
    p->last_end = lloc->end;
    if (p->last_token == ';' || p->last_token == '{'
        || p->last_token == '}' || p->last_token == TOK_YYEOF) {
        p->stmt_start = lloc->start;
    }
    p->last_token = token;
    return token;
}

/* ---- AST helpers ---- */

void *kpl_parse_node(struct kpl_parser *p, size_t size)
{
    void *node = kpl_arena_alloc(p->arena, size);

    if (node == NULL) {
        p->out_of_memory = true;
        p->stop = true;
    }
    return node;
}

static int depth_of(const struct kpl_expr *expr)
{
    return ((const struct parsed_expr *)expr)->depth;
}

static struct kpl_expr *new_expr(struct kpl_parser *p,
                                 enum kpl_expr_kind kind,
                                 struct kpl_span span, int depth)
{
    struct parsed_expr *node = kpl_parse_node(p, sizeof *node);

    if (node == NULL) {
        return NULL;
    }
    node->expr.kind = kind;
    node->expr.span = span;
    node->depth = depth;
    if (depth > KPL_PARSE_MAX_NESTING && !p->stop) {
        kpl_error(p->diags, "syntax", span,
                  "expression nested deeper than %d levels",
                  KPL_PARSE_MAX_NESTING);
        p->nerrors++;
        p->stop = true;
    }
    return &node->expr;
}

struct kpl_expr *kpl_parse_number(struct kpl_parser *p, struct kpl_span span,
                                  const struct kpl_lex_number *number)
{
    struct kpl_expr *expr = new_expr(p, KPL_EXPR_NUMBER, span, 1);

    if (expr != NULL) {
        expr->value = number->integer;
    }
    return expr;
}

struct kpl_expr *kpl_parse_param(struct kpl_parser *p, struct kpl_span span,
                                 const char *name)
{
    struct kpl_expr *expr = new_expr(p, KPL_EXPR_PARAM, span, 1);

    if (expr != NULL) {
        expr->name = name;
    }
    return expr;
}

struct kpl_expr *kpl_parse_unary(struct kpl_parser *p, struct kpl_span span,
                                 struct kpl_expr *operand)
{
    struct kpl_expr *expr =
        new_expr(p, KPL_EXPR_NEG, span, depth_of(operand) + 1);

    if (expr != NULL) {
        expr->lhs = operand;
    }
    return expr;
}

struct kpl_expr *kpl_parse_binary(struct kpl_parser *p, struct kpl_span span,
                                  enum kpl_expr_kind kind,
                                  struct kpl_expr *lhs, struct kpl_expr *rhs)
{
    int left = depth_of(lhs);
    int right = depth_of(rhs);
    struct kpl_expr *expr =
        new_expr(p, kind, span, (left > right ? left : right) + 1);

    if (expr != NULL) {
        expr->lhs = lhs;
        expr->rhs = rhs;
    }
    return expr;
}

void kpl_parse_add_item(struct kpl_parser *p, struct kpl_item *item)
{
    if (item == NULL) {
        return;
    }
    if (p->last_item == NULL) {
        p->file->items = item;
    } else {
        p->last_item->next = item;
    }
    p->last_item = item;
}

/* ---- the driver ---- */

/* flex reads a buffer of int length plus two sentinel bytes. */
#define MAX_SOURCE_BYTES ((size_t)INT_MAX - 2)

static void run(struct kpl_parser *p, yyscan_t scanner)
{
    if (setjmp(p->bail) != 0) {
        return;
    }
    if (kpl_yy_scan_bytes(p->src->text, (int)p->src->len, scanner) == NULL) {
        p->out_of_memory = true;
        return;
    }
    kpl_yyparse(scanner, p);
}

struct kpl_ast_file *kpl_parse(struct kpl_arena *arena,
                               struct kpl_source *src,
                               struct kpl_diags *diags)
{
    struct kpl_parser *p = kpl_arena_alloc(arena, sizeof *p);
    struct kpl_ast_file *file = kpl_arena_alloc(arena, sizeof *file);
    yyscan_t scanner = NULL;

    if (p == NULL || file == NULL) {
        return NULL;
    }
    file->source = src;
    if (src->len > MAX_SOURCE_BYTES) {
        kpl_error(diags, "lexical", kpl_span_none(),
                  "'%s' is too large: %zu bytes, the limit is %zu",
                  src->path, src->len, MAX_SOURCE_BYTES);
        return file;
    }

    p->arena = arena;
    p->src = src;
    p->diags = diags;
    p->file = file;
    if (kpl_yylex_init_extra(p, &scanner) != 0) {
        return NULL;
    }
    run(p, scanner);
    kpl_yylex_destroy(scanner);

    if (p->out_of_memory || kpl_arena_failed(arena)) {
        return NULL;
    }
    return file;
}
