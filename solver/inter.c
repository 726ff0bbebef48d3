/*
 * Inter-layer search (see inter.h).
 */
#include "solver/inter.h"

void solve_layer_ctx(const struct kpl_scheme *scheme, int s, int j,
                     enum kpl_goal goal, struct plan_ctx *ctx)
{
    const struct kpl_segment *seg = &scheme->segments[s];
    const struct kpl_layer *layer = &scheme->net->layers[seg->layers[j]];
    plan_ctx_init(ctx, layer, scheme->arch, scheme->batch, goal,
                  &seg->regions[j]);
}

static bool single_segments(struct kpl_scheme *scheme,
                            struct kpl_arena *arena)
{
    const struct kpl_network *net = scheme->net;
    struct kpl_region whole = {0, scheme->arch->node_rows, 0,
                               scheme->arch->node_cols};

    scheme->nsegment = net->nlayer;
    scheme->segments = kpl_arena_array(arena, (size_t)net->nlayer,
                                       sizeof *scheme->segments);
    if (scheme->segments == NULL) {
        return false;
    }
    for (int i = 0; i < net->nlayer; i++) {
        struct kpl_segment *seg = &scheme->segments[i];
        seg->nlayer = 1;
        seg->layers = kpl_arena_alloc(arena, sizeof *seg->layers);
        seg->regions = kpl_arena_alloc(arena, sizeof *seg->regions);
        seg->layer_spans = kpl_arena_alloc(arena, sizeof *seg->layer_spans);
        if (seg->layers == NULL || seg->regions == NULL ||
            seg->layer_spans == NULL) {
            return false;
        }
        seg->layers[0] = i;
        seg->regions[0] = whole;
    }
    return true;
}

bool inter_choose_segments(struct kpl_scheme *scheme,
                           struct solve_memo *memo, struct kpl_arena *arena)
{
    (void)memo;
    return single_segments(scheme, arena);
}
