/*
 * Arena: a singly linked list of blocks, each at least 64 KiB.  Large
 * requests get a block of their own.  Nothing is freed before the end.
 */
#include "base/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE ((size_t)64 * 1024)
#define ALIGNMENT ((size_t)16)

struct block {
    struct block *next;
    size_t used;
    size_t size;
    _Alignas(16) unsigned char data[];
};

struct kpl_arena {
    struct block *head;
    bool failed;
};

struct kpl_arena *kpl_arena_new(void)
{
    return calloc(1, sizeof(struct kpl_arena));
}

void kpl_arena_free(struct kpl_arena *arena)
{
    if (arena == NULL) {
        return;
    }
    struct block *block = arena->head;
    while (block != NULL) {
        struct block *next = block->next;
        free(block);
        block = next;
    }
    free(arena);
}

static struct block *new_block(size_t need)
{
    size_t size = need > BLOCK_SIZE ? need : BLOCK_SIZE;
    if (size > SIZE_MAX - sizeof(struct block)) {
        return NULL;
    }
    struct block *block = malloc(sizeof(struct block) + size);
    if (block == NULL) {
        return NULL;
    }
    block->next = NULL;
    block->used = 0;
    block->size = size;
    return block;
}

void *kpl_arena_alloc(struct kpl_arena *arena, size_t size)
{
    if (size == 0) {
        size = 1;
    }
    if (size > SIZE_MAX - ALIGNMENT) {
        arena->failed = true;
        return NULL;
    }
    size = (size + ALIGNMENT - 1) & ~(ALIGNMENT - 1);

    struct block *block = arena->head;
    if (block == NULL || block->size - block->used < size) {
        block = new_block(size);
        if (block == NULL) {
            arena->failed = true;
            return NULL;
        }
        block->next = arena->head;
        arena->head = block;
    }

    void *result = block->data + block->used;
    block->used += size;
    memset(result, 0, size);
    return result;
}

void *kpl_arena_array(struct kpl_arena *arena, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        arena->failed = true;
        return NULL;
    }
    return kpl_arena_alloc(arena, count * size);
}

char *kpl_arena_strndup(struct kpl_arena *arena, const char *text,
                        size_t len)
{
    char *copy = kpl_arena_alloc(arena, len + 1);
    if (copy != NULL) {
        memcpy(copy, text, len);
        copy[len] = '\0';
    }
    return copy;
}

char *kpl_arena_strdup(struct kpl_arena *arena, const char *text)
{
    return kpl_arena_strndup(arena, text, strlen(text));
}

char *kpl_arena_vprintf(struct kpl_arena *arena, const char *fmt,
                        va_list args)
{
    va_list copy;
    va_copy(copy, args);
    int len = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (len < 0) {
        arena->failed = true;
        return NULL;
    }

    char *text = kpl_arena_alloc(arena, (size_t)len + 1);
    if (text != NULL) {
        vsnprintf(text, (size_t)len + 1, fmt, args);
    }
    return text;
}

char *kpl_arena_printf(struct kpl_arena *arena, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *text = kpl_arena_vprintf(arena, fmt, args);
    va_end(args);
    return text;
}

bool kpl_arena_failed(const struct kpl_arena *arena)
{
    return arena->failed;
}

void kpl_buf_init(struct kpl_buf *buf)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->failed = false;
}

void kpl_buf_free(struct kpl_buf *buf)
{
    free(buf->data);
    kpl_buf_init(buf);
}

static bool reserve(struct kpl_buf *buf, size_t extra)
{
    if (buf->failed || extra > SIZE_MAX / 2 - buf->len) {
        buf->failed = true;
        return false;
    }
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap) {
        return true;
    }
    size_t cap = buf->cap == 0 ? 256 : buf->cap;
    while (cap < need) {
        cap *= 2;
    }
    char *data = realloc(buf->data, cap);
    if (data == NULL) {
        buf->failed = true;
        return false;
    }
    buf->data = data;
    buf->cap = cap;
    return true;
}

void kpl_buf_append(struct kpl_buf *buf, const char *text, size_t len)
{
    if (!reserve(buf, len)) {
        return;
    }
    memcpy(buf->data + buf->len, text, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

void kpl_buf_puts(struct kpl_buf *buf, const char *text)
{
    kpl_buf_append(buf, text, strlen(text));
}

void kpl_buf_vprintf(struct kpl_buf *buf, const char *fmt, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    int len = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (len < 0 || !reserve(buf, (size_t)len)) {
        buf->failed = true;
        return;
    }
    vsnprintf(buf->data + buf->len, (size_t)len + 1, fmt, args);
    buf->len += (size_t)len;
}

void kpl_buf_printf(struct kpl_buf *buf, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    kpl_buf_vprintf(buf, fmt, args);
    va_end(args);
}

void kpl_buf_json_escape(struct kpl_buf *buf, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '"':
            kpl_buf_puts(buf, "\\\"");
            break;
        case '\\':
            kpl_buf_puts(buf, "\\\\");
            break;
        case '\n':
            kpl_buf_puts(buf, "\\n");
            break;
        case '\t':
            kpl_buf_puts(buf, "\\t");
            break;
        case '\r':
            kpl_buf_puts(buf, "\\r");
            break;
        default:
            if (*p < 0x20) {
                kpl_buf_printf(buf, "\\u%04x", *p);
            } else {
                kpl_buf_append(buf, (const char *)p, 1);
            }
        }
    }
}
