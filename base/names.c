/*
 * Name table: linear probing over a power-of-two array kept at most half
 * full, so a probe sequence always ends at an empty slot.
 */
#include "base/names.h"

#include <stdint.h>
#include <string.h>

static size_t hash_name(const char *name)
{
    uint64_t h = 14695981039346656037u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h = (h ^ *p) * 1099511628211u;
    }
    return (size_t)h;
}

bool kpl_names_init(struct kpl_names *names, struct kpl_arena *arena,
                    size_t count)
{
    size_t cap = 16;
    while (cap < 2 * count + 2) {
        cap *= 2;
    }
    names->cap = cap;
    names->keys = kpl_arena_array(arena, cap, sizeof *names->keys);
    names->values = kpl_arena_array(arena, cap, sizeof *names->values);
    return names->keys != NULL && names->values != NULL;
}

static size_t slot_of(const struct kpl_names *names, const char *name)
{
    size_t mask = names->cap - 1;
    size_t i = hash_name(name) & mask;
    while (names->keys[i] != NULL && strcmp(names->keys[i], name) != 0) {
        i = (i + 1) & mask;
    }
    return i;
}

int kpl_names_put(struct kpl_names *names, const char *name, int value)
{
    size_t i = slot_of(names, name);
    if (names->keys[i] == NULL) {
        names->keys[i] = name;
        names->values[i] = value;
    }
    return names->values[i];
}

int kpl_names_get(const struct kpl_names *names, const char *name)
{
    size_t i = slot_of(names, name);
    return names->keys[i] == NULL ? -1 : names->values[i];
}
