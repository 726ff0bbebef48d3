/*
 * Arena allocation and growable byte buffers.
 *
 * One arena backs one compilation: source text, tokens, the AST, the
 * resolved IR and every diagnostic come from it and are released together
 * by kpl_arena_free.  Allocation failure is reported by a NULL return; the
 * arena remembers it (kpl_arena_failed) so that callers deep in a walk can
 * keep going and let the top level turn it into an internal error.
 */
#ifndef KPL_BASE_ARENA_H
#define KPL_BASE_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct kpl_arena;

/* Returns an owned arena, or NULL when out of memory. */
struct kpl_arena *kpl_arena_new(void);

/* Releases the arena and everything allocated from it.  NULL is a no-op. */
void kpl_arena_free(struct kpl_arena *arena);

/* Zero-filled, aligned for any type; NULL (and sticky failure) on OOM. */
void *kpl_arena_alloc(struct kpl_arena *arena, size_t size);

/* Array of count elements of size bytes, overflow-checked. */
void *kpl_arena_array(struct kpl_arena *arena, size_t count, size_t size);

/* Copies len bytes of text and appends a NUL. */
char *kpl_arena_strndup(struct kpl_arena *arena, const char *text,
                        size_t len);
char *kpl_arena_strdup(struct kpl_arena *arena, const char *text);

/* printf into the arena. */
char *kpl_arena_printf(struct kpl_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *kpl_arena_vprintf(struct kpl_arena *arena, const char *fmt,
                        va_list args);

/* True once any allocation from this arena has failed. */
bool kpl_arena_failed(const struct kpl_arena *arena);

/*
 * A growable NUL-terminated byte buffer on the heap (not the arena), used
 * by every renderer: the library writes text into a buffer, the driver
 * decides where it goes.  A failed append sets failed and leaves the
 * contents as they were.
 */
struct kpl_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
};

void kpl_buf_init(struct kpl_buf *buf);
void kpl_buf_free(struct kpl_buf *buf);
void kpl_buf_append(struct kpl_buf *buf, const char *text, size_t len);
void kpl_buf_puts(struct kpl_buf *buf, const char *text);
void kpl_buf_printf(struct kpl_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void kpl_buf_vprintf(struct kpl_buf *buf, const char *fmt, va_list args);

/* Appends text as the body of a JSON string (no quotes added). */
void kpl_buf_json_escape(struct kpl_buf *buf, const char *text);

#endif
