/* Placeholder: replaced by the real parser driver. */
#include "parser/parse.h"

struct kpl_ast_file *kpl_parse(struct kpl_arena *arena,
                               struct kpl_source *src,
                               struct kpl_diags *diags)
{
    (void)diags;
    struct kpl_ast_file *file = kpl_arena_alloc(arena, sizeof *file);
    if (file != NULL) {
        file->source = src;
    }
    return file;
}
