/*
 * The cost model (docs/cost-model.md): energy split by component and time,
 * per layer, per segment and in total, from the directives alone.
 */
#ifndef KPL_CHECKER_COST_H
#define KPL_CHECKER_COST_H

#include <stdbool.h>

#include "base/arena.h"
#include "checker/ir.h"

/* Energies in pJ. */
struct kpl_energy {
    double mac, dram, gbuf, bus, regf, noc, stat;
};

double kpl_energy_total(const struct kpl_energy *e);

struct kpl_layer_cost {
    struct kpl_energy energy;
    double ops;
    /* words, whole layer, all nodes, summed over tensors */
    double dram_words, gbuf_words, bus_words, regf_words;
    double hops;      /* word-hops on the NoC */
    double cycles;    /* max(compute, DRAM, bus) */
    double compute_cycles, dram_cycles, bus_cycles;
};

/* Where a layer runs and which of its tensors stay on chip. */
struct kpl_layer_ctx {
    struct kpl_region region;
    bool ifm_on_chip;  /* read from a pipelined producer in the segment */
    bool ofm_on_chip;  /* written to a pipelined consumer in the segment */
    /* Mean hops from a forwarded ifm's producers to the region when
     * ifm_hops_given (a solver's context, before its segments exist);
     * else the scheme's segments give them. */
    bool ifm_hops_given;
    double ifm_hops;
};

/* Hops between the centres of two regions (Manhattan). */
double kpl_region_distance(const struct kpl_region *a,
                           const struct kpl_region *b);

/* Cost of scheme->maps[layer] on its context (static energy included). */
void kpl_cost_layer(const struct kpl_scheme *scheme, int layer,
                    const struct kpl_layer_ctx *ctx,
                    struct kpl_layer_cost *out);

struct kpl_scheme_cost {
    int nlayer;
    struct kpl_layer_cost *layers;  /* by layer index */
    int nsegment;
    double *segment_cycles;
    struct kpl_energy total;
    double total_energy;            /* pJ */
    double total_cycles;
};

/* Costs a whole checked scheme; arrays from the arena. 0, or -1 on OOM. */
int kpl_cost_scheme(const struct kpl_scheme *scheme, struct kpl_arena *arena,
                    struct kpl_scheme_cost *out);

/* The context of each layer as the scheme's segments give it. */
void kpl_layer_context(const struct kpl_scheme *scheme, int layer,
                       struct kpl_layer_ctx *out);

/* The short summary that lint prints after its diagnostics. */
void kpl_cost_render_text(const struct kpl_scheme *scheme,
                          const struct kpl_scheme_cost *cost, bool per_layer,
                          struct kpl_buf *out);

#endif
