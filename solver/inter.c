/*
 * Inter-layer search (design brief, section 5, steps 1-3).
 *
 * Candidate segments are chains of consecutive layers (in the network's
 * topological order) of at most opts->depth layers, each in two forms:
 *
 *  - temporal: the layers run one after the other on the whole mesh;
 *  - spatial: the layers run at the same time on disjoint strips of the
 *    mesh (columns, or rows when the mesh is taller than wide), each strip
 *    in proportion to its layer's operations, at least one line wide.
 *
 * In both, a layer whose producers are all in the chain reads its ifm from
 * on-chip buffers, and a layer whose consumers are all in the chain keeps
 * its ofm there (the cost model's kpl_layer_context rule).
 *
 * Pruning is conservative: a chain is dropped when the tensors it keeps on
 * chip would take more than half of the mesh's global buffers (their whole
 * extent, not only a slice), since the other half is what the layers' own
 * tiles are then planned in, or when one of its layers has no valid plan
 * on its region (its smallest tiles do not fit).  Every remaining chain is
 * costed from its layers' plans (memoised per shape, region, on-chip flags
 * and buffer left), a spatial chain with the cost model's pipelined
 * segment time, its regions powered for the whole segment, and the hops of
 * its forwarded data.
 *
 * The chains are chosen by dynamic programming in topological order,
 * keeping the opts->keep best prefixes at every layer boundary: for energy
 * and delay, whose chain costs add up, the first of them is exact over the
 * chains considered; for edp, whose total is a product, the kept prefixes
 * are ranked by the product of their sums and the best final one wins.
 */
#include "solver/inter.h"

#include <float.h>
#include <math.h>
#include <string.h>
#include <time.h>

#define MAX_CHAIN 16

struct chain {
    int first, last;
    bool spatial;
    struct kpl_region regions[MAX_CHAIN];
};

/* One kept prefix: layers [0, j) and how its last chain began. */
struct prefix {
    bool valid;
    double energy, cycles, objective;
    int from;      /* first layer of the last chain */
    int from_rank; /* which kept prefix of `from` it extends */
    bool spatial;
};

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

/* Mean distance from layer l's producers in the chain of layers first..
 * last (on `regions`, from first on) to its region. */
static double forward_distance(const struct kpl_scheme *scheme, int first,
                               int last, const struct kpl_region *regions,
                               int l)
{
    const struct kpl_layer *layer = &scheme->net->layers[l];
    double sum = 0;
    int n = 0;
    for (int p = 0; p < layer->nprev; p++) {
        int src = layer->prev[p].index;
        if (!layer->prev[p].is_input && src >= first && src <= last) {
            sum += kpl_region_distance(&regions[src - first],
                                       &regions[l - first]);
            n++;
        }
    }
    return n > 0 ? sum / n : 0;
}

/* Words per node of the mesh that the chain keeps for forwarded tensors. */
static int64_t chain_reserve(const struct kpl_scheme *scheme, int first,
                             int last)
{
    int64_t nodes = kpl_mul_sat(scheme->arch->node_rows,
                                scheme->arch->node_cols);
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
                      int l, const struct kpl_region *regions,
                      enum kpl_goal goal, struct plan_ctx *ctx)
{
    plan_ctx_init(ctx, &scheme->net->layers[l], scheme->arch, scheme->batch,
                  goal, &regions[l - first]);
    chain_flags(scheme->net, first, last, l, &ctx->ifm_on_chip,
                &ctx->ofm_on_chip);
    if (ctx->ifm_on_chip) {
        ctx->ifm_hops = forward_distance(scheme, first, last, regions, l);
    }
    if (first != last) {
        /* What is left, rounded down to sixteenths of the buffer so that
         * chains with similar needs share their searches. */
        int64_t gbuf = ctx->words[KPL_LEVEL_GBUF];
        int64_t left = gbuf - chain_reserve(scheme, first, last);
        int64_t grain = gbuf / 16 > 0 ? gbuf / 16 : 1;
        ctx->words[KPL_LEVEL_GBUF] = left / grain * grain;
    }
}

void solve_layer_ctx(const struct kpl_scheme *scheme, int s, int j,
                     enum kpl_goal goal, struct plan_ctx *ctx)
{
    const struct kpl_segment *seg = &scheme->segments[s];
    chain_ctx(scheme, seg->layers[0], seg->layers[seg->nlayer - 1],
              seg->layers[j], seg->regions, goal, ctx);
}

/*
 * Strips of the mesh for a spatial chain, in proportion to each layer's
 * operations (largest remainders, ties to the earlier layer), at least one
 * line each.  False when the mesh has fewer lines than the chain layers.
 */
static bool allocate_strips(const struct kpl_scheme *scheme,
                            struct chain *ch)
{
    const struct kpl_arch *arch = scheme->arch;
    int n = ch->last - ch->first + 1;
    bool by_cols = arch->node_cols >= arch->node_rows;
    int64_t lines = by_cols ? arch->node_cols : arch->node_rows;
    if (n < 2 || lines < n) {
        return false;
    }

    double ops[MAX_CHAIN], total = 0;
    for (int i = 0; i < n; i++) {
        ops[i] = (double)kpl_layer_ops(&scheme->net->layers[ch->first + i],
                                       scheme->batch);
        total += ops[i];
    }
    int64_t width[MAX_CHAIN], given = 0;
    double rest[MAX_CHAIN];
    for (int i = 0; i < n; i++) {
        double ideal = total > 0 ? (double)(lines - n) * ops[i] / total : 0;
        width[i] = 1 + (int64_t)floor(ideal);
        rest[i] = ideal - floor(ideal);
        given += width[i];
    }
    while (given < lines) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (rest[i] > rest[best]) {
                best = i;
            }
        }
        width[best]++;
        rest[best] = -1;
        given++;
    }

    int64_t at = 0;
    for (int i = 0; i < n; i++) {
        struct kpl_region *r = &ch->regions[i];
        *r = (struct kpl_region){0, arch->node_rows, 0, arch->node_cols};
        if (by_cols) {
            r->col0 = at;
            r->col1 = at + width[i];
        } else {
            r->row0 = at;
            r->row1 = at + width[i];
        }
        at += width[i];
    }
    return true;
}

/* Outermost GBUF trips of a plan: its pipeline groups when spatial. */
static double outer_trips(const struct plan_ctx *ctx, const struct plan *p)
{
    int dims[PLAN_DIMS];
    int n = plan_update_dims(ctx, p, KPL_LEVEL_GBUF, dims);
    return n > 0 ? (double)plan_trips(p, KPL_LEVEL_GBUF, dims[n - 1], ctx)
                 : 1.0;
}

struct chain_sums {
    double energy, static_energy, cycles, slowest, dram_cycles, groups;
};

/* Plans layer l of the chain and adds its cost; false when it has none. */
static bool add_layer(struct solve_memo *memo,
                      const struct kpl_scheme *scheme,
                      const struct chain *ch, int l, struct chain_sums *sum)
{
    const struct kpl_region *region = &ch->regions[l - ch->first];
    struct plan_ctx ctx;
    chain_ctx(scheme, ch->first, ch->last, l, ch->regions, memo->opts->goal,
              &ctx);
    const struct memo_entry *e = solve_layer(memo, &ctx, l, region);
    if (e == NULL || !e->valid) {
        return false;
    }

    const struct kpl_layer_cost *c = &e->cost;
    sum->energy += kpl_energy_total(&c->energy);
    sum->static_energy += c->energy.stat;
    sum->cycles += c->cycles;
    sum->slowest = fmax(sum->slowest, c->cycles);
    sum->dram_cycles += c->dram_cycles;
    double groups = outer_trips(&ctx, &e->plan);
    if (sum->groups == 0 || groups < sum->groups) {
        sum->groups = groups;
    }
    return true;
}

/*
 * False when the chain is pruned before any search: its forwarded tensors
 * do not fit half of the buffers, or it forwards nothing (then it is no
 * better than its parts).
 */
static bool chain_possible(const struct kpl_scheme *scheme,
                           const struct chain *ch)
{
    int64_t gbuf = kpl_arch_words(scheme->arch, KPL_LEVEL_GBUF);
    if (ch->first == ch->last) {
        return true;
    }
    if (chain_reserve(scheme, ch->first, ch->last) * 2 > gbuf) {
        return false;
    }
    bool forwards = false;
    for (int l = ch->first; l < ch->last && !forwards; l++) {
        bool in;
        chain_flags(scheme->net, ch->first, ch->last, l, &in, &forwards);
    }
    return forwards;
}

/* Notes every layer search the chain will need (see solve_memo_run). */
static bool want_chain(struct solve_memo *memo,
                       const struct kpl_scheme *scheme,
                       const struct chain *ch)
{
    if (!chain_possible(scheme, ch)) {
        return true;
    }
    for (int l = ch->first; l <= ch->last; l++) {
        const struct kpl_region *region = &ch->regions[l - ch->first];
        struct plan_ctx ctx;
        chain_ctx(scheme, ch->first, ch->last, l, ch->regions,
                  memo->opts->goal, &ctx);
        if (!solve_layer_want(memo, &ctx, l, region)) {
            return false;
        }
    }
    return true;
}

/* Energy and cycles of running the chain as one segment; false when it
 * cannot. */
static bool chain_cost(struct solve_memo *memo,
                       const struct kpl_scheme *scheme,
                       const struct chain *ch, double *energy,
                       double *cycles)
{
    if (!chain_possible(scheme, ch)) {
        return false;
    }
    struct chain_sums sum = {0};
    for (int l = ch->first; l <= ch->last; l++) {
        if (!add_layer(memo, scheme, ch, l, &sum)) {
            return false;
        }
    }
    *energy = sum.energy;
    *cycles = sum.cycles;
    if (!ch->spatial) {
        return true;
    }

    /* The cost model's pipelined segment: the slowest stage for every
     * group plus one group of each other stage, at least the DRAM time;
     * every region stays powered for the whole segment (the strips cover
     * the mesh). */
    double piped = sum.slowest + (sum.cycles - sum.slowest) / sum.groups;
    *cycles = fmax(ceil(piped), sum.dram_cycles);
    *energy = sum.energy - sum.static_energy +
              scheme->arch->static_pj_per_cycle * *cycles;
    return true;
}

static bool make_segment(struct kpl_segment *seg, const struct chain *ch,
                         struct kpl_arena *arena)
{
    int n = ch->last - ch->first + 1;
    seg->nlayer = n;
    seg->spatial = ch->spatial;
    seg->layers = kpl_arena_array(arena, (size_t)n, sizeof *seg->layers);
    seg->regions = kpl_arena_array(arena, (size_t)n, sizeof *seg->regions);
    seg->layer_spans = kpl_arena_array(arena, (size_t)n,
                                       sizeof *seg->layer_spans);
    if (seg->layers == NULL || seg->regions == NULL ||
        seg->layer_spans == NULL) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        seg->layers[i] = ch->first + i;
        seg->regions[i] = ch->regions[i];
    }
    return true;
}

static bool past(double deadline)
{
    return deadline > 0 && intra_now() > deadline;
}

static double prefix_objective(enum kpl_goal goal, double energy,
                               double cycles)
{
    struct plan_est est = {.energy = energy, .cycles = cycles};
    return plan_objective(goal, &est);
}

/* Inserts a prefix into the kept list of one boundary, best first; an
 * equal objective goes after those already there (deterministic). */
static void keep_prefix(struct prefix *list, int keep,
                        const struct prefix *p)
{
    int pos = keep;
    while (pos > 0 && (!list[pos - 1].valid ||
                       list[pos - 1].objective > p->objective)) {
        pos--;
    }
    if (pos >= keep) {
        return;
    }
    memmove(&list[pos + 1], &list[pos],
            (size_t)(keep - 1 - pos) * sizeof *list);
    list[pos] = *p;
}

static void whole_mesh(const struct kpl_scheme *scheme, struct chain *ch)
{
    for (int i = 0; i <= ch->last - ch->first; i++) {
        ch->regions[i] = (struct kpl_region){0, scheme->arch->node_rows, 0,
                                             scheme->arch->node_cols};
    }
}

/* Extends every kept prefix of boundary `first` by the chain. */
static void extend(struct solve_memo *memo, const struct kpl_scheme *scheme,
                   struct prefix *best, int keep, const struct chain *ch)
{
    double energy, cycles;
    const struct prefix *from = &best[(size_t)ch->first * (size_t)keep];
    if (!from[0].valid || !chain_cost(memo, scheme, ch, &energy, &cycles)) {
        return;
    }
    struct prefix *to = &best[(size_t)(ch->last + 1) * (size_t)keep];
    for (int r = 0; r < keep && from[r].valid; r++) {
        struct prefix p = {
            .valid = true,
            .energy = from[r].energy + energy,
            .cycles = from[r].cycles + cycles,
            .from = ch->first,
            .from_rank = r,
            .spatial = ch->spatial,
        };
        p.objective = prefix_objective(memo->opts->goal, p.energy, p.cycles);
        keep_prefix(to, keep, &p);
    }
}

/*
 * Every chain ending at layer j - 1, in both forms: extends the kept
 * prefixes by them, or with best NULL only notes the searches they need.
 */
static void chains_ending(struct solve_memo *memo,
                          const struct kpl_scheme *scheme,
                          struct prefix *best, int keep, int j)
{
    int depth = memo->opts->depth > 0 ? memo->opts->depth : 1;
    depth = depth < MAX_CHAIN ? depth : MAX_CHAIN;
    for (int len = 1; len <= depth && len <= j; len++) {
        if (len > 1 && past(memo->deadline)) {
            break;
        }
        struct chain ch = {.first = j - len, .last = j - 1};
        whole_mesh(scheme, &ch);
        for (int form = 0; form < 2; form++) {
            if (form == 1 && !(ch.spatial = allocate_strips(scheme, &ch))) {
                break;
            }
            if (best == NULL) {
                want_chain(memo, scheme, &ch);
            } else {
                extend(memo, scheme, best, keep, &ch);
            }
        }
    }
}

/*
 * The chains of final prefix `rank`, in order, into chains (n entries at
 * most); returns how many.
 */
static int final_chains(const struct kpl_scheme *scheme,
                        const struct prefix *best, int keep, int rank,
                        struct chain *chains)
{
    int n = scheme->net->nlayer;
    int count = 0;
    for (int j = n, r = rank; j > 0;) {
        const struct prefix *p = &best[(size_t)j * (size_t)keep + (size_t)r];
        count++;
        r = p->from_rank;
        j = p->from;
    }
    int s = count - 1;
    for (int j = n, r = rank; j > 0; s--) {
        const struct prefix *p = &best[(size_t)j * (size_t)keep + (size_t)r];
        struct chain *ch = &chains[s];
        *ch = (struct chain){.first = p->from, .last = j - 1,
                             .spatial = p->spatial};
        if (!ch->spatial || !allocate_strips(scheme, ch)) {
            ch->spatial = false;
            whole_mesh(scheme, ch);
        }
        r = p->from_rank;
        j = p->from;
    }
    return count;
}

/*
 * The kept final prefix whose chains cost least when their layers are
 * searched with the memo's effort now (the first on ties, or when none
 * can be costed).
 */
static int best_final(struct solve_memo *memo,
                      const struct kpl_scheme *scheme,
                      const struct prefix *best, int keep,
                      struct chain *chains)
{
    int n = scheme->net->nlayer;
    int chosen = 0;
    double chosen_objective = DBL_MAX;
    for (int r = 0; memo->opts->threads > 1 && r < keep; r++) {
        if (best[(size_t)n * (size_t)keep + (size_t)r].valid) {
            int count = final_chains(scheme, best, keep, r, chains);
            for (int i = 0; i < count; i++) {
                want_chain(memo, scheme, &chains[i]);
            }
        }
    }
    solve_memo_run(memo);
    for (int r = 0; r < keep; r++) {
        if (!best[(size_t)n * (size_t)keep + (size_t)r].valid) {
            break;
        }
        int count = final_chains(scheme, best, keep, r, chains);
        double energy = 0, cycles = 0;
        bool ok = true;
        for (int i = 0; i < count && ok; i++) {
            double e, c;
            ok = chain_cost(memo, scheme, &chains[i], &e, &c);
            energy += e;
            cycles += c;
        }
        double objective = prefix_objective(memo->opts->goal, energy, cycles);
        if (ok && objective < chosen_objective) {
            chosen = r;
            chosen_objective = objective;
        }
    }
    return chosen;
}

static bool make_segments(struct kpl_scheme *scheme,
                          const struct chain *chains, int count,
                          struct kpl_arena *arena)
{
    scheme->nsegment = count;
    scheme->segments = kpl_arena_array(arena, (size_t)count,
                                       sizeof *scheme->segments);
    if (scheme->segments == NULL) {
        return false;
    }
    for (int s = 0; s < count; s++) {
        if (!make_segment(&scheme->segments[s], &chains[s], arena)) {
            return false;
        }
    }
    return true;
}

bool inter_choose_segments(struct kpl_scheme *scheme,
                           struct solve_memo *memo, struct kpl_arena *arena)
{
    int n = scheme->net->nlayer;
    int keep = memo->opts->keep > 0 ? memo->opts->keep : 1;
    struct prefix *best = kpl_arena_array(
        arena, (size_t)(n + 1) * (size_t)keep, sizeof *best);
    struct chain *chains = kpl_arena_array(arena, (size_t)n,
                                           sizeof *chains);
    if (best == NULL || chains == NULL) {
        return false;
    }

    /* The descent ranks chains with its lite searches, then searches the
     * chains of the kept final prefixes in full.  With one layer per
     * segment there is nothing to rank: every layer is searched in full
     * once. */
    enum intra_effort effort = memo->effort;
    if (effort == INTRA_DESCENT && memo->opts->depth > 1) {
        memo->effort = INTRA_LITE;
    }
    if (memo->opts->threads > 1) {
        for (int j = 1; j <= n; j++) {
            chains_ending(memo, scheme, NULL, keep, j);
        }
        solve_memo_run(memo);
    }
    best[0] = (struct prefix){.valid = true};
    for (int j = 1; j <= n; j++) {
        chains_ending(memo, scheme, best, keep, j);
        struct prefix *here = &best[(size_t)j * (size_t)keep];
        if (!here[0].valid) {
            /* A layer that fits nothing stays alone, so that the planner
             * reports it; the prefixes before it carry on. */
            for (int r = 0; r < keep; r++) {
                here[r] = best[(size_t)(j - 1) * (size_t)keep + (size_t)r];
                here[r].from = j - 1;
                here[r].from_rank = r;
                here[r].spatial = false;
            }
        }
        solve_progress(memo, memo->opts->threads > 1
                                 ? 0.9 + 0.1 * (double)j / n
                                 : (double)j / n);
    }
    memo->effort = effort;

    int rank = best_final(memo, scheme, best, keep, chains);
    int count = final_chains(scheme, best, keep, rank, chains);
    return make_segments(scheme, chains, count, arena);
}
