/*
 * Private interface between the generated scanner and parser
 * (grammar/lexer.l, grammar/parser.y) and the parser driver
 * (parser/parse.c).
 *
 * The generated code stays thin: token actions and grammar actions call
 * the helpers declared here, which live in parse.c and are compiled with
 * the project's full warning set.  Every node comes from the arena of the
 * compilation, so semantic values never need to be freed.
 */
#ifndef KPL_PARSER_LEX_STATE_H
#define KPL_PARSER_LEX_STATE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "parser/ast.h"

/* Errors (lexical and syntax) after which parsing stops. */
#define KPL_PARSE_MAX_ERRORS 20

/* Deepest nesting of brackets, and of operators in one expression. */
#define KPL_PARSE_MAX_NESTING 256

struct kpl_parser {
    struct kpl_arena *arena;
    struct kpl_source *src;
    struct kpl_diags *diags;
    struct kpl_ast_file *file;
    struct kpl_item *last_item;
    uint32_t offset;  /* scanner position: byte offset of the next token */
    uint32_t last_end; /* end of the last token returned to the parser */
    bool token_bad;    /* a lexical error since the last token returned */
    bool previous_bad; /* ... and before the one returned before that */
    int nesting;      /* brackets open now */
    int last_token;   /* the token returned before */
    uint32_t stmt_start; /* first token after the last ';', '{' or '}' */
    /*
     * Unary minus signs whose operand has not started, per bracket level
     * and in all: each holds a parser stack entry until then.
     */
    int unary[KPL_PARSE_MAX_NESTING + 2];
    int unary_total;
    int nerrors;      /* lexical and syntax errors reported */
    bool stop;        /* give up: the scanner returns end of file */
    bool out_of_memory;
    jmp_buf bail;     /* kpl_parse_abort returns here, to kpl_parse */
};

/* A number token: its source text and its value. */
struct kpl_lex_number {
    const char *text;
    int64_t integer; /* integer tokens only */
    double value;    /* both kinds */
};

/* ---- scanner helpers ---- */

/* Reports a lexical error at span and counts it. */
void kpl_lex_error(struct kpl_parser *p, struct kpl_span span,
                   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports a run of bytes that cannot start a token. */
void kpl_lex_bad_bytes(struct kpl_parser *p, struct kpl_span span,
                       const char *text, size_t len);

const char *kpl_lex_text(struct kpl_parser *p, const char *text,
                         size_t len);
struct kpl_lex_number *kpl_lex_integer(struct kpl_parser *p,
                                       struct kpl_span span,
                                       const char *text, size_t len);
struct kpl_lex_number *kpl_lex_decimal(struct kpl_parser *p,
                                       struct kpl_span span,
                                       const char *text, size_t len);

/*
 * A quoted string token: checks escapes and returns the unquoted text, or
 * NULL after reporting a bad escape or byte.
 */
const char *kpl_lex_string(struct kpl_parser *p, struct kpl_span span,
                           const char *text, size_t len);


/* The text of a unit word `A/B`. */
const char *kpl_lex_unit(struct kpl_parser *p, const char *num,
                         const char *den);

/* ---- parser helpers ---- */

/*
 * Reports "expected X, saw Y" for the lookahead token at span.  category
 * ("name", "integer", ...) is shown with the token's source text, or NULL
 * for keywords and punctuation, shown by name.  expected holds count
 * names; 0 means the parser saw too many to list.
 */
void kpl_parse_syntax_error(struct kpl_parser *p, struct kpl_span span,
                            const char *category, const char *name,
                            const char *const *expected, int count);

/* Reports an internal error and stops (used on bison's own failures). */
void kpl_parse_fail(struct kpl_parser *p, struct kpl_span span,
                    const char *message);

/* Leaves the scan for good (flex failures only): longjmp to kpl_parse. */
_Noreturn void kpl_parse_abort(struct kpl_parser *p);

void *kpl_parse_node(struct kpl_parser *p, size_t size);

struct kpl_expr *kpl_parse_number(struct kpl_parser *p, struct kpl_span span,
                                  const struct kpl_lex_number *number);
struct kpl_expr *kpl_parse_param(struct kpl_parser *p, struct kpl_span span,
                                 const char *name);
struct kpl_expr *kpl_parse_unary(struct kpl_parser *p, struct kpl_span span,
                                 struct kpl_expr *operand);
struct kpl_expr *kpl_parse_binary(struct kpl_parser *p, struct kpl_span span,
                                  enum kpl_expr_kind kind,
                                  struct kpl_expr *lhs, struct kpl_expr *rhs);

/* Records a parsed item at the end of the file's list. */
void kpl_parse_add_item(struct kpl_parser *p, struct kpl_item *item);

#endif
