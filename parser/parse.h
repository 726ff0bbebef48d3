/*
 * The parser: text to AST, with located syntax diagnostics.
 */
#ifndef KPL_PARSER_PARSE_H
#define KPL_PARSER_PARSE_H

#include "base/diag.h"
#include "parser/ast.h"

/*
 * Parses src.  Always returns a file (NULL only when out of memory); on
 * syntax errors the file holds what could be recovered and the errors are
 * in diags (rule "syntax", or "lexical" for bad characters, numbers out of
 * range and unterminated strings or comments).  Parsing resumes after an
 * error at the next ';' or '}' and stops after 20 errors, syntax and
 * lexical together.
 */
struct kpl_ast_file *kpl_parse(struct kpl_arena *arena,
                               struct kpl_source *src,
                               struct kpl_diags *diags);

#endif
