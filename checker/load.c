/*
 * Program loading: files from disk, bundled files, and their imports.
 *
 * Files are identified by their canonical path (bundled ones by
 * "<bundled>/NAME.kapla").  A file being loaded sits on a stack; importing
 * a file that is on the stack is a cycle.  Imports are loaded before the
 * file that names them, so prog->files is in dependency order.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "checker/resolve.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/bundled.h"
#include "parser/parse.h"

/* Larger files are refused rather than read into memory. */
#define MAX_FILE_BYTES ((long)64 * 1024 * 1024)
#define MAX_FILES 1024

/* Identity of each file: loaded (done) or being loaded (on the stack). */
struct kpl_loaded {
    const char *key;
    struct kpl_ast_file *file; /* NULL while loading */
};

struct kpl_program *kpl_program_new(void)
{
    struct kpl_program *prog = calloc(1, sizeof *prog);
    if (prog == NULL) {
        return NULL;
    }
    prog->arena = kpl_arena_new();
    if (prog->arena == NULL) {
        free(prog);
        return NULL;
    }
    kpl_diags_init(&prog->diags, prog->arena);
    prog->files = kpl_arena_array(prog->arena, MAX_FILES,
                                  sizeof *prog->files);
    prog->roots = kpl_arena_array(prog->arena, MAX_FILES,
                                  sizeof *prog->roots);
    prog->loaded = kpl_arena_array(prog->arena, MAX_FILES,
                                   sizeof *prog->loaded);
    if (prog->files == NULL || prog->roots == NULL || prog->loaded == NULL) {
        kpl_program_free(prog);
        return NULL;
    }
    return prog;
}

void kpl_program_free(struct kpl_program *prog)
{
    if (prog == NULL) {
        return;
    }
    kpl_arena_free(prog->arena);
    free(prog);
}


static struct kpl_loaded *find_key(const struct kpl_program *prog,
                                   const char *key)
{
    for (int i = 0; i < prog->nloaded; i++) {
        if (strcmp(prog->loaded[i].key, key) == 0) {
            return &prog->loaded[i];
        }
    }
    return NULL;
}

static int load_source(struct kpl_program *prog, const char *key,
                       const char *path, const char *text, size_t len,
                       struct kpl_span from, struct kpl_ast_file **out);

/* Reads a whole file into a heap buffer. */
static char *read_file(const char *path, size_t *len, const char **why)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        *why = strerror(errno);
        return NULL;
    }

    char *text = NULL;
    size_t used = 0;
    size_t cap = 0;
    for (;;) {
        if (used > (size_t)MAX_FILE_BYTES) {
            *why = "file too large (over 64 MiB)";
            goto fail;
        }
        if (cap - used < 4096) {
            size_t grown = cap == 0 ? 8192 : cap * 2;
            char *bigger = realloc(text, grown);
            if (bigger == NULL) {
                *why = "out of memory";
                goto fail;
            }
            text = bigger;
            cap = grown;
        }
        size_t got = fread(text + used, 1, cap - used, fp);
        used += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(fp)) {
        *why = strerror(errno != 0 ? errno : EIO);
        goto fail;
    }
    fclose(fp);
    *len = used;
    return text;

fail:
    free(text);
    fclose(fp);
    return NULL;
}

/* The directory part of path, with a trailing '/', or "" for none. */
static char *dir_of(struct kpl_arena *arena, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        return kpl_arena_strdup(arena, "");
    }
    return kpl_arena_strndup(arena, path, (size_t)(slash - path + 1));
}

static int load_disk(struct kpl_program *prog, const char *path,
                     struct kpl_span from)
{
    char resolved[PATH_MAX];
    const char *key = realpath(path, resolved) ? resolved : path;
    struct kpl_loaded *known = find_key(prog, key);
    if (known != NULL) {
        if (known->file == NULL) {
            kpl_error(&prog->diags, "import", from,
                      "import cycle: '%s' imports itself through this "
                      "import", path);
            return -1;
        }
        return 0;
    }

    size_t len = 0;
    const char *why = NULL;
    char *text = read_file(path, &len, &why);
    if (text == NULL) {
        kpl_error(&prog->diags, "io", from, "cannot read '%s': %s", path,
                  why);
        return -1;
    }
    int rc = load_source(prog, key, path, text, len, from, NULL);
    free(text);
    return rc;
}

static int load_bundle(struct kpl_program *prog, const char *name,
                       struct kpl_span from)
{
    const struct kpl_bundled_file *bundle = kpl_bundled_find(name);
    if (bundle != NULL) {
        name = bundle->name;
    }
    if (bundle == NULL) {
        kpl_error(&prog->diags, "import", from,
                  "no bundled network or preset named '%s'", name);
        return -1;
    }
    char *key = kpl_arena_printf(prog->arena, "<bundled>/%s.kapla", name);
    if (key == NULL) {
        return -1;
    }
    struct kpl_loaded *known = find_key(prog, key);
    if (known != NULL) {
        return known->file == NULL ? -1 : 0;
    }
    return load_source(prog, key, key, bundle->text, bundle->len, from,
                       NULL);
}

static void load_imports(struct kpl_program *prog, struct kpl_ast_file *file)
{
    for (struct kpl_item *it = file->items; it; it = it->next) {
        if (it->kind != KPL_ITEM_IMPORT || it->import_path == NULL) {
            continue;
        }
        if (it->import_bundled) {
            load_bundle(prog, it->import_path, it->span);
            continue;
        }
        const char *target = it->import_path;
        bool bundled_dir = strncmp(file->source->path, "<bundled>/", 10) == 0;
        if (bundled_dir) {
            kpl_error(&prog->diags, "import", it->span,
                      "a bundled file cannot import a file from disk");
            continue;
        }
        if (target[0] != '/') {
            char *dir = dir_of(prog->arena, file->source->path);
            target = kpl_arena_printf(prog->arena, "%s%s", dir ? dir : "",
                                      target);
        }
        if (target != NULL) {
            load_disk(prog, target, it->span);
        }
    }
}

static int load_source(struct kpl_program *prog, const char *key,
                       const char *path, const char *text, size_t len,
                       struct kpl_span from, struct kpl_ast_file **out)
{
    if (prog->nloaded >= MAX_FILES || prog->nfile >= MAX_FILES) {
        kpl_error(&prog->diags, "import", from,
                  "too many files (more than %d)", MAX_FILES);
        return -1;
    }
    int index = prog->nloaded++;
    struct kpl_loaded *slot = &prog->loaded[index];
    slot->key = kpl_arena_strdup(prog->arena, key);
    slot->file = NULL;

    struct kpl_source *src = kpl_source_new(prog->arena, path, text, len);
    if (src == NULL || slot->key == NULL) {
        return -1;
    }
    struct kpl_ast_file *file = kpl_parse(prog->arena, src, &prog->diags);
    if (file == NULL) {
        return -1;
    }

    load_imports(prog, file);
    prog->loaded[index].file = file;
    prog->files[prog->nfile++] = file;
    if (out != NULL) {
        *out = file;
    }
    return 0;
}

static void add_root(struct kpl_program *prog, struct kpl_ast_file *file)
{
    for (int i = 0; i < prog->nroot; i++) {
        if (prog->roots[i] == file) {
            return;
        }
    }
    if (prog->nroot < MAX_FILES) {
        prog->roots[prog->nroot++] = file;
    }
}

/* The file just loaded under key, for marking roots. */
static struct kpl_ast_file *file_for_key(const struct kpl_program *prog,
                                         const char *key)
{
    struct kpl_loaded *known = find_key(prog, key);
    return known ? known->file : NULL;
}

int kpl_program_load_file(struct kpl_program *prog, const char *path)
{
    if (load_disk(prog, path, kpl_span_none()) != 0) {
        return -1;
    }
    char resolved[PATH_MAX];
    const char *key = realpath(path, resolved) ? resolved : path;
    struct kpl_ast_file *file = file_for_key(prog, key);
    if (file != NULL) {
        add_root(prog, file);
    }
    return 0;
}

int kpl_program_load_text(struct kpl_program *prog, const char *path,
                          const char *text, size_t len)
{
    char *key = kpl_arena_printf(prog->arena, "<text>/%d/%s", prog->nfile,
                                 path);
    struct kpl_ast_file *file = NULL;
    if (key == NULL ||
        load_source(prog, key, path, text, len, kpl_span_none(), &file)) {
        return -1;
    }
    add_root(prog, file);
    return 0;
}

int kpl_program_load_bundled(struct kpl_program *prog, const char *name)
{
    if (load_bundle(prog, name, kpl_span_none()) != 0) {
        return -1;
    }
    name = kpl_bundled_find(name)->name;
    char *key = kpl_arena_printf(prog->arena, "<bundled>/%s.kapla", name);
    struct kpl_ast_file *file = key ? file_for_key(prog, key) : NULL;
    if (file != NULL) {
        add_root(prog, file);
    }
    return 0;
}
