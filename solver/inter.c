/*
 * Inter-layer search (design brief, section 5, steps 1-3).
 *
 * Candidate segments are chains of consecutive layers (in the network's
 * topological order) of at most opts->depth layers, run one after the
 * other on the whole mesh (temporal pipelining): a layer whose producers
 * are all in the chain reads its ifm from on-chip buffers, and a layer
 * whose consumers are all in the chain keeps its ofm there.
 *
 * Pruning is conservative: a chain is dropped when the tensors it keeps on
 * chip would take more than half of the region's global buffers (their
 * whole extent is kept, not only a slice), since the other half is what
 * the layers' own tiles are then planned in.  Each remaining chain is
 * costed by planning its layers (memoised per shape, on-chip flags and
 * buffer left) and the chains are picked by dynamic programming over the
 * layer order: best[j] = min over i of best[i] + cost(layers i..j-1).
 * Chain costs add up, so the programme is exact over the chains it sees;
 * opts->keep is not needed for that and is not used.
 */
#include "solver/inter.h"

#include <float.h>
#include <time.h>

static bool consumes(const struct kpl_layer *l, int producer)
{
    for (int p = 0; p < l->nprev; p++) {
        if (!l->prev[p].is_input && l->prev[p].index == producer) {
            return true;
        }
    }
    return false;
}

/* On-chip flags of layer l in the chain first..last, as the cost model
 * derives them (kpl_layer_context). */
static void chain_flags(const struct kpl_network *net, int first, int last,
                        int l, bool *ifm_on_chip, bool *ofm_on_chip)
{
    const struct kpl_layer *layer = &net->layers[l];
    bool all_in = layer->nprev > 0;
    for (int p = 0; p < layer->nprev; p++) {
        int src = layer->prev[p].index;
        if (layer->prev[p].is_input || src < first || src > last) {
            all_in = false;
        }
    }
    *ifm_on_chip = all_in;

    int consumers = 0;
    all_in = true;
    for (int i = l + 1; i < net->nlayer; i++) {
        if (consumes(&net->layers[i], l)) {
            consumers++;
            all_in = all_in && i <= last;
        }
    }
    *ofm_on_chip = consumers > 0 && all_in;
}

/* Words per node that the chain keeps for forwarded tensors. */
static int64_t chain_reserve(const struct kpl_scheme *scheme, int first,
                             int last, int64_t nodes)
{
    int64_t words = 0;
    for (int l = first; l <= last; l++) {
        bool in, out;
        chain_flags(scheme->net, first, last, l, &in, &out);
        if (out) {
            words = kpl_add_sat(words, kpl_layer_tensor_words(
                                           &scheme->net->layers[l],
                                           scheme->batch, KPL_TENSOR_OFM));
        }
    }
    return nodes > 0 ? (words + nodes - 1) / nodes : words;
}

static void chain_ctx(const struct kpl_scheme *scheme, int first, int last,
                      int l, const struct kpl_region *region,
                      enum kpl_goal goal, struct plan_ctx *ctx)
{
    plan_ctx_init(ctx, &scheme->net->layers[l], scheme->arch, scheme->batch,
                  goal, region);
    chain_flags(scheme->net, first, last, l, &ctx->ifm_on_chip,
                &ctx->ofm_on_chip);
    if (first != last) {
        /* What is left, rounded down to sixteenths of the buffer so that
         * chains with similar needs share their searches. */
        int64_t gbuf = ctx->words[KPL_LEVEL_GBUF];
        int64_t left = gbuf - chain_reserve(scheme, first, last, ctx->nodes);
        int64_t grain = gbuf / 16 > 0 ? gbuf / 16 : 1;
        ctx->words[KPL_LEVEL_GBUF] = left / grain * grain;
    }
}

void solve_layer_ctx(const struct kpl_scheme *scheme, int s, int j,
                     enum kpl_goal goal, struct plan_ctx *ctx)
{
    const struct kpl_segment *seg = &scheme->segments[s];
    chain_ctx(scheme, seg->layers[0], seg->layers[seg->nlayer - 1],
              seg->layers[j], &seg->regions[j], goal, ctx);
}

/* Cost of running first..last as one segment; false when it cannot. */
static bool chain_cost(struct solve_memo *memo,
                       const struct kpl_scheme *scheme, int first, int last,
                       const struct kpl_region *region, double *cost)
{
    int64_t gbuf = kpl_arch_words(scheme->arch, KPL_LEVEL_GBUF);
    int64_t nodes = kpl_region_nodes(region);
    if (first != last &&
        chain_reserve(scheme, first, last, nodes) * 2 > gbuf) {
        return false;
    }

    bool forwards = false;
    *cost = 0;
    for (int l = first; l <= last; l++) {
        struct plan_ctx ctx;
        chain_ctx(scheme, first, last, l, region, memo->opts->goal, &ctx);
        forwards |= ctx.ofm_on_chip;
        const struct memo_entry *e = solve_layer(memo, &ctx, l, region);
        if (e == NULL || !e->valid) {
            return false;
        }
        *cost += e->objective;
    }
    return first == last || forwards;
}

static bool make_segment(struct kpl_segment *seg, int first, int last,
                         const struct kpl_region *region,
                         struct kpl_arena *arena)
{
    int n = last - first + 1;
    seg->nlayer = n;
    seg->spatial = false;
    seg->layers = kpl_arena_array(arena, (size_t)n, sizeof *seg->layers);
    seg->regions = kpl_arena_array(arena, (size_t)n, sizeof *seg->regions);
    seg->layer_spans = kpl_arena_array(arena, (size_t)n,
                                       sizeof *seg->layer_spans);
    if (seg->layers == NULL || seg->regions == NULL ||
        seg->layer_spans == NULL) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        seg->layers[i] = first + i;
        seg->regions[i] = *region;
    }
    return true;
}

static bool past(double deadline)
{
    return deadline > 0 && (double)clock() > deadline;
}

bool inter_choose_segments(struct kpl_scheme *scheme,
                           struct solve_memo *memo, struct kpl_arena *arena)
{
    const struct kpl_network *net = scheme->net;
    const struct kpl_arch *arch = scheme->arch;
    struct kpl_region whole = {0, arch->node_rows, 0, arch->node_cols};
    int n = net->nlayer;
    int depth = memo->opts->depth > 0 ? memo->opts->depth : 1;
    double *best = kpl_arena_array(arena, (size_t)n + 1, sizeof *best);
    int *from = kpl_arena_array(arena, (size_t)n + 1, sizeof *from);
    if (best == NULL || from == NULL) {
        return false;
    }

    best[0] = 0;
    for (int j = 1; j <= n; j++) {
        /* A layer alone is always a candidate, even when unmappable: the
         * planner then reports it. */
        best[j] = DBL_MAX;
        from[j] = j - 1;
        for (int len = 1; len <= depth && len <= j; len++) {
            int i = j - len;
            double cost;
            if ((len > 1 && past(memo->deadline)) || best[i] == DBL_MAX ||
                !chain_cost(memo, scheme, i, j - 1, &whole, &cost)) {
                continue;
            }
            if (best[i] + cost < best[j]) {
                best[j] = best[i] + cost;
                from[j] = i;
            }
        }
        if (best[j] == DBL_MAX && best[j - 1] != DBL_MAX) {
            best[j] = best[j - 1];
        }
    }

    int count = 0;
    for (int j = n; j > 0; j = from[j]) {
        count++;
    }
    scheme->nsegment = count;
    scheme->segments = kpl_arena_array(arena, (size_t)count,
                                       sizeof *scheme->segments);
    if (scheme->segments == NULL) {
        return false;
    }
    for (int j = n, s = count - 1; j > 0; j = from[j], s--) {
        if (!make_segment(&scheme->segments[s], from[j], j - 1, &whole,
                          arena)) {
            return false;
        }
    }
    return true;
}
