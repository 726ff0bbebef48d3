/*
 * Training graphs: the backward layers derived from a forward network.
 *
 * A backward layer keeps its forward layer's iteration space and tensors
 * and writes a different one (checker/ir.h): NAME.dx, the gradient of the
 * input, writes ifm; NAME.dw, the gradient of the weights, writes wgt.  Their
 * producers are the gradients flowing back from the forward layer's
 * consumers (or the forward layer itself for an output layer), and for
 * NAME.dw also the forward producers whose activations it reads.
 *
 * The derived names share the network's namespace: an input or layer that
 * already has one of them makes the training graph ambiguous, and
 * kpl_network_check_training_names reports it before the graph is built.
 */
#include "checker/resolve.h"

#include <stdlib.h>
#include <string.h>

static bool has_weights(const struct kpl_layer *layer)
{
    return layer->kind == KPL_LAYER_CONV || layer->kind == KPL_LAYER_FC ||
           layer->kind == KPL_LAYER_DWCONV;
}

static bool reads_a_layer(const struct kpl_layer *layer)
{
    for (int p = 0; p < layer->nprev; p++) {
        if (!layer->prev[p].is_input) {
            return true;
        }
    }
    return false;
}

static bool consumes(const struct kpl_layer *consumer, int producer)
{
    for (int p = 0; p < consumer->nprev; p++) {
        if (!consumer->prev[p].is_input &&
            consumer->prev[p].index == producer) {
            return true;
        }
    }
    return false;
}

/*
 * Producers of a backward layer of forward layer f: the data gradients of
 * f's consumers (dx_index[c] >= 0), or f itself when nothing consumes f;
 * with_inputs adds f's own forward producers.
 */
static struct kpl_ref *backward_prevs(struct kpl_arena *arena,
                                      const struct kpl_network *net, int f,
                                      const int *dx_index, bool with_inputs,
                                      int *count)
{
    const struct kpl_layer *fwd = &net->layers[f];
    struct kpl_ref *refs = kpl_arena_array(
        arena, (size_t)(net->nlayer + fwd->nprev + 1), sizeof *refs);
    if (refs == NULL) {
        return NULL;
    }
    int n = 0;
    for (int c = f + 1; c < net->nlayer; c++) {
        if (consumes(&net->layers[c], f) && dx_index[c] >= 0) {
            refs[n].is_input = false;
            refs[n].index = dx_index[c];
            n++;
        }
    }
    if (n == 0) {
        refs[n].is_input = false;
        refs[n].index = f;
        n++;
    }
    for (int p = 0; with_inputs && p < fwd->nprev; p++) {
        refs[n++] = fwd->prev[p];
    }
    *count = n;
    return refs;
}

/* The forward layer named by the first len bytes of name, or -1. */
static int layer_named(const struct kpl_network *net, const char *name,
                       size_t len)
{
    for (int l = 0; l < net->nlayer; l++) {
        const char *other = net->layers[l].name;
        if (strncmp(other, name, len) == 0 && other[len] == '\0') {
            return l;
        }
    }
    return -1;
}

/*
 * Whether training derives a layer called name from one of net's layers;
 * if so, sets *forward to that layer and *role to the derived layer's role.
 */
static bool derived_name(const struct kpl_network *net, const char *name,
                         int *forward, enum kpl_role *role)
{
    size_t len = strlen(name);
    if (len < 4 || name[len - 3] != '.') {
        return false;
    }
    const char *suffix = name + len - 2;
    int f = layer_named(net, name, len - 3);
    if (f < 0) {
        return false;
    }

    const struct kpl_layer *fwd = &net->layers[f];
    if (strcmp(suffix, "dx") == 0 && reads_a_layer(fwd)) {
        *role = KPL_ROLE_DATA_GRAD;
    } else if (strcmp(suffix, "dw") == 0 && has_weights(fwd)) {
        *role = KPL_ROLE_WEIGHT_GRAD;
    } else {
        return false;
    }
    *forward = f;
    return true;
}

/* A name that training needs, taken by an input or a layer. */
struct taken_name {
    const char *name;
    struct kpl_span span;
    int forward;
    enum kpl_role role;
};

static int compare_taken(const void *a, const void *b)
{
    const struct taken_name *x = a;
    const struct taken_name *y = b;
    return x->span.start < y->span.start ? -1 : x->span.start > y->span.start;
}

static void add_if_taken(const struct kpl_network *net, const char *name,
                         struct kpl_span span, struct taken_name *list,
                         int *count)
{
    struct taken_name *t = &list[*count];
    if (derived_name(net, name, &t->forward, &t->role)) {
        t->name = name;
        t->span = span;
        (*count)++;
    }
}

static void report_taken(const struct kpl_network *net,
                         const struct taken_name *t, struct kpl_diags *diags)
{
    const struct kpl_layer *fwd = &net->layers[t->forward];
    const char *what = t->role == KPL_ROLE_DATA_GRAD ? "data" : "weight";
    struct kpl_diag *d = kpl_error(
        diags, "duplicate", t->span,
        "'%s' is also the name of the %s gradient that training derives "
        "from layer '%s'; rename it", t->name, what, fwd->name);
    kpl_diag_note(diags, d, fwd->span, "layer '%s' is defined here",
                  fwd->name);
}

int kpl_network_check_training_names(const struct kpl_network *net,
                                     struct kpl_diags *diags)
{
    size_t slots = (size_t)net->ninput + (size_t)net->nlayer + 1;
    struct taken_name *list = calloc(slots, sizeof *list);
    if (list == NULL) {
        kpl_error(diags, "internal", net->span, "out of memory");
        return 1;
    }

    int count = 0;
    for (int i = 0; i < net->ninput; i++) {
        add_if_taken(net, net->inputs[i].name, net->inputs[i].span, list,
                     &count);
    }
    for (int l = 0; l < net->nlayer; l++) {
        add_if_taken(net, net->layers[l].name, net->layers[l].span, list,
                     &count);
    }

    /* Inputs and layers are listed apart: report in source order. */
    qsort(list, (size_t)count, sizeof *list, compare_taken);
    for (int i = 0; i < count; i++) {
        report_taken(net, &list[i], diags);
    }
    free(list);
    return count;
}

static bool add_backward(struct kpl_arena *arena,
                         const struct kpl_network *net,
                         struct kpl_network *out, int f, enum kpl_role role,
                         const int *dx_index)
{
    const struct kpl_layer *fwd = &net->layers[f];
    struct kpl_layer *l = &out->layers[out->nlayer];
    *l = *fwd;
    const char *suffix = role == KPL_ROLE_DATA_GRAD ? "dx" : "dw";
    l->name = kpl_arena_printf(arena, "%s.%s", fwd->name, suffix);
    l->role = role;
    l->forward = f;
    l->prev = backward_prevs(arena, net, f, dx_index,
                             role == KPL_ROLE_WEIGHT_GRAD, &l->nprev);
    if (l->name == NULL || l->prev == NULL) {
        return false;
    }
    kpl_layer_finish(l);
    out->nlayer++;
    return true;
}

struct kpl_network *kpl_network_training(const struct kpl_network *net,
                                         struct kpl_arena *arena)
{
    struct kpl_network *out = kpl_arena_alloc(arena, sizeof *out);
    int *dx_index = kpl_arena_array(arena, (size_t)net->nlayer + 1,
                                    sizeof *dx_index);
    if (out == NULL || dx_index == NULL) {
        return NULL;
    }
    *out = *net;
    out->training = true;
    out->nlayer = 0;
    out->layers = kpl_arena_array(arena, (size_t)net->nlayer * 3 + 1,
                                  sizeof *out->layers);
    if (out->layers == NULL) {
        return NULL;
    }
    memcpy(out->layers, net->layers, sizeof *net->layers * (size_t)net->nlayer);
    out->nlayer = net->nlayer;

    for (int f = net->nlayer - 1; f >= 0; f--) {
        const struct kpl_layer *fwd = &net->layers[f];
        dx_index[f] = -1;
        if (reads_a_layer(fwd)) {
            dx_index[f] = out->nlayer;
            if (!add_backward(arena, net, out, f, KPL_ROLE_DATA_GRAD,
                              dx_index)) {
                return NULL;
            }
        }
        if (has_weights(fwd) &&
            !add_backward(arena, net, out, f, KPL_ROLE_WEIGHT_GRAD,
                          dx_index)) {
            return NULL;
        }
    }
    return out;
}
