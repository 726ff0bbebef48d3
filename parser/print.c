/*
 * The canonical printer: AST back to kaplac text.
 *
 * The output parses back to an equal AST and printing it again gives the
 * same text.  Layout: four-space indent, one statement per line, a blank
 * line between items (not between consecutive imports) and between the
 * layers of a scheme, single spaces between words, `DIM=value` and
 * `DIM+=step` without spaces as in the language reference, binary
 * operators with a space on each side and only the parentheses that
 * precedence needs.  Comments are not in the AST and
 * are not printed.  A scheme prints its params, then its segments, then
 * its layers, whatever their order in the source.
 */
#include "parser/print.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Binding strength of an expression, higher binds tighter. */
enum precedence {
    PREC_SUM = 1,
    PREC_PRODUCT = 2,
    PREC_UNARY = 3,
    PREC_ATOM = 4,
};

static void put_indent(struct kpl_buf *out, int depth)
{
    for (int i = 0; i < depth; i++) {
        kpl_buf_puts(out, "    ");
    }
}

/* A name, or '?' where an AST built by hand left it out. */
static void put_name(struct kpl_buf *out, const char *name)
{
    kpl_buf_puts(out, name != NULL ? name : "?");
}

/* ---- expressions ---- */

static enum precedence precedence_of(const struct kpl_expr *expr)
{
    switch (expr->kind) {
    case KPL_EXPR_NUMBER:
        return expr->value < 0 && expr->value != INT64_MIN ? PREC_UNARY
                                                           : PREC_ATOM;
    case KPL_EXPR_PARAM:
        return PREC_ATOM;
    case KPL_EXPR_NEG:
        return PREC_UNARY;
    case KPL_EXPR_MUL:
    case KPL_EXPR_DIV:
        return PREC_PRODUCT;
    case KPL_EXPR_ADD:
    case KPL_EXPR_SUB:
        return PREC_SUM;
    }
    return PREC_ATOM;
}

static const char *operator_of(enum kpl_expr_kind kind)
{
    switch (kind) {
    case KPL_EXPR_ADD:
        return " + ";
    case KPL_EXPR_SUB:
        return " - ";
    case KPL_EXPR_MUL:
        return " * ";
    case KPL_EXPR_DIV:
        return " / ";
    default:
        return " ? ";
    }
}

static void print_operand(const struct kpl_expr *expr, bool parens,
                          struct kpl_buf *out)
{
    if (parens) {
        kpl_buf_puts(out, "(");
    }
    kpl_print_expr(expr, out);
    if (parens) {
        kpl_buf_puts(out, ")");
    }
}

/*
 * Operators are left-associative: a right operand of equal precedence
 * keeps its parentheses, a left one does not need them.
 */
void kpl_print_expr(const struct kpl_expr *expr, struct kpl_buf *out)
{
    enum precedence own = PREC_ATOM;

    if (expr == NULL) {
        kpl_buf_puts(out, "?");
        return;
    }
    own = precedence_of(expr);
    switch (expr->kind) {
    case KPL_EXPR_NUMBER:
        if (expr->value == INT64_MIN) {
            /* The literal itself would not fit in 64 bits. */
            kpl_buf_printf(out, "(%" PRId64 " - 1)", expr->value + 1);
        } else {
            kpl_buf_printf(out, "%" PRId64, expr->value);
        }
        break;
    case KPL_EXPR_PARAM:
        put_name(out, expr->name);
        break;
    case KPL_EXPR_NEG:
        kpl_buf_puts(out, "-");
        print_operand(expr->lhs,
                      expr->lhs != NULL && precedence_of(expr->lhs) < own,
                      out);
        break;
    default:
        print_operand(expr->lhs,
                      expr->lhs != NULL && precedence_of(expr->lhs) < own,
                      out);
        kpl_buf_puts(out, operator_of(expr->kind));
        print_operand(expr->rhs,
                      expr->rhs != NULL && precedence_of(expr->rhs) <= own,
                      out);
        break;
    }
}

/* ---- arch ---- */

/* The shortest of %.15g and %.17g that reads back as the same double. */
static void print_number(double number, struct kpl_buf *out)
{
    char text[64];

    snprintf(text, sizeof text, "%.15g", number);
    if (strtod(text, NULL) != number) {
        snprintf(text, sizeof text, "%.17g", number);
    }
    kpl_buf_puts(out, text);
}

static void print_word(const struct kpl_word *word, struct kpl_buf *out)
{
    if (word->text != NULL) {
        kpl_buf_puts(out, word->text);
    } else if (word->kind == KPL_WORD_NUMBER) {
        print_number(word->number, out);
    } else {
        kpl_buf_puts(out, "?");
    }
}

static void print_prop(const struct kpl_prop *prop, struct kpl_buf *out)
{
    put_indent(out, 1);
    put_name(out, prop->key);
    for (const struct kpl_clause *c = prop->clauses; c != NULL; c = c->next) {
        kpl_buf_puts(out, c == prop->clauses ? " " : ", ");
        for (const struct kpl_word *w = c->words; w != NULL; w = w->next) {
            if (w != c->words) {
                kpl_buf_puts(out, " ");
            }
            print_word(w, out);
        }
    }
    kpl_buf_puts(out, ";\n");
}

void kpl_print_arch(const struct kpl_ast_arch *arch, struct kpl_buf *out)
{
    kpl_buf_puts(out, "arch ");
    put_name(out, arch->name);
    kpl_buf_puts(out, " {\n");
    for (const struct kpl_prop *prop = arch->props; prop; prop = prop->next) {
        print_prop(prop, out);
    }
    kpl_buf_puts(out, "}\n");
}

/* ---- network ---- */

/* `D=v, D=v` */
static void print_dimvals(const struct kpl_dimval *list, struct kpl_buf *out)
{
    for (const struct kpl_dimval *d = list; d != NULL; d = d->next) {
        if (d != list) {
            kpl_buf_puts(out, ", ");
        }
        put_name(out, d->dim);
        kpl_buf_puts(out, "=");
        kpl_print_expr(d->value, out);
    }
}

static void print_layer(const struct kpl_ast_layer *layer,
                        struct kpl_buf *out)
{
    put_indent(out, 1);
    if (layer->kind != NULL) {
        kpl_buf_puts(out, layer->kind);
        kpl_buf_puts(out, " ");
    }
    put_name(out, layer->name);
    for (const struct kpl_name *prev = layer->prevs; prev; prev = prev->next) {
        kpl_buf_puts(out, prev == layer->prevs ? " <- " : ", ");
        put_name(out, prev->text);
    }
    if (layer->has_shape || layer->shape != NULL) {
        kpl_buf_puts(out, " [");
        print_dimvals(layer->shape, out);
        kpl_buf_puts(out, "]");
    }
    for (const struct kpl_option *o = layer->options; o; o = o->next) {
        kpl_buf_puts(out, " ");
        put_name(out, o->name);
        kpl_buf_puts(out, " ");
        kpl_print_expr(o->first, out);
        if (o->second != NULL) {
            kpl_buf_puts(out, " x ");
            kpl_print_expr(o->second, out);
        }
    }
    kpl_buf_puts(out, ";\n");
}

void kpl_print_network(const struct kpl_ast_network *net,
                       struct kpl_buf *out)
{
    kpl_buf_puts(out, "network ");
    put_name(out, net->name);
    kpl_buf_puts(out, " {\n");
    for (const struct kpl_ast_layer *l = net->stmts; l != NULL; l = l->next) {
        print_layer(l, out);
    }
    kpl_buf_puts(out, "}\n");
}

/* ---- scheme ---- */

static void print_region(const struct kpl_ast_region *region,
                         struct kpl_buf *out)
{
    kpl_buf_puts(out, "[");
    kpl_print_expr(region->row0, out);
    kpl_buf_puts(out, ":");
    kpl_print_expr(region->row1, out);
    kpl_buf_puts(out, ", ");
    kpl_print_expr(region->col0, out);
    kpl_buf_puts(out, ":");
    kpl_print_expr(region->col1, out);
    kpl_buf_puts(out, "]");
}

static void print_param(const struct kpl_ast_param *param,
                        struct kpl_buf *out)
{
    put_indent(out, 1);
    kpl_buf_puts(out, "param ");
    put_name(out, param->name);
    kpl_buf_puts(out, " = ");
    kpl_print_expr(param->value, out);
    kpl_buf_puts(out, " in [");
    kpl_print_expr(param->lo, out);
    kpl_buf_puts(out, ", ");
    kpl_print_expr(param->hi, out);
    kpl_buf_puts(out, "];\n");
}

static void print_segment(const struct kpl_ast_segment *segment,
                          struct kpl_buf *out)
{
    put_indent(out, 1);
    kpl_buf_puts(out, "segment {");
    for (const struct kpl_seg_item *it = segment->items; it; it = it->next) {
        kpl_buf_puts(out, it == segment->items ? " " : ", ");
        put_name(out, it->layer);
        if (it->region != NULL) {
            kpl_buf_puts(out, " ");
            print_region(it->region, out);
        }
    }
    kpl_buf_puts(out, " }");
    if (segment->region != NULL) {
        kpl_buf_puts(out, " nodes ");
        print_region(segment->region, out);
    }
    kpl_buf_puts(out, ";\n");
}

/* `(D+=s, D+=s)` */
static void print_shifts(const struct kpl_ast_shift *list,
                         struct kpl_buf *out)
{
    kpl_buf_puts(out, "(");
    for (const struct kpl_ast_shift *s = list; s != NULL; s = s->next) {
        if (s != list) {
            kpl_buf_puts(out, ", ");
        }
        put_name(out, s->dim);
        kpl_buf_puts(out, "+=");
        kpl_print_expr(s->step, out);
    }
    kpl_buf_puts(out, ")");
}

static void print_directive(const struct kpl_directive *d,
                            struct kpl_buf *out)
{
    put_indent(out, 3);
    switch (d->kind) {
    case KPL_DIRECTIVE_TENSOR:
        kpl_buf_puts(out, "tensor ");
        put_name(out, d->tensor);
        kpl_buf_puts(out, " (");
        print_dimvals(d->extents, out);
        kpl_buf_puts(out, ")");
        if (d->shared != NULL) {
            kpl_buf_puts(out, " shared ");
            kpl_print_expr(d->shared, out);
        }
        break;
    case KPL_DIRECTIVE_STACK:
        kpl_buf_puts(out, "stack ");
        print_shifts(d->shifts, out);
        kpl_buf_puts(out, " x ");
        kpl_print_expr(d->count, out);
        break;
    case KPL_DIRECTIVE_UPDATE:
        kpl_buf_puts(out, "update ");
        print_shifts(d->shifts, out);
        break;
    }
    kpl_buf_puts(out, ";\n");
}

static void print_layermap(const struct kpl_ast_layermap *map,
                           struct kpl_buf *out)
{
    put_indent(out, 1);
    kpl_buf_puts(out, "layer ");
    put_name(out, map->layer);
    kpl_buf_puts(out, " {\n");
    for (const struct kpl_ast_level *lv = map->levels; lv; lv = lv->next) {
        put_indent(out, 2);
        put_name(out, lv->name);
        kpl_buf_puts(out, " {\n");
        for (const struct kpl_directive *d = lv->directives; d; d = d->next) {
            print_directive(d, out);
        }
        put_indent(out, 2);
        kpl_buf_puts(out, "}\n");
    }
    put_indent(out, 1);
    kpl_buf_puts(out, "}\n");
}

void kpl_print_scheme(const struct kpl_ast_scheme *scheme,
                      struct kpl_buf *out)
{
    kpl_buf_puts(out, "scheme ");
    put_name(out, scheme->name);
    kpl_buf_puts(out, " for ");
    put_name(out, scheme->network);
    kpl_buf_puts(out, " on ");
    put_name(out, scheme->arch);
    kpl_buf_puts(out, " batch ");
    kpl_print_expr(scheme->batch, out);
    kpl_buf_puts(out, " {\n");

    for (const struct kpl_ast_param *p = scheme->params; p; p = p->next) {
        print_param(p, out);
    }
    for (const struct kpl_ast_segment *s = scheme->segments; s; s = s->next) {
        print_segment(s, out);
    }
    for (const struct kpl_ast_layermap *m = scheme->layers; m; m = m->next) {
        if (m != scheme->layers) {
            kpl_buf_puts(out, "\n");
        }
        print_layermap(m, out);
    }
    kpl_buf_puts(out, "}\n");
}

/* ---- files ---- */

/* `"path"` with '"' and '\' escaped. */
static void print_string(const char *text, struct kpl_buf *out)
{
    kpl_buf_puts(out, "\"");
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\') {
            kpl_buf_puts(out, "\\");
        }
        kpl_buf_append(out, c, 1);
    }
    kpl_buf_puts(out, "\"");
}

void kpl_print_item(const struct kpl_item *item, struct kpl_buf *out)
{
    switch (item->kind) {
    case KPL_ITEM_IMPORT:
        kpl_buf_puts(out, "import ");
        if (item->import_bundled) {
            put_name(out, item->import_path);
        } else {
            print_string(item->import_path != NULL ? item->import_path : "",
                         out);
        }
        kpl_buf_puts(out, ";\n");
        break;
    case KPL_ITEM_ARCH:
        kpl_print_arch(item->arch, out);
        break;
    case KPL_ITEM_NETWORK:
        kpl_print_network(item->network, out);
        break;
    case KPL_ITEM_SCHEME:
        kpl_print_scheme(item->scheme, out);
        break;
    }
}

void kpl_print_file(const struct kpl_ast_file *file, struct kpl_buf *out)
{
    const struct kpl_item *prev = NULL;

    for (const struct kpl_item *item = file->items; item; item = item->next) {
        bool imports = prev != NULL && prev->kind == KPL_ITEM_IMPORT
                       && item->kind == KPL_ITEM_IMPORT;
        if (prev != NULL && !imports) {
            kpl_buf_puts(out, "\n");
        }
        kpl_print_item(item, out);
        prev = item;
    }
}
