/*
 * Look-up over the generated table of bundled files.  Identifiers cannot
 * hold '-', so a name with '_' also finds the file spelled with '-'
 * (`import mlp_l;` and `--network mlp_l` find mlp-l).
 */
#include "parser/bundled.h"

#include <string.h>

static bool same_name(const char *file, const char *name)
{
    for (; *file != '\0' && *name != '\0'; file++, name++) {
        bool equal = *file == *name || (*file == '-' && *name == '_');
        if (!equal) {
            return false;
        }
    }
    return *file == '\0' && *name == '\0';
}

const struct kpl_bundled_file *kpl_bundled_find(const char *name)
{
    for (const struct kpl_bundled_file *f = kpl_bundled; f->name; f++) {
        if (same_name(f->name, name)) {
            return f;
        }
    }
    return NULL;
}
