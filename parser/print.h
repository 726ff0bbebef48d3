/*
 * The canonical printer: AST to text that kpl_parse reads back to an equal
 * AST (kpl_ast_file_equal), with comments dropped and layout normalised:
 * four-space indent, one statement per line, spaces around `<-` and a
 * parameter's `=`, none inside `N=1` or `K+=16` (docs/language.md).
 */
#ifndef KPL_PARSER_PRINT_H
#define KPL_PARSER_PRINT_H

#include <stdbool.h>

#include "base/arena.h"
#include "parser/ast.h"

void kpl_print_file(const struct kpl_ast_file *file, struct kpl_buf *out);
void kpl_print_item(const struct kpl_item *item, struct kpl_buf *out);
void kpl_print_arch(const struct kpl_ast_arch *arch, struct kpl_buf *out);
void kpl_print_network(const struct kpl_ast_network *net,
                       struct kpl_buf *out);
void kpl_print_scheme(const struct kpl_ast_scheme *scheme,
                      struct kpl_buf *out);
void kpl_print_expr(const struct kpl_expr *expr, struct kpl_buf *out);

/* Structural equality, ignoring spans. */
bool kpl_ast_file_equal(const struct kpl_ast_file *a,
                        const struct kpl_ast_file *b);

#endif
