/*
 * Program resolution: every arch, then every network, then every scheme of
 * every loaded file, so that a scheme may name blocks of any file.  Names
 * are unique per kind across the program.
 */
#include "checker/resolve_internal.h"

#include <string.h>

static enum kpl_eval_error checked_op(enum kpl_expr_kind kind, int64_t a,
                                      int64_t b, int64_t *out)
{
    switch (kind) {
    case KPL_EXPR_ADD:
        return __builtin_add_overflow(a, b, out) ? KPL_EVAL_OVERFLOW
                                                 : KPL_EVAL_OK;
    case KPL_EXPR_SUB:
        return __builtin_sub_overflow(a, b, out) ? KPL_EVAL_OVERFLOW
                                                 : KPL_EVAL_OK;
    case KPL_EXPR_MUL:
        return __builtin_mul_overflow(a, b, out) ? KPL_EVAL_OVERFLOW
                                                 : KPL_EVAL_OK;
    case KPL_EXPR_DIV:
        if (b == 0) {
            return KPL_EVAL_DIV_ZERO;
        }
        if (a == INT64_MIN && b == -1) {
            return KPL_EVAL_OVERFLOW;
        }
        /* Round down, also for negative operands. */
        *out = a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
        return KPL_EVAL_OK;
    default:
        return KPL_EVAL_OVERFLOW;
    }
}

enum kpl_eval_error kpl_expr_eval_why(const struct kpl_expr *expr,
                                      const struct kpl_param *ps, int nparam,
                                      int64_t *value,
                                      const struct kpl_expr **culprit)
{
    int64_t a = 0;
    int64_t b = 0;
    enum kpl_eval_error err = KPL_EVAL_OK;
    *culprit = expr;
    switch (expr->kind) {
    case KPL_EXPR_NUMBER:
        *value = expr->value;
        return KPL_EVAL_OK;
    case KPL_EXPR_PARAM:
        for (int i = 0; i < nparam; i++) {
            if (strcmp(ps[i].name, expr->name) == 0) {
                *value = ps[i].value;
                return KPL_EVAL_OK;
            }
        }
        return KPL_EVAL_UNKNOWN_PARAM;
    case KPL_EXPR_NEG:
        err = kpl_expr_eval_why(expr->lhs, ps, nparam, &a, culprit);
        if (err == KPL_EVAL_OK && a == INT64_MIN) {
            *culprit = expr;
            err = KPL_EVAL_OVERFLOW;
        }
        *value = -a;
        return err;
    default:
        err = kpl_expr_eval_why(expr->lhs, ps, nparam, &a, culprit);
        if (err == KPL_EVAL_OK) {
            err = kpl_expr_eval_why(expr->rhs, ps, nparam, &b, culprit);
        }
        if (err == KPL_EVAL_OK) {
            *culprit = expr;
            err = checked_op(expr->kind, a, b, value);
        }
        return err;
    }
}

bool kpl_expr_eval(const struct kpl_expr *expr, const struct kpl_param *ps,
                   int nparam, int64_t *value)
{
    const struct kpl_expr *culprit = NULL;
    return expr != NULL &&
           kpl_expr_eval_why(expr, ps, nparam, value, &culprit) ==
               KPL_EVAL_OK;
}

/* Reports a failed evaluation at the sub-expression that failed. */
void kpl_resolve_eval_error(struct kpl_diags *diags, enum kpl_eval_error err,
                       const struct kpl_expr *culprit, const char *context)
{
    switch (err) {
    case KPL_EVAL_UNKNOWN_PARAM:
        kpl_error(diags, "unknown-name", culprit->span,
                  "unknown parameter '%s'%s", culprit->name, context);
        break;
    case KPL_EVAL_DIV_ZERO:
        kpl_error(diags, "value", culprit->span, "division by zero");
        break;
    case KPL_EVAL_OVERFLOW:
        kpl_error(diags, "value", culprit->span,
                  "the value overflows 64 bits");
        break;
    case KPL_EVAL_OK:
        break;
    }
}

const struct kpl_network *kpl_program_network(const struct kpl_program *p,
                                              const char *name)
{
    for (int i = 0; i < p->nnet; i++) {
        if (strcmp(p->nets[i]->name, name) == 0) {
            return p->nets[i];
        }
    }
    return NULL;
}

const struct kpl_arch *kpl_program_arch(const struct kpl_program *p,
                                        const char *name)
{
    for (int i = 0; i < p->narch; i++) {
        if (strcmp(p->archs[i]->name, name) == 0) {
            return p->archs[i];
        }
    }
    return NULL;
}

static const char *item_name(const struct kpl_item *it)
{
    if (it->kind == KPL_ITEM_NETWORK && it->network != NULL) {
        return it->network->name;
    }
    if (it->kind == KPL_ITEM_ARCH && it->arch != NULL) {
        return it->arch->name;
    }
    return NULL;
}

const struct kpl_item *kpl_program_find_item(const struct kpl_program *p,
                                             enum kpl_item_kind kind,
                                             const char *name)
{
    for (int f = 0; f < p->nfile; f++) {
        for (const struct kpl_item *it = p->files[f]->items; it;
             it = it->next) {
            const char *n = item_name(it);
            if (it->kind == kind && n != NULL && strcmp(n, name) == 0) {
                return it;
            }
        }
    }
    return NULL;
}

static int count_items(const struct kpl_program *prog, enum kpl_item_kind k)
{
    int count = 0;
    for (int f = 0; f < prog->nfile; f++) {
        for (const struct kpl_item *it = prog->files[f]->items; it;
             it = it->next) {
            count += it->kind == k;
        }
    }
    return count;
}

static bool is_root(const struct kpl_program *prog,
                    const struct kpl_ast_file *file)
{
    for (int i = 0; i < prog->nroot; i++) {
        if (prog->roots[i] == file) {
            return true;
        }
    }
    return false;
}

/* Reports a second block of the same kind and name; true if a duplicate. */
static bool duplicate(struct resolver *rs, const char *what,
                      const char *name, struct kpl_span span,
                      const char *existing, struct kpl_span first)
{
    if (existing == NULL || strcmp(existing, name) != 0) {
        return false;
    }
    struct kpl_diag *d = kpl_error(rs->diags, "duplicate", span,
                                   "%s '%s' is defined twice", what, name);
    kpl_diag_note(rs->diags, d, first, "first defined here");
    return true;
}

static void resolve_archs(struct resolver *rs)
{
    struct kpl_program *prog = rs->prog;
    for (int f = 0; f < prog->nfile; f++) {
        for (const struct kpl_item *it = prog->files[f]->items; it;
             it = it->next) {
            if (it->kind != KPL_ITEM_ARCH || it->arch == NULL) {
                continue;
            }
            bool dup = false;
            for (int i = 0; i < prog->narch && !dup; i++) {
                dup = duplicate(rs, "arch", it->arch->name,
                                it->arch->name_span, prog->archs[i]->name,
                                prog->archs[i]->span);
            }
            struct kpl_arch *a = dup ? NULL : resolve_arch(rs, it->arch);
            if (a != NULL) {
                prog->archs[prog->narch++] = a;
            }
        }
    }
}

static void resolve_networks(struct resolver *rs)
{
    struct kpl_program *prog = rs->prog;
    for (int f = 0; f < prog->nfile; f++) {
        for (const struct kpl_item *it = prog->files[f]->items; it;
             it = it->next) {
            if (it->kind != KPL_ITEM_NETWORK || it->network == NULL) {
                continue;
            }
            bool dup = false;
            for (int i = 0; i < prog->nnet && !dup; i++) {
                dup = duplicate(rs, "network", it->network->name,
                                it->network->name_span, prog->nets[i]->name,
                                prog->nets[i]->span);
            }
            struct kpl_network *n =
                dup ? NULL : resolve_network(rs, it->network);
            if (n != NULL) {
                prog->nets[prog->nnet++] = n;
            }
        }
    }
}

static void resolve_schemes(struct resolver *rs)
{
    struct kpl_program *prog = rs->prog;
    for (int f = 0; f < prog->nfile; f++) {
        for (const struct kpl_item *it = prog->files[f]->items; it;
             it = it->next) {
            if (it->kind != KPL_ITEM_SCHEME || it->scheme == NULL) {
                continue;
            }
            for (int i = 0; i < prog->nscheme; i++) {
                duplicate(rs, "scheme", it->scheme->name,
                          it->scheme->name_span,
                          prog->scheme_asts[i]->name,
                          prog->scheme_asts[i]->name_span);
            }
            int at = prog->nscheme++;
            prog->scheme_asts[at] = it->scheme;
            prog->scheme_rooted[at] = is_root(prog, prog->files[f]);
            prog->schemes[at] = resolve_scheme(rs, it->scheme);
        }
    }
}

void kpl_program_resolve(struct kpl_program *prog)
{
    struct resolver rs = {prog, prog->arena, &prog->diags};
    struct kpl_arena *arena = prog->arena;
    int narch = count_items(prog, KPL_ITEM_ARCH);
    int nnet = count_items(prog, KPL_ITEM_NETWORK);
    int nscheme = count_items(prog, KPL_ITEM_SCHEME);

    prog->archs = kpl_arena_array(arena, (size_t)narch + 1,
                                  sizeof *prog->archs);
    prog->nets = kpl_arena_array(arena, (size_t)nnet + 1,
                                 sizeof *prog->nets);
    prog->schemes = kpl_arena_array(arena, (size_t)nscheme + 1,
                                    sizeof *prog->schemes);
    prog->scheme_asts = kpl_arena_array(arena, (size_t)nscheme + 1,
                                        sizeof *prog->scheme_asts);
    prog->scheme_rooted = kpl_arena_array(arena, (size_t)nscheme + 1,
                                          sizeof *prog->scheme_rooted);
    if (!prog->archs || !prog->nets || !prog->schemes ||
        !prog->scheme_asts || !prog->scheme_rooted) {
        return;
    }

    /*
     * Syntax and I/O errors leave the tree incomplete: resolving it would
     * only add errors that follow from the first ones.
     */
    if (prog->diags.nerrors > 0) {
        return;
    }
    resolve_archs(&rs);
    resolve_networks(&rs);
    resolve_schemes(&rs);
}
