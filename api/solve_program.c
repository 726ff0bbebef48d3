/*
 * The solve job end to end: find the network and arch, derive the training
 * graph when asked, run the solver, print the scheme in the language, then
 * parse that very text in a fresh program and check it; only a scheme that
 * passes is handed back.
 */
#include "kaplac/kaplac.h"

#include <string.h>

/* The bundled file name of a block, or NULL when it came from disk. */
static const char *bundled_name(struct kpl_arena *arena,
                                struct kpl_span span)
{
    static const char prefix[] = "<bundled>/";
    if (span.src == NULL ||
        strncmp(span.src->path, prefix, sizeof prefix - 1) != 0) {
        return NULL;
    }
    const char *name = span.src->path + sizeof prefix - 1;
    const char *dot = strrchr(name, '.');
    size_t len = dot ? (size_t)(dot - name) : strlen(name);
    char *ident = kpl_arena_strndup(arena, name, len);
    for (char *p = ident; p && *p; p++) {
        *p = *p == '-' ? '_' : *p; /* `import mlp_l;` finds mlp-l */
    }
    return ident;
}

/* A copy of a network block renamed NAME_training with `training;`. */
static struct kpl_ast_network *training_copy(struct kpl_arena *arena,
                                             const struct kpl_ast_network *n)
{
    struct kpl_ast_network *copy = kpl_arena_alloc(arena, sizeof *copy);
    struct kpl_ast_layer *flag = kpl_arena_alloc(arena, sizeof *flag);
    if (copy == NULL || flag == NULL) {
        return NULL;
    }
    *copy = *n;
    copy->name = kpl_arena_printf(arena, "%s_training", n->name);
    flag->name = "training";

    /* Copy the statement list so the original stays untouched. */
    struct kpl_ast_layer **tail = &copy->stmts;
    for (const struct kpl_ast_layer *s = n->stmts; s; s = s->next) {
        struct kpl_ast_layer *dup = kpl_arena_alloc(arena, sizeof *dup);
        if (dup == NULL) {
            return NULL;
        }
        *dup = *s;
        dup->next = NULL;
        *tail = dup;
        tail = &dup->next;
    }
    *tail = flag;
    return copy->name ? copy : NULL;
}

/* The arch part of the printed file: an import or the block itself. */
static void print_arch_part(struct kpl_program *prog,
                            const struct kpl_arch *arch, struct kpl_buf *out)
{
    const char *bundle = bundled_name(prog->arena, arch->span);
    if (bundle != NULL) {
        kpl_buf_printf(out, "import %s;\n", bundle);
        return;
    }
    const struct kpl_item *item =
        kpl_program_find_item(prog, KPL_ITEM_ARCH, arch->name);
    if (item != NULL) {
        kpl_print_arch(item->arch, out);
    }
}

/* The network part; returns the name the printed scheme must use. */
static const char *print_network_part(struct kpl_program *prog,
                                      const struct kpl_network *net,
                                      bool derive_training,
                                      struct kpl_buf *out)
{
    const char *bundle = bundled_name(prog->arena, net->span);
    if (bundle != NULL && !derive_training) {
        kpl_buf_printf(out, "import %s;\n", bundle);
        return net->name;
    }
    const struct kpl_item *item =
        kpl_program_find_item(prog, KPL_ITEM_NETWORK, net->name);
    if (item == NULL) {
        return NULL;
    }
    const struct kpl_ast_network *ast = item->network;
    if (derive_training) {
        ast = training_copy(prog->arena, ast);
        if (ast == NULL) {
            return NULL;
        }
    }
    kpl_buf_puts(out, "\n");
    kpl_print_network(ast, out);
    return ast->name;
}

/* Parses text in a fresh program and checks it; 0 when clean. */
static int verify(struct kpl_program *prog, const char *text, size_t len,
                  struct kpl_buf *summary)
{
    struct kpl_program *check = kpl_program_new();
    if (check == NULL) {
        return 2;
    }
    kpl_program_load_text(check, "<solved>", text, len);
    kpl_program_resolve(check);
    const struct kpl_scheme *scheme =
        check->nscheme == 1 ? check->schemes[0] : NULL;
    if (scheme != NULL) {
        kpl_check_scheme(scheme, &check->diags);
    }

    int rc = 0;
    if (scheme == NULL || check->diags.nerrors > 0) {
        struct kpl_buf why;
        kpl_buf_init(&why);
        kpl_diags_render_text(&check->diags, &why);
        kpl_error(&prog->diags, "internal", kpl_span_none(),
                  "the solved scheme fails its own check:\n%s",
                  why.data ? why.data : "(no scheme in the printed text)");
        kpl_buf_free(&why);
        rc = 2;
    } else {
        struct kpl_scheme_cost cost;
        if (kpl_cost_scheme(scheme, check->arena, &cost) == 0) {
            kpl_cost_render_text(scheme, &cost, false, summary);
        }
    }
    kpl_program_free(check);
    return rc;
}

/* A bundled file name such as mlp-l names the block mlp_l. */
static const char *block_name(struct kpl_arena *arena, const char *name)
{
    char *copy = kpl_arena_strdup(arena, name);
    for (char *p = copy; p && *p; p++) {
        *p = *p == '-' ? '_' : *p;
    }
    return copy ? copy : name;
}

static const struct kpl_network *find_network(struct kpl_program *prog,
                                              const char *name)
{
    const struct kpl_network *net = kpl_program_network(prog, name);
    return net ? net : kpl_program_network(prog, block_name(prog->arena, name));
}

static const struct kpl_arch *find_arch(struct kpl_program *prog,
                                        const char *name)
{
    const struct kpl_arch *arch = kpl_program_arch(prog, name);
    return arch ? arch : kpl_program_arch(prog, block_name(prog->arena, name));
}

/*
 * Reports a --network name that no network has.  When an arch has it (a
 * bundled preset is loaded by its name too), says to use --arch rather
 * than sending the user to --list, which shows the name.
 */
static void report_unknown_network(struct kpl_program *prog,
                                   const char *name)
{
    const struct kpl_arch *arch = find_arch(prog, name);
    if (arch == NULL) {
        kpl_error(&prog->diags, "unknown-name", kpl_span_none(),
                  "unknown network '%s' (kaplac --list shows the bundled "
                  "ones)", name);
        return;
    }
    bool bundled = bundled_name(prog->arena, arch->span) != NULL;
    kpl_error(&prog->diags, "unknown-name", kpl_span_none(),
              "'%s' is %s, not a network; use --arch %s", name,
              bundled ? "a bundled arch preset" : "an arch", name);
}

/* Likewise for an --arch name that a network has. */
static void report_unknown_arch(struct kpl_program *prog, const char *name)
{
    const struct kpl_network *net = find_network(prog, name);
    if (net == NULL) {
        kpl_error(&prog->diags, "unknown-name", kpl_span_none(),
                  "unknown arch '%s' (kaplac --list shows the bundled "
                  "ones)", name);
        return;
    }
    bool bundled = bundled_name(prog->arena, net->span) != NULL;
    kpl_error(&prog->diags, "unknown-name", kpl_span_none(),
              "'%s' is %s, not an arch; use --network %s", name,
              bundled ? "a bundled network" : "a network", name);
}

static bool lookup(struct kpl_program *prog,
                   const struct kpl_solve_request *req,
                   const struct kpl_network **net,
                   const struct kpl_arch **arch)
{
    *net = find_network(prog, req->network);
    *arch = find_arch(prog, req->arch);
    if (*net == NULL) {
        report_unknown_network(prog, req->network);
    }
    if (*arch == NULL) {
        report_unknown_arch(prog, req->arch);
    }
    return *net != NULL && *arch != NULL && prog->diags.nerrors == 0;
}

int kpl_solve_program(struct kpl_program *prog,
                      const struct kpl_solve_request *req,
                      struct kpl_buf *scheme_text, struct kpl_buf *summary)
{
    const struct kpl_network *net = NULL;
    const struct kpl_arch *arch = NULL;
    if (prog->diags.nerrors > 0) {
        return 1; /* the input has errors, reported already */
    }
    if (!lookup(prog, req, &net, &arch)) {
        return 1;
    }
    bool derive = req->training && !net->training;
    if (derive && kpl_network_check_training_names(net, &prog->diags) > 0) {
        return 1;
    }
    const struct kpl_network *target =
        derive ? kpl_network_training(net, prog->arena) : net;
    if (target == NULL) {
        return 2;
    }

    /* A name that says what was solved, unique across a repository. */
    const char *name = kpl_arena_printf(
        prog->arena, "%s%s_on_%s_b%lld", net->name, derive ? "_training" : "",
        arch->name, (long long)req->opts.batch);
    struct kpl_scheme *scheme = kpl_solve(target, arch, &req->opts,
                                          name ? name : "solved",
                                          prog->arena, &prog->diags);
    if (scheme == NULL) {
        return prog->diags.nerrors > 0 ? 1 : 2;
    }
    struct kpl_ast_scheme *ast = kpl_scheme_to_ast(scheme, prog->arena);
    if (ast == NULL) {
        return 2;
    }

    kpl_buf_printf(scheme_text,
                   "# Solved by kaplac %s: network %s%s on %s, batch %lld\n",
                   KPL_VERSION, net->name, derive ? " (training)" : "",
                   arch->name, (long long)req->opts.batch);
    print_arch_part(prog, arch, scheme_text);
    const char *net_name = print_network_part(prog, net, derive,
                                              scheme_text);
    if (net_name == NULL) {
        return 2;
    }
    ast->network = net_name;
    kpl_buf_puts(scheme_text, "\n");
    kpl_print_scheme(ast, scheme_text);
    if (scheme_text->failed) {
        return 2;
    }
    return verify(prog, scheme_text->data, scheme_text->len, summary);
}
