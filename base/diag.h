/*
 * Sources, spans and diagnostics.
 *
 * A span is a byte range of one loaded source.  Line and column are worked
 * out only when a diagnostic is rendered, from a line map that the source
 * builds once.  Columns count Unicode code points, 1-based, as SARIF's
 * "unicodeCodePoints" column kind does.
 *
 * Diagnostics are collected in a sink (struct kpl_diags) that lives in the
 * compilation's arena; the library never prints.  Renderers write text or
 * JSON into a struct kpl_buf.
 */
#ifndef KPL_BASE_DIAG_H
#define KPL_BASE_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

struct kpl_source {
    const char *path;    /* as given by the user, or "<builtin:NAME>" */
    const char *text;    /* NUL-terminated copy in the arena */
    size_t len;          /* bytes, without the NUL */
    size_t *line_starts; /* byte offset of each line; built lazily */
    size_t nlines;
};

/* A half-open byte range [start, end) of src.  src NULL: no location. */
struct kpl_span {
    const struct kpl_source *src;
    uint32_t start;
    uint32_t end;
};

enum kpl_severity {
    KPL_SEV_NOTE,
    KPL_SEV_WARNING,
    KPL_SEV_ERROR,
};

struct kpl_note {
    struct kpl_span span;
    const char *message;
    struct kpl_note *next;
};

struct kpl_diag {
    enum kpl_severity severity;
    const char *rule;      /* stable id such as "capacity", never NULL */
    struct kpl_span span;
    const char *message;   /* lower-case start, no final period */
    struct kpl_note *notes; /* in the order added */
    struct kpl_diag *next;
};

struct kpl_diags {
    struct kpl_arena *arena;
    struct kpl_diag *head;
    struct kpl_diag *tail;
    int nerrors;
    int nwarnings;
    int count;       /* diagnostics kept */
    int dropped;     /* diagnostics beyond max_count, not kept */
    int max_count;   /* 0: no cap */
};

/* Loads text (copied into the arena) as a source. NULL on OOM. */
struct kpl_source *kpl_source_new(struct kpl_arena *arena, const char *path,
                                  const char *text, size_t len);

/* 1-based line and code-point column of a byte offset. */
void kpl_source_locate(struct kpl_arena *arena, struct kpl_source *src,
                       size_t offset, size_t *line, size_t *column);

struct kpl_span kpl_span_join(struct kpl_span a, struct kpl_span b);
struct kpl_span kpl_span_none(void);

void kpl_diags_init(struct kpl_diags *diags, struct kpl_arena *arena);

/*
 * Adds a diagnostic; returns it so that notes can be attached, or NULL
 * when the cap was reached (kpl_diag_note accepts NULL and does nothing).
 */
struct kpl_diag *kpl_diag_add(struct kpl_diags *diags,
                              enum kpl_severity severity, const char *rule,
                              struct kpl_span span, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define kpl_error(d, rule, span, ...)                                     \
    kpl_diag_add((d), KPL_SEV_ERROR, (rule), (span), __VA_ARGS__)
#define kpl_warning(d, rule, span, ...)                                   \
    kpl_diag_add((d), KPL_SEV_WARNING, (rule), (span), __VA_ARGS__)

void kpl_diag_note(struct kpl_diags *diags, struct kpl_diag *diag,
                   struct kpl_span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * GNU/GCC-style text: "path:line:col: error: message [rule]", the source
 * line, a caret line "^~~~" under the span, then the notes likewise.
 * Spans without a source render as "kaplac: error: ...".
 */
void kpl_diags_render_text(struct kpl_diags *diags, struct kpl_buf *out);

/* Renders one diagnostic (and its notes) as text. */
void kpl_diag_render_text(struct kpl_diags *diags,
                          const struct kpl_diag *diag, struct kpl_buf *out);

const char *kpl_severity_name(enum kpl_severity severity);

#endif
