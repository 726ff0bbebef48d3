/*
 * Machine-readable diagnostics: JSON (schema in docs/prove.md) and SARIF
 * 2.1.0 for code review tools.  Both write into a struct kpl_buf; the
 * library never prints.
 *
 * File names: a source path that lies under base_dir is written relative
 * to it ("examples/alexnet.kapla"), a relative path is kept (without a
 * leading "./"), any other absolute path is kept absolute (SARIF: as a
 * file:// URI).  Built-in sources ("<builtin:NAME>") have no file.
 * Columns count Unicode code points, 1-based; end columns are exclusive.
 */
#ifndef KPL_BASE_RENDER_H
#define KPL_BASE_RENDER_H

#include <stdbool.h>

#include "base/arena.h"
#include "base/diag.h"

/*
 * {"version": 1, "errors": N, "warnings": N, "dropped": N,
 *  "diagnostics": [{"severity", "rule", "message", "file", "line",
 *  "column", "end_line", "end_column", "notes": [...]}]}
 */
void kpl_diags_render_json(struct kpl_diags *diags, const char *base_dir,
                           struct kpl_buf *out);

/* One SARIF 2.1.0 log with one run of tool "kaplac". */
void kpl_diags_render_sarif(struct kpl_diags *diags, const char *base_dir,
                            struct kpl_buf *out);

/* The path as written in JSON and SARIF (borrowed from path or base). */
const char *kpl_render_relative_path(const char *path, const char *base_dir);

/* A JSON string literal, quotes included; NULL writes null. */
void kpl_render_json_string(struct kpl_buf *out, const char *text);

/*
 * The members "file", "line", "column", "end_line", "end_column" of a
 * span, each preceded by a comma (so they follow other members); nothing
 * when the span has no source.  Returns whether anything was written.
 */
bool kpl_render_json_span(struct kpl_diags *diags, struct kpl_span span,
                          const char *base_dir, struct kpl_buf *out);

/* One-line description and help text of a rule id (NULL: unknown id). */
const char *kpl_rule_description(const char *rule);
const char *kpl_rule_help(const char *rule);

#endif
