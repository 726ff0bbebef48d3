/*
 * Small helpers over the resolved IR that every module shares.
 */
#include "checker/ir.h"

#include <string.h>

const char *const kpl_dim_names[KPL_DIM_COUNT] = {
    "N", "C", "K", "Xo", "Yo", "R", "S", "Xi", "Yi",
};

const char *const kpl_tensor_names[KPL_TENSOR_COUNT] = {
    "wgt", "ifm", "ofm",
};

const char *const kpl_level_names[KPL_LEVEL_COUNT] = {
    "regf", "gbuf",
};

int kpl_dim_parse(const char *name)
{
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (strcmp(name, kpl_dim_names[d]) == 0) {
            return d;
        }
    }
    return -1;
}

int kpl_tensor_parse(const char *name)
{
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (strcmp(name, kpl_tensor_names[t]) == 0) {
            return t;
        }
    }
    return -1;
}

const char *kpl_layer_kind_name(enum kpl_layer_kind kind)
{
    switch (kind) {
    case KPL_LAYER_CONV:
        return "conv";
    case KPL_LAYER_FC:
        return "fc";
    case KPL_LAYER_POOL:
        return "pool";
    case KPL_LAYER_ELTWISE:
        return "eltwise";
    case KPL_LAYER_DWCONV:
        return "dwconv";
    }
    return "conv";
}

int64_t kpl_mul_sat(int64_t a, int64_t b)
{
    if (a <= 0 || b <= 0) {
        return a == 0 || b == 0 ? 0 : (a < 0) != (b < 0) ? -1 : 1;
    }
    if (a > INT64_MAX / b) {
        return INT64_MAX;
    }
    return a * b;
}

int64_t kpl_add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b) {
        return INT64_MAX;
    }
    return a + b;
}

int64_t kpl_arch_words(const struct kpl_arch *arch, enum kpl_level level)
{
    int64_t bytes = level == KPL_LEVEL_REGF ? arch->regf_bytes
                                            : arch->gbuf_bytes;
    if (arch->word_bits <= 0) {
        return 0;
    }
    return kpl_mul_sat(bytes, 8) / arch->word_bits;
}

int64_t kpl_region_nodes(const struct kpl_region *region)
{
    int64_t rows = region->row1 - region->row0;
    int64_t cols = region->col1 - region->col0;
    if (rows <= 0 || cols <= 0) {
        return 0;
    }
    return kpl_mul_sat(rows, cols);
}

int64_t kpl_layer_extent(const struct kpl_layer *layer, int64_t batch,
                         enum kpl_dim d)
{
    switch (d) {
    case KPL_DIM_N:
        return batch;
    case KPL_DIM_C:
        return layer->c;
    case KPL_DIM_K:
        return layer->k;
    case KPL_DIM_XO:
        return layer->xo;
    case KPL_DIM_YO:
        return layer->yo;
    case KPL_DIM_R:
        return layer->r;
    case KPL_DIM_S:
        return layer->s;
    case KPL_DIM_XI:
        return layer->xi;
    case KPL_DIM_YI:
        return layer->yi;
    case KPL_DIM_COUNT:
        break;
    }
    return 0;
}

int64_t kpl_layer_ops(const struct kpl_layer *layer, int64_t batch)
{
    int64_t ops = batch;
    for (int d = KPL_DIM_C; d < KPL_LOOP_DIMS; d++) {
        ops = kpl_mul_sat(ops, kpl_layer_extent(layer, batch, d));
    }
    return ops;
}

int64_t kpl_layer_tensor_words(const struct kpl_layer *layer, int64_t batch,
                               enum kpl_tensor t)
{
    unsigned dims = layer->tensor_dims[t];
    if (dims == 0) {
        return 0;
    }
    int64_t words = 1;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (dims & KPL_DIM_BIT(d)) {
            words = kpl_mul_sat(words, kpl_layer_extent(layer, batch, d));
        }
    }
    return words;
}

void kpl_layer_finish(struct kpl_layer *layer)
{
    const unsigned spatial_in = KPL_DIM_BIT(KPL_DIM_XI) |
                                KPL_DIM_BIT(KPL_DIM_YI);
    const unsigned window = KPL_DIM_BIT(KPL_DIM_R) | KPL_DIM_BIT(KPL_DIM_S);
    const unsigned n = KPL_DIM_BIT(KPL_DIM_N);
    const unsigned c = KPL_DIM_BIT(KPL_DIM_C);
    const unsigned k = KPL_DIM_BIT(KPL_DIM_K);

    layer->tensor_dims[KPL_TENSOR_OFM] = n | k | KPL_DIM_BIT(KPL_DIM_XO) |
                                         KPL_DIM_BIT(KPL_DIM_YO);
    switch (layer->kind) {
    case KPL_LAYER_CONV:
    case KPL_LAYER_FC:
        layer->tensor_dims[KPL_TENSOR_WGT] = c | k | window;
        layer->tensor_dims[KPL_TENSOR_IFM] = n | c | spatial_in;
        break;
    case KPL_LAYER_DWCONV:
        layer->tensor_dims[KPL_TENSOR_WGT] = k | window;
        layer->tensor_dims[KPL_TENSOR_IFM] = n | k | spatial_in;
        break;
    case KPL_LAYER_POOL:
        layer->tensor_dims[KPL_TENSOR_WGT] = 0;
        layer->tensor_dims[KPL_TENSOR_IFM] = n | k | spatial_in;
        break;
    case KPL_LAYER_ELTWISE:
        layer->tensor_dims[KPL_TENSOR_WGT] = 0;
        layer->tensor_dims[KPL_TENSOR_IFM] = n | c | k | spatial_in;
        break;
    }

    switch (layer->role) {
    case KPL_ROLE_FORWARD:
        layer->out = KPL_TENSOR_OFM;
        break;
    case KPL_ROLE_DATA_GRAD:
        layer->out = KPL_TENSOR_IFM;
        break;
    case KPL_ROLE_WEIGHT_GRAD:
        layer->out = KPL_TENSOR_WGT;
        break;
    }

    layer->xi = (layer->xo - 1) * layer->stride_x + layer->r;
    layer->yi = (layer->yo - 1) * layer->stride_y + layer->s;
}

int64_t kpl_tile_extent(const struct kpl_layer *layer,
                        const struct kpl_level_map *lm, int64_t parent,
                        enum kpl_dim d)
{
    int64_t extent = 0;
    bool found = false;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        if (layer->tensor_dims[t] & KPL_DIM_BIT(d)) {
            found = true;
            if (lm->tile[t][d] > extent) {
                extent = lm->tile[t][d];
            }
        }
    }
    return found ? extent : parent;
}

int64_t kpl_parent_extent(const struct kpl_scheme *scheme, int layer,
                          enum kpl_level level, enum kpl_dim d)
{
    const struct kpl_layer *l = &scheme->net->layers[layer];
    int64_t whole = kpl_layer_extent(l, scheme->batch, d);
    if (level == KPL_LEVEL_GBUF) {
        return whole;
    }
    const struct kpl_level_map *gbuf =
        &scheme->maps[layer].level[KPL_LEVEL_GBUF];
    return kpl_tile_extent(l, gbuf, whole, d);
}

int64_t kpl_update_trips(const struct kpl_scheme *scheme, int layer,
                         enum kpl_level level, const struct kpl_loop *u)
{
    const struct kpl_layer *l = &scheme->net->layers[layer];
    const struct kpl_level_map *lm = &scheme->maps[layer].level[level];
    int64_t best = -1;

    for (int i = 0; i < u->nshift; i++) {
        enum kpl_dim d = u->shifts[i].dim;
        int64_t step = u->shifts[i].step;
        if (step <= 0) {
            continue;
        }
        int64_t parent = kpl_parent_extent(scheme, layer, level, d);
        int64_t covered = kpl_tile_extent(l, lm, parent, d);
        for (int j = 0; j < lm->nstack; j++) {
            for (int k = 0; k < lm->stacks[j].nshift; k++) {
                if (lm->stacks[j].shifts[k].dim == d) {
                    int64_t span = kpl_mul_sat(lm->stacks[j].count - 1,
                                               lm->stacks[j].shifts[k].step);
                    covered = kpl_add_sat(covered, span);
                }
            }
        }

        int64_t trips = 1;
        if (parent > covered) {
            int64_t first = covered > step ? covered : step;
            int64_t rest = parent - first;
            trips = rest <= 0 ? 1 : 1 + (rest + step - 1) / step;
        }
        if (best < 0 || trips < best) {
            best = trips;
        }
    }
    return best < 0 ? 1 : best;
}

int64_t kpl_level_copies(const struct kpl_level_map *lm)
{
    int64_t copies = 1;
    for (int i = 0; i < lm->nstack; i++) {
        copies = kpl_mul_sat(copies, lm->stacks[i].count);
    }
    return copies;
}

int64_t kpl_level_words(const struct kpl_layer *layer,
                        const struct kpl_level_map *lm)
{
    int64_t words = 0;
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        unsigned dims = layer->tensor_dims[t];
        if (dims == 0) {
            continue;
        }
        int64_t size = 1;
        for (int d = 0; d < KPL_DIM_COUNT; d++) {
            if (dims & KPL_DIM_BIT(d)) {
                size = kpl_mul_sat(size, lm->tile[t][d]);
            }
        }
        int64_t share = lm->share[t] > 0 ? lm->share[t] : 1;
        words = kpl_add_sat(words, (size + share - 1) / share);
    }
    return words;
}

void kpl_scheme_compute_trips(struct kpl_scheme *scheme)
{
    for (int i = 0; i < scheme->net->nlayer; i++) {
        struct kpl_layer_map *map = &scheme->maps[i];
        if (!map->present) {
            continue;
        }
        /* GBUF first: the REGF parent extents come from its tiles. */
        for (int lv = KPL_LEVEL_GBUF; lv >= KPL_LEVEL_REGF; lv--) {
            struct kpl_level_map *lm = &map->level[lv];
            for (int u = 0; u < lm->nupdate; u++) {
                lm->updates[u].count = kpl_update_trips(
                    scheme, i, (enum kpl_level)lv, &lm->updates[u]);
            }
        }
    }
}
