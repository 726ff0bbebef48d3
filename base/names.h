/*
 * A table from names to small integers (open addressing, FNV-1a hashing),
 * for name look-ups that would otherwise be linear: layers of a network,
 * layers of a scheme.  Storage comes from the arena; names are borrowed
 * and must outlive the table.
 */
#ifndef KPL_BASE_NAMES_H
#define KPL_BASE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"

struct kpl_names {
    size_t cap;         /* a power of two, at least twice the entries */
    const char **keys;  /* NULL: empty slot */
    int *values;
};

/* A table for up to count names; false when out of memory. */
bool kpl_names_init(struct kpl_names *names, struct kpl_arena *arena,
                    size_t count);

/* Adds name -> value unless present; returns the value now stored. */
int kpl_names_put(struct kpl_names *names, const char *name, int value);

/* The value of name, or -1. */
int kpl_names_get(const struct kpl_names *names, const char *name);

#endif
