/*
 * layer_gap: the per-layer energy gap of KAPLA's descent against the
 * exhaustive search of the same space.
 *
 * Every distinct layer shape of a bundled network is searched alone on the
 * whole mesh (ifm and ofm in DRAM), once by the descent and once by the
 * exhaustive branch and bound, both priced by kpl_cost_layer; one line per
 * shape: descent energy, exhaustive energy, the gap, the times, and
 * whether the exhaustive enumeration completed.  A benchmarking aid (see
 * bench/README.md), not part of the product.
 *
 *   layer_gap NETWORK ARCH BATCH [--training] [--limit S] [--only NAME]
 *             [--plans] [--ifm-on-chip] [--ofm-on-chip] [--gbuf WORDS]
 *             [--ifm-hops H]
 *
 * The last three set the context a segment gives a layer: tensors
 * forwarded on chip, and the global buffer words left to the layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker/cost.h"
#include "checker/resolve.h"
#include "solver/intra.h"
#include "solver/plan.h"

struct options {
    const char *network;
    const char *arch;
    int64_t batch;
    bool training;
    double limit;
    const char *only;
    bool plans;
    bool ifm_on_chip, ofm_on_chip;
    double ifm_hops;
    int64_t gbuf_words; /* 0: the arch's */
};

static int usage(void)
{
    fprintf(stderr, "usage: layer_gap NETWORK ARCH BATCH [--training] "
                    "[--limit S] [--only LAYER] [--plans]\n"
                    "       [--ifm-on-chip] [--ofm-on-chip] [--gbuf WORDS] "
                    "[--ifm-hops H]\n");
    return 2;
}

static bool parse_options(int argc, char **argv, struct options *o)
{
    if (argc < 4) {
        return false;
    }
    *o = (struct options){.network = argv[1], .arch = argv[2],
                          .batch = strtoll(argv[3], NULL, 10)};
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--training") == 0) {
            o->training = true;
        } else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            o->limit = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--plans") == 0) {
            o->plans = true;
        } else if (strcmp(argv[i], "--ifm-on-chip") == 0) {
            o->ifm_on_chip = true;
        } else if (strcmp(argv[i], "--ofm-on-chip") == 0) {
            o->ofm_on_chip = true;
        } else if (strcmp(argv[i], "--ifm-hops") == 0 && i + 1 < argc) {
            o->ifm_hops = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--gbuf") == 0 && i + 1 < argc) {
            o->gbuf_words = strtoll(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            o->only = argv[++i];
        } else {
            return false;
        }
    }
    return o->batch > 0;
}

static double price(struct kpl_scheme *scheme, const struct plan_ctx *ctx,
                    const struct intra_result *r)
{
    if (!r->found) {
        return -1;
    }
    struct kpl_layer_map *map = &scheme->maps[ctx->layer_index];
    *map = (struct kpl_layer_map){0};
    plan_materialize(ctx, &r->plan, map);
    struct kpl_layer_ctx lctx = plan_cost_ctx(ctx);
    struct kpl_layer_cost cost;
    kpl_cost_layer(scheme, ctx->layer_index, &lctx, &cost);
    *map = (struct kpl_layer_map){0};
    return kpl_energy_total(&cost.energy);
}

/* True when an earlier layer has the same shape (searched already). */
static bool seen_before(const struct kpl_network *net, int i)
{
    const struct kpl_layer *a = &net->layers[i];
    for (int j = 0; j < i; j++) {
        const struct kpl_layer *b = &net->layers[j];
        if (a->kind == b->kind && a->role == b->role && a->c == b->c &&
            a->k == b->k && a->xo == b->xo && a->yo == b->yo &&
            a->r == b->r && a->s == b->s && a->stride_x == b->stride_x &&
            a->stride_y == b->stride_y &&
            memcmp(a->tensor_dims, b->tensor_dims,
                   sizeof a->tensor_dims) == 0) {
            return true;
        }
    }
    return false;
}

/* One line per level: tiles, stacks and the group order. */
static void print_plan(const char *what, const struct plan *p)
{
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        printf("    %-10s %s tile", what, kpl_level_names[lv]);
        for (int d = 0; d < PLAN_DIMS; d++) {
            printf(" %lld", (long long)p->lv[lv].tile[d]);
        }
        printf("  stack");
        for (int d = 0; d < PLAN_DIMS; d++) {
            printf(" %lld", (long long)p->lv[lv].stack[d]);
        }
        printf("  order %d\n", p->lv[lv].order);
    }
}

static void search_layer(struct kpl_scheme *scheme, int i,
                         const struct options *o, struct intra_result *fast,
                         struct intra_result *ex)
{
    const struct kpl_arch *arch = scheme->arch;
    struct kpl_region whole = {0, arch->node_rows, 0, arch->node_cols};
    struct plan_ctx ctx;
    plan_ctx_init(&ctx, &scheme->net->layers[i], arch, o->batch,
                  KPL_GOAL_ENERGY, &whole);
    ctx.scheme = scheme;
    ctx.layer_index = i;
    ctx.ifm_on_chip = o->ifm_on_chip;
    ctx.ofm_on_chip = o->ofm_on_chip;
    ctx.ifm_hops = o->ifm_on_chip ? o->ifm_hops : 0;
    if (o->gbuf_words > 0) {
        ctx.words[KPL_LEVEL_GBUF] = o->gbuf_words;
    }

    double t0 = intra_now();
    intra_search(&ctx, INTRA_DESCENT, 0, fast);
    double t1 = intra_now();
    intra_search(&ctx, INTRA_EXHAUSTIVE, o->limit > 0 ? t1 + o->limit : 0,
                 ex);
    double t2 = intra_now();

    double e_fast = price(scheme, &ctx, fast);
    double e_ex = price(scheme, &ctx, ex);
    printf("%-24s %14.6g %14.6g %+8.2f%% %8.3f %9.2f %s %ld%s\n",
           scheme->net->layers[i].name, e_fast, e_ex,
           e_ex > 0 ? (e_fast / e_ex - 1) * 100 : 0.0, t1 - t0, t2 - t1,
           ex->complete ? "done" : "CUT ", ex->priced,
           ex->bound_violations ? " BOUND-VIOLATION" : "");
    if (o->plans) {
        printf("    gbuf choices priced %ld, of which pruned %ld\n",
               ex->gbuf_choices, ex->gbuf_pruned);
        struct plan_est est_fast, est_ex;
        plan_estimate(&ctx, &fast->plan, &est_fast);
        plan_estimate(&ctx, &ex->plan, &est_ex);
        printf("    estimate: descent %.6g pJ, exhaustive %.6g pJ\n",
               est_fast.energy, est_ex.energy);
        print_plan("descent", &fast->plan);
        print_plan("exhaustive", &ex->plan);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct options o;
    if (!parse_options(argc, argv, &o)) {
        return usage();
    }
    struct kpl_program *prog = kpl_program_new();
    if (prog == NULL || kpl_program_load_bundled(prog, o.network) != 0 ||
        kpl_program_load_bundled(prog, o.arch) != 0) {
        fprintf(stderr, "layer_gap: cannot load %s or %s\n", o.network,
                o.arch);
        return 2;
    }
    kpl_program_resolve(prog);
    if (prog->diags.nerrors > 0 || prog->nnet != 1 || prog->narch != 1) {
        fprintf(stderr, "layer_gap: %s or %s does not resolve\n",
                o.network, o.arch);
        return 2;
    }
    const struct kpl_network *net = prog->nets[0];
    if (o.training) {
        net = kpl_network_training(net, prog->arena);
    }
    struct kpl_scheme scheme = {.net = net, .arch = prog->archs[0],
                                .batch = o.batch};
    scheme.maps = calloc((size_t)net->nlayer, sizeof *scheme.maps);
    struct intra_result *fast = calloc(1, sizeof *fast);
    struct intra_result *ex = calloc(1, sizeof *ex);
    if (net == NULL || scheme.maps == NULL || fast == NULL || ex == NULL) {
        return 2;
    }

    printf("%-24s %14s %14s %9s %8s %9s %s\n", "layer", "descent pJ",
           "exhaustive pJ", "gap", "desc s", "exh s", "priced");
    for (int i = 0; i < net->nlayer; i++) {
        const struct kpl_layer *l = &net->layers[i];
        if (seen_before(net, i) ||
            (o.only != NULL && strcmp(o.only, l->name) != 0)) {
            continue;
        }
        search_layer(&scheme, i, &o, fast, ex);
    }
    free(fast);
    free(ex);
    free(scheme.maps);
    kpl_program_free(prog);
    return 0;
}
