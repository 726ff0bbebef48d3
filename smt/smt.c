/*
 * The Z3 layer: context life cycle, the keep list of referenced ASTs, and
 * term, solver and model helpers that turn Z3 errors into a flag instead
 * of output (see smt/smt.h).
 */
#include "smt/smt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Z3 stores the code of a failed call in the context and returns; this
 * handler only keeps Z3's default (print and exit) from running.  The
 * code itself is read back by kpl_smt_ok after every call.
 */
static void record_error(Z3_context ctx, Z3_error_code code)
{
    (void)ctx;
    (void)code;
}

bool kpl_smt_ok(struct kpl_smt *smt)
{
    Z3_error_code code = Z3_get_error_code(smt->ctx);
    if (code == Z3_OK) {
        return true;
    }
    if (!smt->failed) {
        const char *msg = Z3_get_error_msg(smt->ctx, code);
        snprintf(smt->error, sizeof smt->error, "%s",
                 msg != NULL ? msg : "unknown Z3 error");
    }
    smt->failed = true;
    return false;
}

bool kpl_smt_open(struct kpl_smt *smt, unsigned timeout_ms)
{
    memset(smt, 0, sizeof *smt);
    Z3_config cfg = Z3_mk_config();
    if (cfg == NULL) {
        snprintf(smt->error, sizeof smt->error, "cannot configure Z3");
        smt->failed = true;
        return false;
    }
    Z3_set_param_value(cfg, "model", "true");
    if (timeout_ms > 0) {
        /* Set per context: a per-solver timeout costs milliseconds. */
        char text[32];
        snprintf(text, sizeof text, "%u", timeout_ms);
        Z3_set_param_value(cfg, "timeout", text);
    }
    smt->ctx = Z3_mk_context_rc(cfg);
    Z3_del_config(cfg);
    if (smt->ctx == NULL) {
        snprintf(smt->error, sizeof smt->error, "cannot create Z3 context");
        smt->failed = true;
        return false;
    }
    Z3_set_error_handler(smt->ctx, record_error);

    smt->int_sort = Z3_mk_int_sort(smt->ctx);
    smt->bool_sort = Z3_mk_bool_sort(smt->ctx);
    return kpl_smt_ok(smt);
}

void kpl_smt_close(struct kpl_smt *smt)
{
    if (smt->ctx == NULL) {
        return;
    }
    kpl_smt_release(smt, 0);
    free(smt->kept);
    smt->kept = NULL;
    smt->capkept = 0;
    Z3_del_context(smt->ctx);
    smt->ctx = NULL;
}

size_t kpl_smt_mark(const struct kpl_smt *smt)
{
    return smt->nkept;
}

void kpl_smt_release(struct kpl_smt *smt, size_t mark)
{
    while (smt->nkept > mark) {
        smt->nkept--;
        Z3_dec_ref(smt->ctx, smt->kept[smt->nkept]);
    }
}

Z3_ast kpl_smt_keep(struct kpl_smt *smt, Z3_ast a)
{
    if (!kpl_smt_ok(smt) || a == NULL) {
        smt->failed = true;
        return NULL;
    }
    if (smt->nkept == smt->capkept) {
        size_t cap = smt->capkept ? smt->capkept * 2 : 1024;
        Z3_ast *grown = realloc(smt->kept, cap * sizeof *grown);
        if (grown == NULL) {
            snprintf(smt->error, sizeof smt->error, "out of memory");
            smt->failed = true;
            return NULL;
        }
        smt->kept = grown;
        smt->capkept = cap;
    }
    Z3_inc_ref(smt->ctx, a);
    smt->kept[smt->nkept++] = a;
    return a;
}

Z3_ast kpl_smt_int(struct kpl_smt *smt, int64_t value)
{
    return kpl_smt_keep(smt, Z3_mk_int64(smt->ctx, value, smt->int_sort));
}

Z3_ast kpl_smt_bool(struct kpl_smt *smt, bool value)
{
    Z3_ast a = value ? Z3_mk_true(smt->ctx) : Z3_mk_false(smt->ctx);
    return kpl_smt_keep(smt, a);
}

static Z3_ast make_const(struct kpl_smt *smt, const char *name, Z3_sort s)
{
    Z3_symbol sym = Z3_mk_string_symbol(smt->ctx, name);
    if (!kpl_smt_ok(smt)) {
        return NULL;
    }
    return kpl_smt_keep(smt, Z3_mk_const(smt->ctx, sym, s));
}

Z3_ast kpl_smt_int_var(struct kpl_smt *smt, const char *name)
{
    return make_const(smt, name, smt->int_sort);
}

Z3_ast kpl_smt_bool_var(struct kpl_smt *smt, const char *name)
{
    return make_const(smt, name, smt->bool_sort);
}

/* The two-argument constructors share one shape. */
enum binop { OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_OR };

static Z3_ast nary(struct kpl_smt *smt, enum binop op, Z3_ast a, Z3_ast b)
{
    if (a == NULL || b == NULL) {
        return NULL;
    }
    Z3_ast args[2] = {a, b};
    Z3_ast r = NULL;
    switch (op) {
    case OP_ADD:
        r = Z3_mk_add(smt->ctx, 2, args);
        break;
    case OP_SUB:
        r = Z3_mk_sub(smt->ctx, 2, args);
        break;
    case OP_MUL:
        r = Z3_mk_mul(smt->ctx, 2, args);
        break;
    case OP_AND:
        r = Z3_mk_and(smt->ctx, 2, args);
        break;
    case OP_OR:
        r = Z3_mk_or(smt->ctx, 2, args);
        break;
    }
    return kpl_smt_keep(smt, r);
}

Z3_ast kpl_smt_add(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    return nary(smt, OP_ADD, a, b);
}

Z3_ast kpl_smt_sub(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    return nary(smt, OP_SUB, a, b);
}

Z3_ast kpl_smt_mul(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    return nary(smt, OP_MUL, a, b);
}

Z3_ast kpl_smt_and(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    return nary(smt, OP_AND, a, b);
}

Z3_ast kpl_smt_or(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    return nary(smt, OP_OR, a, b);
}

Z3_ast kpl_smt_div(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    if (a == NULL || b == NULL) {
        return NULL;
    }
    return kpl_smt_keep(smt, Z3_mk_div(smt->ctx, a, b));
}

Z3_ast kpl_smt_neg(struct kpl_smt *smt, Z3_ast a)
{
    if (a == NULL) {
        return NULL;
    }
    return kpl_smt_keep(smt, Z3_mk_unary_minus(smt->ctx, a));
}

/* ceil(a / b) for b > 0: (a + b - 1) div b. */
Z3_ast kpl_smt_ceil_div(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    Z3_ast one = kpl_smt_int(smt, 1);
    Z3_ast bumped = kpl_smt_sub(smt, kpl_smt_add(smt, a, b), one);
    return kpl_smt_div(smt, bumped, b);
}

Z3_ast kpl_smt_le(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    if (a == NULL || b == NULL) {
        return NULL;
    }
    return kpl_smt_keep(smt, Z3_mk_le(smt->ctx, a, b));
}

Z3_ast kpl_smt_lt(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    if (a == NULL || b == NULL) {
        return NULL;
    }
    return kpl_smt_keep(smt, Z3_mk_lt(smt->ctx, a, b));
}

Z3_ast kpl_smt_eq(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    if (a == NULL || b == NULL) {
        return NULL;
    }
    return kpl_smt_keep(smt, Z3_mk_eq(smt->ctx, a, b));
}

Z3_ast kpl_smt_ite(struct kpl_smt *smt, Z3_ast c, Z3_ast a, Z3_ast b)
{
    if (c == NULL || a == NULL || b == NULL) {
        return NULL;
    }
    return kpl_smt_keep(smt, Z3_mk_ite(smt->ctx, c, a, b));
}

Z3_ast kpl_smt_min(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    return kpl_smt_ite(smt, kpl_smt_le(smt, a, b), a, b);
}

Z3_ast kpl_smt_max(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    return kpl_smt_ite(smt, kpl_smt_le(smt, a, b), b, a);
}

Z3_ast kpl_smt_not(struct kpl_smt *smt, Z3_ast a)
{
    if (a == NULL) {
        return NULL;
    }
    return kpl_smt_keep(smt, Z3_mk_not(smt->ctx, a));
}

Z3_ast kpl_smt_implies(struct kpl_smt *smt, Z3_ast a, Z3_ast b)
{
    if (a == NULL || b == NULL) {
        return NULL;
    }
    return kpl_smt_keep(smt, Z3_mk_implies(smt->ctx, a, b));
}

Z3_ast kpl_smt_in_range(struct kpl_smt *smt, Z3_ast x, Z3_ast lo, Z3_ast hi)
{
    return kpl_smt_and(smt, kpl_smt_le(smt, lo, x), kpl_smt_lt(smt, x, hi));
}

Z3_ast kpl_smt_forall(struct kpl_smt *smt, unsigned nbound,
                      const Z3_ast *bound, Z3_ast body)
{
    if (body == NULL || nbound == 0) {
        return body;
    }
    Z3_app *apps = calloc(nbound, sizeof *apps);
    if (apps == NULL) {
        smt->failed = true;
        snprintf(smt->error, sizeof smt->error, "out of memory");
        return NULL;
    }
    for (unsigned i = 0; i < nbound; i++) {
        apps[i] = Z3_to_app(smt->ctx, bound[i]);
    }
    Z3_ast q = Z3_mk_forall_const(smt->ctx, 0, nbound, apps, 0, NULL, body);
    free(apps);
    return kpl_smt_keep(smt, q);
}

Z3_solver kpl_smt_solver_new(struct kpl_smt *smt, unsigned rlimit)
{
    Z3_solver solver = Z3_mk_simple_solver(smt->ctx);
    if (!kpl_smt_ok(smt)) {
        return NULL;
    }
    Z3_solver_inc_ref(smt->ctx, solver);
    if (rlimit == 0) {
        return solver;
    }

    Z3_params params = Z3_mk_params(smt->ctx);
    if (!kpl_smt_ok(smt)) {
        kpl_smt_solver_free(smt, solver);
        return NULL;
    }
    Z3_params_inc_ref(smt->ctx, params);
    Z3_params_set_uint(smt->ctx, params,
                       Z3_mk_string_symbol(smt->ctx, "rlimit"), rlimit);
    Z3_solver_set_params(smt->ctx, solver, params);
    bool ok = kpl_smt_ok(smt);
    Z3_params_dec_ref(smt->ctx, params);
    if (!ok) {
        kpl_smt_solver_free(smt, solver);
        return NULL;
    }
    return solver;
}

void kpl_smt_solver_free(struct kpl_smt *smt, Z3_solver solver)
{
    if (solver != NULL) {
        Z3_solver_dec_ref(smt->ctx, solver);
    }
}

void kpl_smt_assert(struct kpl_smt *smt, Z3_solver solver, Z3_ast a)
{
    if (a == NULL) {
        smt->failed = true;
        return;
    }
    Z3_solver_assert(smt->ctx, solver, a);
    kpl_smt_ok(smt);
}

Z3_lbool kpl_smt_check(struct kpl_smt *smt, Z3_solver solver,
                       unsigned nassume, const Z3_ast *assume)
{
    if (smt->failed) {
        return Z3_L_UNDEF;
    }
    Z3_lbool result = Z3_L_UNDEF;
    if (nassume == 0) {
        result = Z3_solver_check(smt->ctx, solver);
    } else {
        result = Z3_solver_check_assumptions(smt->ctx, solver, nassume,
                                             assume);
    }
    if (!kpl_smt_ok(smt)) {
        return Z3_L_UNDEF;
    }
    return result;
}

Z3_model kpl_smt_model(struct kpl_smt *smt, Z3_solver solver)
{
    Z3_model model = Z3_solver_get_model(smt->ctx, solver);
    if (!kpl_smt_ok(smt) || model == NULL) {
        return NULL;
    }
    Z3_model_inc_ref(smt->ctx, model);
    return model;
}

void kpl_smt_model_free(struct kpl_smt *smt, Z3_model model)
{
    if (model != NULL) {
        Z3_model_dec_ref(smt->ctx, model);
    }
}

bool kpl_smt_eval_int(struct kpl_smt *smt, Z3_model model, Z3_ast term,
                      int64_t *value)
{
    Z3_ast out = NULL;
    *value = 0;
    if (model == NULL || term == NULL) {
        return false;
    }
    bool ok = Z3_model_eval(smt->ctx, model, term, true, &out);
    if (!kpl_smt_ok(smt) || !ok || out == NULL) {
        return false;
    }
    Z3_inc_ref(smt->ctx, out);
    bool got = Z3_get_numeral_int64(smt->ctx, out, value);
    bool fine = kpl_smt_ok(smt);
    Z3_dec_ref(smt->ctx, out);
    return got && fine;
}

bool kpl_smt_eval_bool(struct kpl_smt *smt, Z3_model model, Z3_ast term)
{
    Z3_ast out = NULL;
    if (model == NULL || term == NULL) {
        return false;
    }
    bool ok = Z3_model_eval(smt->ctx, model, term, true, &out);
    if (!kpl_smt_ok(smt) || !ok || out == NULL) {
        return false;
    }
    Z3_inc_ref(smt->ctx, out);
    Z3_lbool value = Z3_get_bool_value(smt->ctx, out);
    Z3_dec_ref(smt->ctx, out);
    return kpl_smt_ok(smt) && value == Z3_L_TRUE;
}

bool kpl_smt_core(struct kpl_smt *smt, Z3_solver solver, unsigned nassume,
                  const Z3_ast *assume, bool *in_core)
{
    Z3_ast_vector core = Z3_solver_get_unsat_core(smt->ctx, solver);
    if (!kpl_smt_ok(smt) || core == NULL) {
        return false;
    }
    Z3_ast_vector_inc_ref(smt->ctx, core);
    unsigned size = Z3_ast_vector_size(smt->ctx, core);
    for (unsigned i = 0; i < nassume; i++) {
        in_core[i] = false;
    }
    for (unsigned j = 0; j < size; j++) {
        Z3_ast member = Z3_ast_vector_get(smt->ctx, core, j);
        for (unsigned i = 0; i < nassume; i++) {
            if (Z3_is_eq_ast(smt->ctx, member, assume[i])) {
                in_core[i] = true;
            }
        }
    }
    bool ok = kpl_smt_ok(smt);
    Z3_ast_vector_dec_ref(smt->ctx, core);
    return ok;
}

void kpl_smt_reason_unknown(struct kpl_smt *smt, Z3_solver solver,
                            char *buf, size_t size)
{
    const char *reason = NULL;
    if (!smt->failed) {
        reason = Z3_solver_get_reason_unknown(smt->ctx, solver);
        if (!kpl_smt_ok(smt)) {
            reason = NULL;
        }
    }
    snprintf(buf, size, "%s",
             reason != NULL ? reason : (smt->failed ? smt->error
                                                    : "unknown"));
}
