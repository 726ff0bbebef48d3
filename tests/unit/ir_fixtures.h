/*
 * Helpers that build resolved IR by hand for unit tests: an arch, conv and
 * other layers, a network, a scheme with segments and layer maps, and the
 * tensor, stack and update directives of a level written as short strings
 * ("N=1 C=4 Xi=31", "Yi+=1 Yo+=1").  Everything comes from one arena.
 * Header-only (static functions) so that any test can include it.
 */
#ifndef KPL_TESTS_IR_FIXTURES_H
#define KPL_TESTS_IR_FIXTURES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "checker/ir.h"

/* A mesh of nodes of PE arrays, 16-bit words, energies of the preset. */
static inline struct kpl_arch *fx_arch(struct kpl_arena *arena,
                                       int64_t node_rows, int64_t node_cols,
                                       int64_t pe_rows, int64_t pe_cols,
                                       int64_t gbuf_bytes, int64_t regf_bytes)
{
    struct kpl_arch *arch = kpl_arena_alloc(arena, sizeof *arch);
    arch->name = "fixture";
    arch->word_bits = 16;
    arch->node_rows = node_rows;
    arch->node_cols = node_cols;
    arch->dram_place = KPL_DRAM_CORNERS;
    arch->dram_bw = 51.2;
    arch->e_dram = 401.89;
    arch->gbuf_bytes = gbuf_bytes;
    arch->e_gbuf = 2.8325;
    arch->pe_rows = pe_rows;
    arch->pe_cols = pe_cols;
    arch->pe_style = KPL_PE_ROWSTATIONARY;
    arch->bus_bits = 128;
    arch->e_bus = 1.6416;
    arch->regf_bytes = regf_bytes;
    arch->e_regf = 0.094089;
    arch->e_hop = 9.76;
    arch->e_mac = 0.9984;
    arch->static_pj_per_cycle = 1272.87;
    arch->freq_mhz = 500;
    return arch;
}

/* The multinode preset: 16 x 16 nodes of 8 x 8 PEs, 32 KiB GBUF, 64 B. */
static inline struct kpl_arch *fx_arch_multinode(struct kpl_arena *arena)
{
    return fx_arch(arena, 16, 16, 8, 8, 32 * 1024, 64);
}

/* A layer of any kind; the input size follows from the output and pad. */
static inline void fx_layer(struct kpl_layer *layer, const char *name,
                            enum kpl_layer_kind kind, int64_t c, int64_t k,
                            int64_t xo, int64_t yo, int64_t r, int64_t s,
                            int64_t stride, int64_t pad)
{
    memset(layer, 0, sizeof *layer);
    layer->name = name;
    layer->kind = kind;
    layer->role = KPL_ROLE_FORWARD;
    layer->c = c;
    layer->k = k;
    layer->xo = xo;
    layer->yo = yo;
    layer->r = r;
    layer->s = s;
    layer->stride_x = stride;
    layer->stride_y = stride;
    layer->pad_x = pad;
    layer->pad_y = pad;
    layer->in_c = c;
    layer->in_h = (xo - 1) * stride + r - 2 * pad;
    layer->in_w = (yo - 1) * stride + s - 2 * pad;
    kpl_layer_finish(layer);
}

static inline void fx_conv(struct kpl_layer *layer, const char *name,
                           int64_t c, int64_t k, int64_t xo, int64_t yo,
                           int64_t r, int64_t s, int64_t stride, int64_t pad)
{
    fx_layer(layer, name, KPL_LAYER_CONV, c, k, xo, yo, r, s, stride, pad);
}

/*
 * A network of nlayer zeroed layers and one input "input"; the caller
 * fills the layers (fx_conv) and then links them with fx_chain.
 */
static inline struct kpl_network *fx_network(struct kpl_arena *arena,
                                             const char *name, int nlayer)
{
    struct kpl_network *net = kpl_arena_alloc(arena, sizeof *net);
    net->name = name;
    net->ninput = 1;
    net->inputs = kpl_arena_alloc(arena, sizeof *net->inputs);
    net->inputs[0].name = "input";
    net->nlayer = nlayer;
    net->layers = kpl_arena_array(arena, (size_t)nlayer, sizeof *net->layers);
    return net;
}

/* Layer i reads layer i - 1 (layer 0 reads the input). */
static inline void fx_chain(struct kpl_arena *arena, struct kpl_network *net)
{
    for (int i = 0; i < net->nlayer; i++) {
        struct kpl_layer *layer = &net->layers[i];
        layer->nprev = 1;
        layer->prev = kpl_arena_alloc(arena, sizeof *layer->prev);
        layer->prev[0].is_input = i == 0;
        layer->prev[0].index = i == 0 ? 0 : i - 1;
    }
    if (net->nlayer > 0) {
        net->inputs[0].c = net->layers[0].in_c;
        net->inputs[0].h = net->layers[0].in_h;
        net->inputs[0].w = net->layers[0].in_w;
    }
}

/* A scheme with empty maps and no segment. */
static inline struct kpl_scheme *fx_scheme(struct kpl_arena *arena,
                                           const struct kpl_network *net,
                                           const struct kpl_arch *arch,
                                           int64_t batch)
{
    struct kpl_scheme *scheme = kpl_arena_alloc(arena, sizeof *scheme);
    scheme->name = "fixture";
    scheme->net = net;
    scheme->arch = arch;
    scheme->batch = batch;
    scheme->maps = kpl_arena_array(arena, (size_t)net->nlayer,
                                   sizeof *scheme->maps);
    scheme->segments = kpl_arena_array(arena, 64, sizeof *scheme->segments);
    return scheme;
}

/* Appends a segment of layers with their regions (up to 64 segments). */
static inline struct kpl_segment *
fx_segment(struct kpl_arena *arena, struct kpl_scheme *scheme, int nlayer,
           const int *layers, const struct kpl_region *regions, bool spatial)
{
    struct kpl_segment *seg = &scheme->segments[scheme->nsegment++];
    seg->nlayer = nlayer;
    seg->layers = kpl_arena_array(arena, (size_t)nlayer, sizeof(int));
    seg->regions = kpl_arena_array(arena, (size_t)nlayer,
                                   sizeof *seg->regions);
    seg->layer_spans = kpl_arena_array(arena, (size_t)nlayer,
                                       sizeof *seg->layer_spans);
    memcpy(seg->layers, layers, sizeof(int) * (size_t)nlayer);
    memcpy(seg->regions, regions, sizeof *regions * (size_t)nlayer);
    seg->spatial = spatial;
    return seg;
}

static inline struct kpl_region fx_region(int64_t row0, int64_t row1,
                                          int64_t col0, int64_t col1)
{
    struct kpl_region region = {row0, row1, col0, col1};
    return region;
}

/*
 * The usual single-layer world: a network holding one copy of proto that
 * reads the input, and a scheme with one segment placing it on region.
 */
static inline struct kpl_scheme *
fx_scheme_one(struct kpl_arena *arena, const struct kpl_arch *arch,
              const struct kpl_layer *proto, int64_t batch,
              struct kpl_region region)
{
    struct kpl_network *net = fx_network(arena, "net", 1);
    net->layers[0] = *proto;
    fx_chain(arena, net);
    struct kpl_scheme *scheme = fx_scheme(arena, net, arch, batch);
    int only = 0;
    fx_segment(arena, scheme, 1, &only, &region, false);
    return scheme;
}

/* The map of one level of a layer; marks the layer's map present. */
static inline struct kpl_level_map *fx_level(struct kpl_scheme *scheme,
                                             int layer, enum kpl_level level)
{
    scheme->maps[layer].present = true;
    return &scheme->maps[layer].level[level];
}

/* Calls fn(name, value, ctx) for each "NAME=V" or "NAME+=V" of spec. */
static inline void fx_each_pair(const char *spec,
                                void (*fn)(int dim, int64_t value, void *ctx),
                                void *ctx)
{
    char copy[256];
    strncpy(copy, spec, sizeof copy - 1);
    copy[sizeof copy - 1] = '\0';
    char *save = NULL;
    for (char *tok = strtok_r(copy, " ,", &save); tok != NULL;
         tok = strtok_r(NULL, " ,", &save)) {
        char *eq = strchr(tok, '=');
        if (eq == NULL) {
            continue;
        }
        char *end = eq > tok && eq[-1] == '+' ? eq - 1 : eq;
        *end = '\0';
        int dim = kpl_dim_parse(tok);
        if (dim >= 0) {
            fn(dim, strtoll(eq + 1, NULL, 10), ctx);
        }
    }
}

struct fx_tile_ctx {
    struct kpl_level_map *lm;
    enum kpl_tensor tensor;
};

static inline void fx_set_tile(int dim, int64_t value, void *ctx)
{
    struct fx_tile_ctx *tc = ctx;
    tc->lm->tile[tc->tensor][dim] = value;
}

/*
 * `tensor T (spec)`: dims the tensor has and spec omits span 1, dims it
 * does not have stay 0; not shared.
 */
static inline void fx_tensor(struct kpl_level_map *lm,
                             const struct kpl_layer *layer,
                             enum kpl_tensor tensor, const char *spec)
{
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        bool has = (layer->tensor_dims[tensor] & KPL_DIM_BIT(d)) != 0;
        lm->tile[tensor][d] = has ? 1 : 0;
    }
    struct fx_tile_ctx ctx = {lm, tensor};
    fx_each_pair(spec, fx_set_tile, &ctx);
    lm->tile_given[tensor] = true;
    lm->share[tensor] = 1;
}

static inline void fx_add_shift(int dim, int64_t value, void *ctx)
{
    struct kpl_loop *loop = ctx;
    loop->shifts[loop->nshift].dim = (enum kpl_dim)dim;
    loop->shifts[loop->nshift].step = value;
    loop->nshift++;
}

/* `stack (shifts) x count`, appended innermost-last. */
static inline struct kpl_loop *fx_stack(struct kpl_level_map *lm,
                                        const char *shifts, int64_t count)
{
    struct kpl_loop *loop = &lm->stacks[lm->nstack++];
    memset(loop, 0, sizeof *loop);
    fx_each_pair(shifts, fx_add_shift, loop);
    loop->count = count;
    return loop;
}

/* `update (shifts)`; its count is filled by fx_finish. */
static inline struct kpl_loop *fx_update(struct kpl_level_map *lm,
                                         const char *shifts)
{
    struct kpl_loop *loop = &lm->updates[lm->nupdate++];
    memset(loop, 0, sizeof *loop);
    fx_each_pair(shifts, fx_add_shift, loop);
    return loop;
}

/* Computes every update's trip count, as resolution does. */
static inline void fx_finish(struct kpl_scheme *scheme)
{
    kpl_scheme_compute_trips(scheme);
}

/*
 * The design brief's example: AlexNet conv2_a (C=48 K=128 Xo=Yo=27 R=S=5,
 * stride 1, pad 2) at batch 64 on region [0:16, 0:8] of arch, mapped as
 * the brief writes it (REGF 17 words per PE, GBUF 5690 words per node).
 */
static inline struct kpl_scheme *fx_conv2_a(struct kpl_arena *arena,
                                            const struct kpl_arch *arch)
{
    struct kpl_layer proto;
    fx_conv(&proto, "conv2_a", 48, 128, 27, 27, 5, 5, 1, 2);
    struct kpl_scheme *scheme =
        fx_scheme_one(arena, arch, &proto, 64, fx_region(0, 16, 0, 8));
    const struct kpl_layer *layer = &scheme->net->layers[0];

    struct kpl_level_map *regf = fx_level(scheme, 0, KPL_LEVEL_REGF);
    fx_tensor(regf, layer, KPL_TENSOR_IFM, "N=1 C=1 Xi=5 Yi=1");
    fx_tensor(regf, layer, KPL_TENSOR_WGT, "C=1 K=2 R=5 S=1");
    fx_tensor(regf, layer, KPL_TENSOR_OFM, "N=1 K=2 Xo=1 Yo=1");
    fx_stack(regf, "Yi+=1 Yo+=1", 8);
    fx_stack(regf, "S+=1 Yi+=1", 5);
    fx_update(regf, "Xi+=1 Xo+=1");
    fx_update(regf, "Yi+=8 Yo+=8");
    fx_update(regf, "C+=1");
    fx_update(regf, "K+=2");

    struct kpl_level_map *gbuf = fx_level(scheme, 0, KPL_LEVEL_GBUF);
    fx_tensor(gbuf, layer, KPL_TENSOR_IFM, "N=1 C=4 Xi=31 Yi=13");
    gbuf->share[KPL_TENSOR_IFM] = 8;
    fx_tensor(gbuf, layer, KPL_TENSOR_WGT, "C=4 K=16 R=5 S=5");
    fx_tensor(gbuf, layer, KPL_TENSOR_OFM, "N=1 K=16 Xo=27 Yo=9");
    fx_stack(gbuf, "K+=16", 8);
    fx_stack(gbuf, "N+=4", 16);
    fx_update(gbuf, "Yi+=9 Yo+=9");
    fx_update(gbuf, "C+=4");
    fx_update(gbuf, "N+=1");

    fx_finish(scheme);
    return scheme;
}

/* The span of the nth (0-based) occurrence of needle in src. */
static inline struct kpl_span fx_span(const struct kpl_source *src,
                                      const char *needle, int nth)
{
    struct kpl_span span = {NULL, 0, 0};
    const char *at = src->text;
    for (int i = 0; at != NULL && i <= nth; i++) {
        at = strstr(i == 0 ? at : at + 1, needle);
    }
    if (at != NULL) {
        span.src = src;
        span.start = (uint32_t)(at - src->text);
        span.end = (uint32_t)(span.start + strlen(needle));
    }
    return span;
}

/* Renders every diagnostic as text; the caller frees the result. */
static inline char *fx_render(struct kpl_diags *diags)
{
    struct kpl_buf buf;
    kpl_buf_init(&buf);
    kpl_diags_render_text(diags, &buf);
    char *text = strdup(buf.data != NULL ? buf.data : "");
    kpl_buf_free(&buf);
    return text;
}

#endif
