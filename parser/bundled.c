/*
 * Look-up over the generated table of bundled files.
 */
#include "parser/bundled.h"

#include <string.h>

const struct kpl_bundled_file *kpl_bundled_find(const char *name)
{
    for (const struct kpl_bundled_file *f = kpl_bundled; f->name; f++) {
        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }
    return NULL;
}
