/*
 * Diagnostics sink and the text renderer.
 */
#include "base/diag.h"

#include <stdarg.h>
#include <string.h>

struct kpl_source *kpl_source_new(struct kpl_arena *arena, const char *path,
                                  const char *text, size_t len)
{
    struct kpl_source *src = kpl_arena_alloc(arena, sizeof *src);
    if (src == NULL) {
        return NULL;
    }
    /* A UTF-8 byte-order mark is not text: columns start after it. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    src->path = kpl_arena_strdup(arena, path);
    src->text = kpl_arena_strndup(arena, text, len);
    src->len = len;
    if (src->path == NULL || src->text == NULL) {
        return NULL;
    }
    return src;
}

static void build_line_map(struct kpl_arena *arena, struct kpl_source *src)
{
    size_t count = 1;
    for (size_t i = 0; i < src->len; i++) {
        count += src->text[i] == '\n';
    }

    size_t *starts = kpl_arena_array(arena, count, sizeof *starts);
    if (starts == NULL) {
        return;
    }
    size_t line = 0;
    starts[line++] = 0;
    for (size_t i = 0; i < src->len; i++) {
        if (src->text[i] == '\n') {
            starts[line++] = i + 1;
        }
    }
    src->line_starts = starts;
    src->nlines = count;
}

void kpl_source_locate(struct kpl_arena *arena, struct kpl_source *src,
                       size_t offset, size_t *line, size_t *column)
{
    if (src->line_starts == NULL) {
        build_line_map(arena, src);
    }
    if (offset > src->len) {
        offset = src->len;
    }
    if (src->line_starts == NULL) {
        *line = 1;
        *column = offset + 1;
        return;
    }

    /* Binary search for the last line start <= offset. */
    size_t lo = 0;
    size_t hi = src->nlines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (src->line_starts[mid] <= offset) {
            lo = mid;
        } else {
            hi = mid;
        }
    }

    size_t col = 1;
    for (size_t i = src->line_starts[lo]; i < offset; i++) {
        /* Count code points: skip UTF-8 continuation bytes. */
        col += ((unsigned char)src->text[i] & 0xC0) != 0x80;
    }
    *line = lo + 1;
    *column = col;
}

struct kpl_span kpl_span_join(struct kpl_span a, struct kpl_span b)
{
    if (a.src == NULL) {
        return b;
    }
    if (b.src == NULL || b.src != a.src) {
        return a;
    }
    struct kpl_span joined = a;
    joined.start = a.start < b.start ? a.start : b.start;
    joined.end = a.end > b.end ? a.end : b.end;
    return joined;
}

struct kpl_span kpl_span_none(void)
{
    struct kpl_span span = {NULL, 0, 0};
    return span;
}

void kpl_diags_init(struct kpl_diags *diags, struct kpl_arena *arena)
{
    memset(diags, 0, sizeof *diags);
    diags->arena = arena;
    diags->max_count = 200;
}

struct kpl_diag *kpl_diag_add(struct kpl_diags *diags,
                              enum kpl_severity severity, const char *rule,
                              struct kpl_span span, const char *fmt, ...)
{
    if (severity == KPL_SEV_ERROR) {
        diags->nerrors++;
    } else if (severity == KPL_SEV_WARNING) {
        diags->nwarnings++;
    }
    if (diags->max_count > 0 && diags->count >= diags->max_count) {
        diags->dropped++;
        return NULL;
    }

    struct kpl_diag *diag = kpl_arena_alloc(diags->arena, sizeof *diag);
    if (diag == NULL) {
        return NULL;
    }
    va_list args;
    va_start(args, fmt);
    diag->message = kpl_arena_vprintf(diags->arena, fmt, args);
    va_end(args);
    diag->severity = severity;
    diag->rule = rule;
    diag->span = span;

    if (diags->tail == NULL) {
        diags->head = diag;
    } else {
        diags->tail->next = diag;
    }
    diags->tail = diag;
    diags->count++;
    return diag;
}

void kpl_diag_note(struct kpl_diags *diags, struct kpl_diag *diag,
                   struct kpl_span span, const char *fmt, ...)
{
    if (diag == NULL) {
        return;
    }
    struct kpl_note *note = kpl_arena_alloc(diags->arena, sizeof *note);
    if (note == NULL) {
        return;
    }
    va_list args;
    va_start(args, fmt);
    note->message = kpl_arena_vprintf(diags->arena, fmt, args);
    va_end(args);
    note->span = span;

    struct kpl_note **link = &diag->notes;
    while (*link != NULL) {
        link = &(*link)->next;
    }
    *link = note;
}

const char *kpl_severity_name(enum kpl_severity severity)
{
    switch (severity) {
    case KPL_SEV_NOTE:
        return "note";
    case KPL_SEV_WARNING:
        return "warning";
    case KPL_SEV_ERROR:
        return "error";
    }
    return "error";
}

/* Longest excerpt shown; a longer line is cut around the span. */
#define EXCERPT_MAX 160
#define EXCERPT_BEFORE 60

static bool is_continuation(char byte)
{
    return ((unsigned char)byte & 0xC0) == 0x80;
}

/* Moves a byte offset back to the start of its UTF-8 character. */
static size_t char_start(const char *text, size_t begin, size_t at)
{
    while (at > begin && is_continuation(text[at])) {
        at--;
    }
    return at;
}

/*
 * The source line holding the span's start and a caret line under the
 * span; lines over EXCERPT_MAX bytes are cut to a window around the span,
 * marked with "...".
 */
static void render_excerpt(struct kpl_diags *diags, struct kpl_span span,
                           struct kpl_buf *out)
{
    struct kpl_source *src = (struct kpl_source *)span.src;
    size_t line = 0;
    size_t col = 0;
    kpl_source_locate(diags->arena, src, span.start, &line, &col);
    if (src->line_starts == NULL) {
        return;
    }

    size_t begin = src->line_starts[line - 1];
    size_t end = begin;
    while (end < src->len && src->text[end] != '\n') {
        end++;
    }
    size_t from = begin;
    size_t to = end;
    if (end - begin > EXCERPT_MAX) {
        from = span.start > begin + EXCERPT_BEFORE
                   ? char_start(src->text, begin, span.start - EXCERPT_BEFORE)
                   : begin;
        to = from + EXCERPT_MAX < end
                 ? char_start(src->text, from, from + EXCERPT_MAX)
                 : end;
    }

    /* Replace tabs and control bytes so the caret lines up. */
    kpl_buf_puts(out, from > begin ? "  ..." : "  ");
    for (size_t i = from; i < to; i++) {
        unsigned char ch = (unsigned char)src->text[i];
        char shown = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
        kpl_buf_append(out, &shown, 1);
    }
    kpl_buf_puts(out, to < end ? "...\n  " : "\n  ");

    if (from > begin) {
        kpl_buf_puts(out, "   ");
    }
    for (size_t i = from; i < span.start && i < to; i++) {
        if (!is_continuation(src->text[i])) {
            kpl_buf_puts(out, " ");
        }
    }
    kpl_buf_puts(out, "^");
    size_t stop = span.end < to ? span.end : to;
    for (size_t i = span.start + 1; i < stop; i++) {
        if (!is_continuation(src->text[i])) {
            kpl_buf_puts(out, "~");
        }
    }
    kpl_buf_puts(out, "\n");
}

static void render_one(struct kpl_diags *diags, enum kpl_severity severity,
                       const char *rule, struct kpl_span span,
                       const char *message, struct kpl_buf *out)
{
    if (span.src == NULL) {
        kpl_buf_printf(out, "kaplac: %s: %s", kpl_severity_name(severity),
                       message);
    } else {
        size_t line = 0;
        size_t col = 0;
        kpl_source_locate(diags->arena, (struct kpl_source *)span.src,
                          span.start, &line, &col);
        kpl_buf_printf(out, "%s:%zu:%zu: %s: %s", span.src->path, line, col,
                       kpl_severity_name(severity), message);
    }
    if (rule != NULL) {
        kpl_buf_printf(out, " [%s]", rule);
    }
    kpl_buf_puts(out, "\n");
    if (span.src != NULL) {
        render_excerpt(diags, span, out);
    }
}

void kpl_diag_render_text(struct kpl_diags *diags,
                          const struct kpl_diag *diag, struct kpl_buf *out)
{
    render_one(diags, diag->severity, diag->rule, diag->span,
               diag->message ? diag->message : "(out of memory)", out);
    for (const struct kpl_note *note = diag->notes; note; note = note->next) {
        render_one(diags, KPL_SEV_NOTE, NULL, note->span,
                   note->message ? note->message : "(out of memory)", out);
    }
}

void kpl_diags_render_text(struct kpl_diags *diags, struct kpl_buf *out)
{
    for (const struct kpl_diag *d = diags->head; d != NULL; d = d->next) {
        kpl_diag_render_text(diags, d, out);
    }
    if (diags->dropped > 0) {
        kpl_buf_printf(out, "kaplac: note: %d more diagnostics not shown\n",
                       diags->dropped);
    }
}
