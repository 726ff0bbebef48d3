/*
 * Networks and hardware presets compiled into the binary from
 * examples/networks/ and examples/arch/ (see cmake/embed.cmake).
 */
#ifndef KPL_PARSER_BUNDLED_H
#define KPL_PARSER_BUNDLED_H

#include <stdbool.h>
#include <stddef.h>

struct kpl_bundled_file {
    const char *name; /* file name without .kapla: "alexnet", "multinode" */
    const char *text;
    size_t len;
};

/* Terminated by an entry whose name is NULL. */
extern const struct kpl_bundled_file kpl_bundled[];

/* The bundled file of that name ('_' also matching '-'), or NULL. */
const struct kpl_bundled_file *kpl_bundled_find(const char *name);

#endif
