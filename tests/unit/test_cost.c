/*
 * Unit tests of the cost model (checker/cost.c).  Each case builds a small
 * resolved IR by hand and compares access counts with figures worked out
 * independently in the comments (docs/cost-model.md has the formulas).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "checker/check.h"
#include "checker/cost.h"
#include "checker/ir.h"
#include "checker/resolve.h"

/* ---- local IR builders ---- */

#define MAX_LAYERS 8

struct fixture {
    struct kpl_arch arch;
    struct kpl_layer layers[MAX_LAYERS];
    struct kpl_ref refs[MAX_LAYERS];
    struct kpl_network net;
    struct kpl_layer_map maps[MAX_LAYERS];
    int seg_layers[MAX_LAYERS];
    struct kpl_region regions[MAX_LAYERS];
    struct kpl_segment seg;
    struct kpl_scheme scheme;
};

/* One node, one PE, unit-like costs that differ per component. */
static void fixture_init(struct fixture *f, int64_t batch)
{
    memset(f, 0, sizeof *f);
    f->arch.name = "test";
    f->arch.word_bits = 16;
    f->arch.node_rows = 1;
    f->arch.node_cols = 1;
    f->arch.dram_place = KPL_DRAM_CORNERS;
    f->arch.gbuf_bytes = 1 << 20;
    f->arch.pe_rows = 16;
    f->arch.pe_cols = 16;
    f->arch.regf_bytes = 1 << 10;
    f->arch.e_mac = 1;
    f->arch.e_dram = 200;
    f->arch.e_gbuf = 6;
    f->arch.e_bus = 2;
    f->arch.e_regf = 1;
    f->arch.e_hop = 10;

    f->net.name = "net";
    f->net.layers = f->layers;
    f->scheme.name = "scheme";
    f->scheme.net = &f->net;
    f->scheme.arch = &f->arch;
    f->scheme.batch = batch;
    f->scheme.maps = f->maps;
}

static int add_layer(struct fixture *f, enum kpl_layer_kind kind, int64_t c,
                     int64_t k, int64_t xo, int64_t yo, int64_t r, int64_t s,
                     int64_t stride)
{
    int i = f->net.nlayer++;
    struct kpl_layer *l = &f->layers[i];
    l->name = i == 0 ? "first" : "second";
    l->kind = kind;
    l->role = KPL_ROLE_FORWARD;
    l->c = c;
    l->k = k;
    l->xo = xo;
    l->yo = yo;
    l->r = r;
    l->s = s;
    l->stride_x = stride;
    l->stride_y = stride;
    kpl_layer_finish(l);
    if (i > 0) {
        f->refs[i].index = i - 1;
        l->nprev = 1;
        l->prev = &f->refs[i];
    }
    f->maps[i].present = true;
    for (int lv = 0; lv < KPL_LEVEL_COUNT; lv++) {
        for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
            f->maps[i].level[lv].share[t] = 1;
        }
    }
    return i;
}

static struct kpl_level_map *level(struct fixture *f, int layer,
                                   enum kpl_level lv)
{
    return &f->maps[layer].level[lv];
}

/* Sets the tile of t from "dim=extent" pairs; absent dims span 1. */
static void tile(struct kpl_level_map *lm, const struct kpl_layer *l,
                 enum kpl_tensor t, const int64_t ext[KPL_DIM_COUNT])
{
    lm->tile_given[t] = true;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        bool has = (l->tensor_dims[t] & KPL_DIM_BIT(d)) != 0;
        lm->tile[t][d] = !has ? 0 : ext[d] > 0 ? ext[d] : 1;
    }
}

/* The whole layer as the tile of every tensor. */
static void tile_whole(struct kpl_level_map *lm, const struct kpl_layer *l,
                       int64_t batch)
{
    int64_t ext[KPL_DIM_COUNT];
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        ext[d] = kpl_layer_extent(l, batch, (enum kpl_dim)d);
    }
    for (int t = 0; t < KPL_TENSOR_COUNT; t++) {
        tile(lm, l, (enum kpl_tensor)t, ext);
    }
}

static struct kpl_loop *add_loop(struct kpl_loop *loop, int64_t count,
                                 enum kpl_dim d1, int64_t s1, int d2,
                                 int64_t s2)
{
    memset(loop, 0, sizeof *loop);
    loop->count = count;
    loop->shifts[loop->nshift].dim = d1;
    loop->shifts[loop->nshift++].step = s1;
    if (d2 >= 0) {
        loop->shifts[loop->nshift].dim = (enum kpl_dim)d2;
        loop->shifts[loop->nshift++].step = s2;
    }
    return loop;
}

static void update(struct kpl_level_map *lm, enum kpl_dim d1, int64_t s1,
                   int d2, int64_t s2)
{
    add_loop(&lm->updates[lm->nupdate++], 0, d1, s1, d2, s2);
}

static void stack(struct kpl_level_map *lm, int64_t count, enum kpl_dim d1,
                  int64_t s1, int d2, int64_t s2)
{
    add_loop(&lm->stacks[lm->nstack++], count, d1, s1, d2, s2);
}

static void cost_alone(struct fixture *f, int layer, struct kpl_layer_cost *c)
{
    struct kpl_layer_ctx ctx = {
        .region = {0, f->arch.node_rows, 0, f->arch.node_cols},
    };
    kpl_scheme_compute_trips(&f->scheme);
    kpl_cost_layer(&f->scheme, layer, &ctx, c);
}

#define EXT(...) ((const int64_t[KPL_DIM_COUNT]){__VA_ARGS__})
/* Order: N, C, K, Xo, Yo, R, S, Xi, Yi. */

/* ---- tiny fc, traffic through both levels ---- */

/*
 * fc C=4 K=3, batch 2: the GBUF holds everything, each PE word is one
 * element; REGF loops C (innermost), K, N.
 */
static int build_tiny_fc(struct fixture *f)
{
    fixture_init(f, 2);
    int i = add_layer(f, KPL_LAYER_FC, 4, 3, 1, 1, 1, 1, 1);
    const struct kpl_layer *l = &f->layers[i];
    tile_whole(level(f, i, KPL_LEVEL_GBUF), l, 2);
    struct kpl_level_map *r = level(f, i, KPL_LEVEL_REGF);
    tile(r, l, KPL_TENSOR_WGT, EXT(0, 1, 1, 0, 0, 1, 1, 0, 0));
    tile(r, l, KPL_TENSOR_IFM, EXT(1, 1, 0, 0, 0, 0, 0, 1, 1));
    tile(r, l, KPL_TENSOR_OFM, EXT(1, 0, 1, 1, 1, 0, 0, 0, 0));
    update(r, KPL_DIM_C, 1, -1, 0);
    update(r, KPL_DIM_K, 1, -1, 0);
    update(r, KPL_DIM_N, 1, -1, 0);
    return i;
}

static void test_cost_tiny_fc_counts(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost c;
    cost_alone(&f, build_tiny_fc(&f), &c);

    /* 2 x 4 x 3 MACs. */
    assert_true(c.ops == 24.0);
    /* Every tensor once from DRAM: wgt 12 + ifm 8 + ofm 6 (one visit). */
    assert_true(c.dram_words == 26.0);
    /* REGF: wgt and ifm once per MAC, ofm read and written: 4 x ops. */
    assert_true(c.regf_words == 96.0);
    /*
     * Bus: wgt walks C, K (12 words) again for each of 2 N trips: 24;
     * ifm walks C and N (8 words) again for each of 3 K trips: 24;
     * ofm stays in the PE across C and is written once: 6.
     */
    assert_true(c.bus_words == 54.0);
    /* GBUF: the bus side plus the words exchanged with DRAM. */
    assert_true(c.gbuf_words == 80.0);
    /* A 1 x 1 mesh has its DRAM port on its only node. */
    assert_true(c.hops == 0.0);
    /* One PE does all 24 MACs. */
    assert_true(c.compute_cycles == 24.0);
    assert_true(c.cycles == 24.0);
}

static void test_cost_energy_components(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost c;
    cost_alone(&f, build_tiny_fc(&f), &c);

    assert_true(c.energy.mac == 24.0 * 1);
    assert_true(c.energy.dram == 26.0 * 200);
    assert_true(c.energy.gbuf == 80.0 * 6);
    assert_true(c.energy.bus == 54.0 * 2);
    assert_true(c.energy.regf == 96.0 * 1);
    assert_true(c.energy.noc == 0.0);
    assert_true(c.energy.stat == 0.0);
    assert_true(kpl_energy_total(&c.energy) ==
                24.0 + 5200.0 + 480.0 + 108.0 + 96.0);
}

/* ---- the read-modify-write ofm across a C loop ---- */

/*
 * The same fc with the REGF loop order K, N, C: the ofm element leaves the
 * PE after each C step and comes back for the next, so it crosses the bus
 * 4 times as a write and 3 times as a read.
 */
static void test_cost_rmw_ofm_across_c(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost c;
    fixture_init(&f, 2);
    int i = add_layer(&f, KPL_LAYER_FC, 4, 3, 1, 1, 1, 1, 1);
    const struct kpl_layer *l = &f.layers[i];
    tile_whole(level(&f, i, KPL_LEVEL_GBUF), l, 2);
    struct kpl_level_map *r = level(&f, i, KPL_LEVEL_REGF);
    tile(r, l, KPL_TENSOR_WGT, EXT(0, 1, 1, 0, 0, 1, 1, 0, 0));
    tile(r, l, KPL_TENSOR_IFM, EXT(1, 1, 0, 0, 0, 0, 0, 1, 1));
    tile(r, l, KPL_TENSOR_OFM, EXT(1, 0, 1, 1, 1, 0, 0, 0, 0));
    update(r, KPL_DIM_K, 1, -1, 0);
    update(r, KPL_DIM_N, 1, -1, 0);
    update(r, KPL_DIM_C, 1, -1, 0);
    cost_alone(&f, i, &c);

    /*
     * ofm: 6 words per sweep (K, N), 4 C trips: 24 writes and 24 - 6 = 18
     * reads, 42 = 6 x (2 x 4 - 1).  wgt: its K row (3) leaves the PE at
     * every N step: 3 x 2 x 4 C = 24.  ifm: K is inside its first update
     * (N), so it stays: 2 x 4 = 8.
     */
    assert_true(c.bus_words == 42.0 + 24.0 + 8.0);

    /* At the GBUF level nothing moves: DRAM sees each tensor once. */
    assert_true(c.dram_words == 26.0);
}

/* The same at the GBUF level: the DRAM ofm is 2 x 3 - 1 visits. */
static void test_cost_rmw_ofm_dram(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost c;
    fixture_init(&f, 1);
    int i = add_layer(&f, KPL_LAYER_FC, 6, 2, 1, 1, 1, 1, 1);
    const struct kpl_layer *l = &f.layers[i];
    struct kpl_level_map *g = level(&f, i, KPL_LEVEL_GBUF);
    /* GBUF: C in 3 chunks of 2, innermost; then K in 2. */
    tile(g, l, KPL_TENSOR_WGT, EXT(0, 2, 1, 0, 0, 1, 1, 0, 0));
    tile(g, l, KPL_TENSOR_IFM, EXT(1, 2, 0, 0, 0, 0, 0, 1, 1));
    tile(g, l, KPL_TENSOR_OFM, EXT(1, 0, 1, 1, 1, 0, 0, 0, 0));
    update(g, KPL_DIM_K, 1, -1, 0);
    update(g, KPL_DIM_C, 2, -1, 0);
    tile(level(&f, i, KPL_LEVEL_REGF), l, KPL_TENSOR_WGT,
         EXT(0, 2, 1, 0, 0, 1, 1, 0, 0));
    tile(level(&f, i, KPL_LEVEL_REGF), l, KPL_TENSOR_IFM,
         EXT(1, 2, 0, 0, 0, 0, 0, 1, 1));
    tile(level(&f, i, KPL_LEVEL_REGF), l, KPL_TENSOR_OFM,
         EXT(1, 0, 1, 1, 1, 0, 0, 0, 0));
    cost_alone(&f, i, &c);

    /*
     * ofm (2 words): K is its first relevant update, C outside it is
     * irrelevant: 3 visits, 2 x 3 - 1 = 5 per word: 10.  wgt 12 once.
     * ifm (6 words): C is relevant, K inside it keeps it: 6.
     */
    assert_true(c.dram_words == 10.0 + 12.0 + 6.0);
}

/* ---- a conv with a halo ---- */

/*
 * conv C=K=1, Xo=5, R=3, stride 1: Xi=7.  GBUF tiles walk Xo by 2 (ifm
 * Xi=4 by 2); the PE walks Xo by 1 over its GBUF tile (ifm Xi=3 by 1).
 */
static int build_halo(struct fixture *f)
{
    fixture_init(f, 1);
    int i = add_layer(f, KPL_LAYER_CONV, 1, 1, 5, 1, 3, 1, 1);
    const struct kpl_layer *l = &f->layers[i];
    struct kpl_level_map *g = level(f, i, KPL_LEVEL_GBUF);
    tile(g, l, KPL_TENSOR_WGT, EXT(0, 1, 1, 0, 0, 3, 1, 0, 0));
    tile(g, l, KPL_TENSOR_IFM, EXT(1, 1, 0, 0, 0, 0, 0, 4, 1));
    tile(g, l, KPL_TENSOR_OFM, EXT(1, 0, 1, 2, 1, 0, 0, 0, 0));
    update(g, KPL_DIM_XI, 2, KPL_DIM_XO, 2);
    struct kpl_level_map *r = level(f, i, KPL_LEVEL_REGF);
    tile(r, l, KPL_TENSOR_WGT, EXT(0, 1, 1, 0, 0, 3, 1, 0, 0));
    tile(r, l, KPL_TENSOR_IFM, EXT(1, 1, 0, 0, 0, 0, 0, 3, 1));
    tile(r, l, KPL_TENSOR_OFM, EXT(1, 0, 1, 1, 1, 0, 0, 0, 0));
    update(r, KPL_DIM_XI, 1, KPL_DIM_XO, 1);
    return i;
}

static void test_cost_halo_counts_each_input_once(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost c;
    int i = build_halo(&f);
    cost_alone(&f, i, &c);

    /* Trips: GBUF Xo 5 in steps of 2 (3 trips, the last 1 wide). */
    assert_int_equal(f.maps[i].level[KPL_LEVEL_GBUF].updates[0].count, 3);
    assert_int_equal(f.maps[i].level[KPL_LEVEL_REGF].updates[0].count, 2);

    /*
     * DRAM: ifm rows [0,4) [2,6) [4,7): 4 + 2 + 1 = 7, each once; wgt 3;
     * ofm 5 written once.
     */
    assert_true(c.dram_words == 7.0 + 3.0 + 5.0);

    /*
     * Bus, per GBUF tile: ifm [0,3) then one new word: 4, 4, and for the
     * last tile (3 words, 1 output) 3: 11.  wgt: no update at either level
     * moves it, so it stays in the PE: 3.  ofm: 5 words written once.
     */
    assert_true(c.bus_words == 11.0 + 3.0 + 5.0);

    /* 15 MACs on one PE, 5 outputs x 3 taps. */
    assert_true(c.compute_cycles == 15.0);
}

/* ---- stacks: partition, replication, multicast and sharing ---- */

/*
 * fc C=1 K=8 batch 4 on a 1 x 4 mesh: nodes split K (stack K+=2 x 4);
 * every node needs the whole ifm (replicated) unless it is shared.
 */
static int build_nodes(struct fixture *f, int64_t share)
{
    fixture_init(f, 4);
    f->arch.node_rows = 1;
    f->arch.node_cols = 4;
    int i = add_layer(f, KPL_LAYER_FC, 1, 8, 1, 1, 1, 1, 1);
    const struct kpl_layer *l = &f->layers[i];
    struct kpl_level_map *g = level(f, i, KPL_LEVEL_GBUF);
    tile(g, l, KPL_TENSOR_WGT, EXT(0, 1, 2, 0, 0, 1, 1, 0, 0));
    tile(g, l, KPL_TENSOR_IFM, EXT(4, 1, 0, 0, 0, 0, 0, 1, 1));
    tile(g, l, KPL_TENSOR_OFM, EXT(4, 0, 2, 1, 1, 0, 0, 0, 0));
    g->share[KPL_TENSOR_IFM] = share;
    stack(g, 4, KPL_DIM_K, 2, -1, 0);
    struct kpl_level_map *r = level(f, i, KPL_LEVEL_REGF);
    tile(r, l, KPL_TENSOR_WGT, EXT(0, 1, 1, 0, 0, 1, 1, 0, 0));
    tile(r, l, KPL_TENSOR_IFM, EXT(1, 1, 0, 0, 0, 0, 0, 1, 1));
    tile(r, l, KPL_TENSOR_OFM, EXT(1, 0, 1, 1, 1, 0, 0, 0, 0));
    /* 2 x 4 PEs: K across 2, N across 4; ifm multicast to both K PEs. */
    stack(r, 2, KPL_DIM_K, 1, -1, 0);
    stack(r, 4, KPL_DIM_N, 1, -1, 0);
    return i;
}

static void test_cost_replicated_and_shared_tiles(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost plain;
    struct kpl_layer_cost shared;
    cost_alone(&f, build_nodes(&f, 1), &plain);
    struct fixture f2;
    cost_alone(&f2, build_nodes(&f2, 4), &shared);

    /* wgt 8 and ofm 32 partitioned; ifm (4 words) fetched by all 4. */
    assert_true(plain.dram_words == 8.0 + 32.0 + 16.0);
    /* Shared by the 4 nodes: one copy between them. */
    assert_true(shared.dram_words == 8.0 + 32.0 + 4.0);
    /*
     * Hops: the mean distance to a corner on a 1 x 4 row is 0.5; shared,
     * the 4 words then rotate to the 3 other nodes, one hop each.
     */
    assert_true(plain.hops == 56.0 * 0.5);
    assert_true(shared.hops == 44.0 * 0.5 + 12.0);
    /* GBUF: bus side (56) plus DRAM words, plus a read and a write per
     * rotated word. */
    assert_true(plain.gbuf_words == 56.0 + 56.0);
    assert_true(shared.gbuf_words == 56.0 + 44.0 + 2.0 * 12.0);

    /*
     * Bus per node: wgt 2 (one per K PE), ifm 4 multicast to the 2 K
     * PEs, ofm 8: 14; 4 nodes: 56.
     */
    assert_true(plain.bus_words == 56.0);
    /* 8 PEs per node, 8 MACs per node: one cycle. */
    assert_true(plain.compute_cycles == 1.0);
}

/* Mean distance to the nearest corner on a 1 x 4 row: 0, 1, 1, 0. */
static void test_cost_dram_hops_corners(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost c;
    cost_alone(&f, build_nodes(&f, 1), &c);
    assert_true(c.hops == c.dram_words * 0.5);

    f.arch.dram_place = KPL_DRAM_STACKED;
    cost_alone(&f, 0, &c);
    assert_true(c.hops == 0.0);
}

/* ---- monotonic sanity and time ---- */

/*
 * conv C=8 K=8 Xo=Yo=4 R=S=1 batch 1.  GBUF tile C=cg, innermost update
 * over K then C: a bigger C chunk keeps the ofm longer on chip.
 */
static double dram_with_gbuf_c(int64_t cg)
{
    struct fixture f;
    struct kpl_layer_cost c;
    fixture_init(&f, 1);
    int i = add_layer(&f, KPL_LAYER_CONV, 8, 8, 4, 4, 1, 1, 1);
    const struct kpl_layer *l = &f.layers[i];
    struct kpl_level_map *g = level(&f, i, KPL_LEVEL_GBUF);
    tile(g, l, KPL_TENSOR_WGT, EXT(0, cg, 2, 0, 0, 1, 1, 0, 0));
    tile(g, l, KPL_TENSOR_IFM, EXT(1, cg, 0, 0, 0, 0, 0, 4, 4));
    tile(g, l, KPL_TENSOR_OFM, EXT(1, 0, 2, 4, 4, 0, 0, 0, 0));
    update(g, KPL_DIM_K, 2, -1, 0);
    update(g, KPL_DIM_C, cg, -1, 0);
    struct kpl_level_map *r = level(&f, i, KPL_LEVEL_REGF);
    tile(r, l, KPL_TENSOR_WGT, EXT(0, 1, 1, 0, 0, 1, 1, 0, 0));
    tile(r, l, KPL_TENSOR_IFM, EXT(1, 1, 0, 0, 0, 0, 0, 1, 1));
    tile(r, l, KPL_TENSOR_OFM, EXT(1, 0, 1, 1, 1, 0, 0, 0, 0));
    cost_alone(&f, i, &c);
    return c.dram_words;
}

static void test_cost_bigger_gbuf_tile_fewer_dram_words(void **state)
{
    (void)state;
    double prev = dram_with_gbuf_c(1);
    for (int64_t cg = 2; cg <= 8; cg *= 2) {
        double now = dram_with_gbuf_c(cg);
        assert_true(now < prev);
        prev = now;
    }
    /*
     * ifm (128) and wgt (64) come once either way: K is inside ifm's C
     * update.  cg = 8: ofm 128 once: 320.  cg = 1: the 8 C trips are
     * outside ofm's K update: 128 x (2 x 8 - 1) = 1920, total 2112.
     */
    assert_true(dram_with_gbuf_c(8) == 320.0);
    assert_true(dram_with_gbuf_c(1) == 2112.0);
}

static void test_cost_static_is_cycles_times_power(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost c;
    int i = build_tiny_fc(&f);
    f.arch.static_pj_per_cycle = 3.5;
    cost_alone(&f, i, &c);
    assert_true(c.energy.stat == 3.5 * c.cycles);
    assert_true(c.cycles == 24.0);

    /* A region of half the mesh pays half the chip's static power. */
    struct fixture h;
    i = build_nodes(&h, 1);
    h.arch.static_pj_per_cycle = 4.0;
    struct kpl_layer_ctx ctx = {.region = {0, 1, 0, 2}};
    kpl_scheme_compute_trips(&h.scheme);
    kpl_cost_layer(&h.scheme, i, &ctx, &c);
    assert_true(c.energy.stat == 4.0 * c.cycles * 0.5);
}

static void test_cost_dram_and_bus_time(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost c;
    int i = build_tiny_fc(&f);
    /* 26 words x 2 bytes at 4 B/cycle: 13 cycles, under compute (24). */
    f.arch.dram_bw = 4.0;
    cost_alone(&f, i, &c);
    assert_true(c.dram_cycles == 13.0);
    assert_true(c.cycles == 24.0);
    /* At 1 B/cycle: 52 cycles, DRAM bound. */
    f.arch.dram_bw = 1.0;
    cost_alone(&f, i, &c);
    assert_true(c.dram_cycles == 52.0);
    assert_true(c.cycles == 52.0);
    /* A 16-bit bus moves one word a cycle: 54 bus words. */
    f.arch.dram_bw = 0.0;
    f.arch.bus_bits = 16;
    cost_alone(&f, i, &c);
    assert_true(c.bus_cycles == 54.0);
    assert_true(c.cycles == 54.0);
}

/* Busiest PE with clipped tiles: 11 rows by 6 PEs in steps of 6. */
static void test_cost_compute_busiest_pe(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost c;
    fixture_init(&f, 1);
    int i = add_layer(&f, KPL_LAYER_CONV, 1, 1, 11, 1, 1, 1, 1);
    const struct kpl_layer *l = &f.layers[i];
    tile_whole(level(&f, i, KPL_LEVEL_GBUF), l, 1);
    struct kpl_level_map *r = level(&f, i, KPL_LEVEL_REGF);
    tile(r, l, KPL_TENSOR_WGT, EXT(0, 1, 1, 0, 0, 1, 1, 0, 0));
    tile(r, l, KPL_TENSOR_IFM, EXT(1, 1, 0, 0, 0, 0, 0, 1, 1));
    tile(r, l, KPL_TENSOR_OFM, EXT(1, 0, 1, 1, 1, 0, 0, 0, 0));
    stack(r, 6, KPL_DIM_XO, 1, KPL_DIM_XI, 1);
    update(r, KPL_DIM_XO, 6, KPL_DIM_XI, 6);
    cost_alone(&f, i, &c);
    /* Two trips; PE 0 works in both; 11 outputs spread, 2 cycles. */
    assert_true(c.compute_cycles == 2.0);
    /* Bus: ifm and ofm 6 + 5 words each, wgt once: 23. */
    assert_true(c.bus_words == 11.0 + 11.0 + 1.0);
}

/*
 * A 3 x 3 pool, Xo=2, Yo=1, stride 1 (Xi=4, Yi=3), spread over 3 PEs that
 * each hold one input row: no tensor has S, so a PE's window is what its
 * ifm tile leaves, one row.
 */
static void test_cost_pool_window_split_over_pes(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_cost c;
    fixture_init(&f, 1);
    int i = add_layer(&f, KPL_LAYER_POOL, 1, 1, 2, 1, 3, 3, 1);
    const struct kpl_layer *l = &f.layers[i];
    tile_whole(level(&f, i, KPL_LEVEL_GBUF), l, 1);
    struct kpl_level_map *r = level(&f, i, KPL_LEVEL_REGF);
    tile(r, l, KPL_TENSOR_IFM, EXT(1, 0, 1, 0, 0, 0, 0, 3, 1));
    tile(r, l, KPL_TENSOR_OFM, EXT(1, 0, 1, 1, 1, 0, 0, 0, 0));
    stack(r, 3, KPL_DIM_YI, 1, -1, 0);
    update(r, KPL_DIM_XI, 1, KPL_DIM_XO, 1);
    cost_alone(&f, i, &c);

    /* 2 outputs x 9 taps = 18 ops; each PE does 3 taps per output. */
    assert_true(c.ops == 18.0);
    assert_true(c.compute_cycles == 6.0);
    /* Pool has no weights: REGF = ifm ops + 2 x ofm ops. */
    assert_true(c.regf_words == 3.0 * 18.0);
    /* Bus: ifm 3 rows x (3 + 1) columns; ofm 2 written once. */
    assert_true(c.bus_words == 12.0 + 2.0);
}

/* ---- contexts, segments, rendering ---- */

/*
 * Two equal convs C=K=2, 2 x 2 outputs, on a 2 x 2 mesh, one row each
 * (spatial) or both on row 0 (temporal).  With batch > 1 the GBUF holds
 * one image and walks N: the pipeline groups.
 */
static void build_pair(struct fixture *f, bool spatial, int64_t batch)
{
    fixture_init(f, batch);
    f->arch.node_rows = 2;
    f->arch.node_cols = 2;
    for (int n = 0; n < 2; n++) {
        int i = add_layer(f, KPL_LAYER_CONV, 2, 2, 2, 2, 1, 1, 1);
        const struct kpl_layer *l = &f->layers[i];
        struct kpl_level_map *g = level(f, i, KPL_LEVEL_GBUF);
        tile_whole(g, l, 1);
        tile_whole(level(f, i, KPL_LEVEL_REGF), l, 1);
        if (batch > 1) {
            update(g, KPL_DIM_N, 1, -1, 0);
        }
        f->seg_layers[n] = i;
    }
    f->regions[0] = (struct kpl_region){0, 1, 0, 2};
    f->regions[1] = spatial ? (struct kpl_region){1, 2, 0, 2}
                            : (struct kpl_region){0, 1, 0, 2};
    f->seg.nlayer = 2;
    f->seg.layers = f->seg_layers;
    f->seg.regions = f->regions;
    f->seg.spatial = spatial;
    f->scheme.nsegment = 1;
    f->scheme.segments = &f->seg;
}

static void test_cost_context_from_segments(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_ctx ctx;
    build_pair(&f, true, 1);
    kpl_layer_context(&f.scheme, 0, &ctx);
    assert_false(ctx.ifm_on_chip);
    assert_true(ctx.ofm_on_chip);
    assert_int_equal(ctx.region.row0, 0);
    kpl_layer_context(&f.scheme, 1, &ctx);
    assert_true(ctx.ifm_on_chip);
    assert_false(ctx.ofm_on_chip);
    assert_int_equal(ctx.region.row0, 1);

    /* Out of the segment: DRAM both ways. */
    f.seg.nlayer = 1;
    kpl_layer_context(&f.scheme, 0, &ctx);
    assert_false(ctx.ofm_on_chip);
}

static void test_cost_forwarding_replaces_dram(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_ctx ctx;
    struct kpl_layer_cost alone;
    struct kpl_layer_cost piped;
    build_pair(&f, true, 1);
    kpl_scheme_compute_trips(&f.scheme);
    kpl_layer_context(&f.scheme, 1, &ctx);
    kpl_cost_layer(&f.scheme, 1, &ctx, &piped);
    ctx.ifm_on_chip = false;
    kpl_cost_layer(&f.scheme, 1, &ctx, &alone);

    /* ifm C=2 x 2 x 2 = 8 words: off DRAM, onto the GBUF price. */
    assert_true(alone.dram_words - piped.dram_words == 8.0);
    assert_true(piped.gbuf_words == alone.gbuf_words);
    /*
     * Every node of a 2 x 2 mesh is a corner: no DRAM hops.  The producer
     * region's centre is one row away: 8 word-hops.
     */
    assert_true(alone.hops == 0.0);
    assert_true(piped.hops == 8.0);
    assert_true(alone.energy.dram - piped.energy.dram == 8.0 * 200);
}

/* A solver prices a forwarded ifm before the segment exists: the hops it
 * gives replace the segment's distance, and only the ifm's words take
 * them. */
static void test_cost_given_ifm_hops(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_layer_ctx ctx;
    struct kpl_layer_cost from_segment;
    struct kpl_layer_cost given;
    build_pair(&f, true, 1);
    kpl_scheme_compute_trips(&f.scheme);
    kpl_layer_context(&f.scheme, 1, &ctx);
    kpl_cost_layer(&f.scheme, 1, &ctx, &from_segment);
    ctx.ifm_hops_given = true;
    ctx.ifm_hops = 3.0;
    kpl_cost_layer(&f.scheme, 1, &ctx, &given);

    /* The 8 ifm words, one row apart in the segment, three hops given. */
    assert_true(from_segment.hops == 8.0);
    assert_true(given.hops == 24.0);
    assert_true(given.energy.noc - from_segment.energy.noc ==
                16.0 * f.arch.e_hop);
    assert_true(given.dram_words == from_segment.dram_words);

    /* Given as 0 (a temporal chain): no hops, whatever the segment. */
    ctx.ifm_hops = 0.0;
    kpl_cost_layer(&f.scheme, 1, &ctx, &given);
    assert_true(given.hops == 0.0);
}

static void test_cost_segment_time(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_arena *arena = kpl_arena_new();
    struct kpl_scheme_cost sc;
    build_pair(&f, false, 4);
    kpl_scheme_compute_trips(&f.scheme);
    assert_int_equal(kpl_cost_scheme(&f.scheme, arena, &sc), 0);
    /* One PE does 4 x 2 x 2 x 2 x 2 = 64 MACs per layer. */
    assert_true(sc.layers[0].cycles == 64.0);
    /* Temporal: one after the other. */
    assert_true(sc.segment_cycles[0] == 128.0);
    assert_true(sc.total_cycles == 128.0);

    /* Spatial, 4 groups (images): the slowest stage plus one group. */
    build_pair(&f, true, 4);
    f.arch.static_pj_per_cycle = 8.0;
    kpl_scheme_compute_trips(&f.scheme);
    assert_int_equal(kpl_cost_scheme(&f.scheme, arena, &sc), 0);
    assert_true(sc.segment_cycles[0] == 64.0 + 16.0);
    /* Each half of the mesh stays powered for the whole segment. */
    assert_true(sc.layers[0].energy.stat == 8.0 * 80.0 * 0.5);
    assert_true(sc.total.stat == 8.0 * 80.0);
    double sum = kpl_energy_total(&sc.layers[0].energy) +
                 kpl_energy_total(&sc.layers[1].energy);
    assert_true(fabs(sc.total_energy - sum) < 1e-9 * sum);
    kpl_arena_free(arena);
}

static void test_cost_render_text(void **state)
{
    (void)state;
    struct fixture f;
    struct kpl_arena *arena = kpl_arena_new();
    struct kpl_scheme_cost sc;
    struct kpl_buf buf;
    build_tiny_fc(&f);
    kpl_scheme_compute_trips(&f.scheme);
    f.arch.freq_mhz = 500.0;
    assert_int_equal(kpl_cost_scheme(&f.scheme, arena, &sc), 0);
    kpl_buf_init(&buf);
    kpl_cost_render_text(&f.scheme, &sc, true, &buf);
    assert_false(buf.failed);

    /* 24 + 5200 + 480 + 108 + 96 = 5908 pJ. */
    assert_non_null(strstr(buf.data, "energy 5.908 nJ\n"));
    assert_non_null(strstr(buf.data, "dram"));
    /* 5200 / 5908 = 88.0% */
    assert_non_null(strstr(buf.data, "88.0%"));
    /* 24 cycles at 500 MHz: 48 ns. */
    assert_non_null(strstr(buf.data, "time 24 cycles (48.000 ns at 500 MHz)"));
    assert_non_null(strstr(buf.data, "first"));
    kpl_buf_free(&buf);
    kpl_arena_free(arena);
}

/* ---- AlexNet against the reference runs ---- */

/*
 * A hand mapping of two-group AlexNet at batch 16 on the one-node eyeriss
 * preset (../shared/reference/runs.md, first table): row-stationary PE
 * sets, GBUF tiles chosen so that the big tensor of each layer comes from
 * DRAM once.  docs/cost-model.md records the comparison.
 */
static const char CONV1[] =
    "    regf {\n"
    "        tensor wgt (C=3, K=6, R=11, S=1);\n"
    "        tensor ifm (N=1, C=3, Xi=11, Yi=1);\n"
    "        tensor ofm (N=1, K=6, Xo=1, Yo=1);\n"
    "        stack (S+=1, Yi+=1) x 11;\n"
    "        stack (Yi+=4, Yo+=1) x 8;\n"
    "        update (Xi+=4, Xo+=1);\n"
    "        update (K+=6);\n"
    "    }\n"
    "    gbuf {\n"
    "        tensor wgt (C=3, K=48, R=11, S=11);\n"
    "        tensor ifm (N=1, C=3, Xi=227, Yi=39);\n"
    "        tensor ofm (N=1, K=48, Xo=55, Yo=8);\n"
    "        update (Yi+=32, Yo+=8);\n"
    "        update (N+=1);\n"
    "    }\n";

static const char POOL1[] =
    "    regf {\n"
    "        tensor ifm (N=1, K=16, Xi=3, Yi=3);\n"
    "        tensor ofm (N=1, K=16, Xo=1, Yo=1);\n"
    "        stack (Yi+=2, Yo+=1) x 27;\n"
    "        update (Xi+=2, Xo+=1);\n"
    "    }\n"
    "    gbuf {\n"
    "        tensor ifm (N=1, K=16, Xi=55, Yi=55);\n"
    "        tensor ofm (N=1, K=16, Xo=27, Yo=27);\n"
    "        update (K+=16);\n"
    "        update (N+=1);\n"
    "    }\n";

static const char CONV2[] =
    "    regf {\n"
    "        tensor wgt (C=4, K=8, R=5, S=1);\n"
    "        tensor ifm (N=1, C=4, Xi=5, Yi=1);\n"
    "        tensor ofm (N=1, K=8, Xo=1, Yo=1);\n"
    "        stack (S+=1, Yi+=1) x 5;\n"
    "        stack (Yi+=1, Yo+=1) x 9;\n"
    "        stack (K+=8) x 4;\n"
    "        update (Xi+=1, Xo+=1);\n"
    "        update (C+=4);\n"
    "    }\n"
    "    gbuf {\n"
    "        tensor wgt (C=48, K=32, R=5, S=5);\n"
    "        tensor ifm (N=1, C=48, Xi=31, Yi=13);\n"
    "        tensor ofm (N=1, K=32, Xo=27, Yo=9);\n"
    "        update (Yi+=9, Yo+=9);\n"
    "        update (N+=1);\n"
    "        update (K+=32);\n"
    "    }\n";

static const char POOL2[] =
    "    regf {\n"
    "        tensor ifm (N=1, K=16, Xi=3, Yi=3);\n"
    "        tensor ofm (N=1, K=16, Xo=1, Yo=1);\n"
    "        stack (K+=16) x 4;\n"
    "        stack (Yi+=2, Yo+=1) x 13;\n"
    "        update (Xi+=2, Xo+=1);\n"
    "    }\n"
    "    gbuf {\n"
    "        tensor ifm (N=1, K=64, Xi=27, Yi=27);\n"
    "        tensor ofm (N=1, K=64, Xo=13, Yo=13);\n"
    "        update (K+=64);\n"
    "        update (N+=1);\n"
    "    }\n";

static const char CONV345[] =
    "    regf {\n"
    "        tensor wgt (C=4, K=16, R=3, S=1);\n"
    "        tensor ifm (N=1, C=4, Xi=3, Yi=1);\n"
    "        tensor ofm (N=1, K=16, Xo=1, Yo=1);\n"
    "        stack (S+=1, Yi+=1) x 3;\n"
    "        stack (Yi+=1, Yo+=1) x 13;\n"
    "        stack (K+=16) x 4;\n"
    "        update (Xi+=1, Xo+=1);\n"
    "        update (C+=4);\n"
    "    }\n"
    "    gbuf {\n"
    "        tensor wgt (C=64, K=64, R=3, S=3);\n"
    "        tensor ifm (N=1, C=64, Xi=15, Yi=15);\n"
    "        tensor ofm (N=1, K=64, Xo=13, Yo=13);\n"
    "        update (N+=1);\n"
    "        update (C+=64);\n"
    "        update (K+=64);\n"
    "    }\n";

static const char POOL3[] =
    "    regf {\n"
    "        tensor ifm (N=1, K=16, Xi=3, Yi=3);\n"
    "        tensor ofm (N=1, K=16, Xo=1, Yo=1);\n"
    "        stack (K+=16) x 8;\n"
    "        stack (Yi+=2, Yo+=1) x 6;\n"
    "        update (Xi+=2, Xo+=1);\n"
    "    }\n"
    "    gbuf {\n"
    "        tensor ifm (N=1, K=128, Xi=13, Yi=13);\n"
    "        tensor ofm (N=1, K=128, Xo=6, Yo=6);\n"
    "        update (N+=1);\n"
    "    }\n";

static const char FC1[] =
    "    regf {\n"
    "        tensor wgt (C=1, K=8, R=6, S=1);\n"
    "        tensor ifm (N=1, C=1, Xi=6, Yi=1);\n"
    "        tensor ofm (N=1, K=8);\n"
    "        stack (S+=1, Yi+=1) x 6;\n"
    "        stack (N+=1) x 16;\n"
    "        stack (C+=1) x 2;\n"
    "        update (C+=2);\n"
    "    }\n"
    "    gbuf {\n"
    "        tensor wgt (C=64, K=8, R=6, S=6);\n"
    "        tensor ifm (N=16, C=64, Xi=6, Yi=6);\n"
    "        tensor ofm (N=16, K=8);\n"
    "        update (K+=8);\n"
    "        update (C+=64);\n"
    "    }\n";

static const char FCBIG[] =
    "    regf {\n"
    "        tensor wgt (C=8, K=8);\n"
    "        tensor ifm (N=1, C=8);\n"
    "        tensor ofm (N=1, K=8);\n"
    "        stack (N+=1) x 16;\n"
    "        stack (C+=8) x 16;\n"
    "        update (C+=128);\n"
    "    }\n"
    "    gbuf {\n"
    "        tensor wgt (C=2048, K=8);\n"
    "        tensor ifm (N=16, C=2048);\n"
    "        tensor ofm (N=16, K=8);\n"
    "        update (K+=8);\n"
    "        update (C+=2048);\n"
    "    }\n";
struct reference_row {
    const char *layer;
    const char *block;
    double cost, dram, bus, regf;
};

/* Figures of the exhaustive scheduler, runs.md, one node. */
static const struct reference_row alexnet_reference[] = {
    {"conv1_a", CONV1, 5.30012e+09, 5.04283e+06, 3.66348e+07, 3.37329e+09},
    {"conv1_b", CONV1, 5.30012e+09, 5.04283e+06, 3.66348e+07, 3.37329e+09},
    {"pool1_a", POOL1, 6.06972e+08, 2.88307e+06, 5.10106e+06, 1.51165e+07},
    {"pool1_b", POOL1, 6.06972e+08, 2.88307e+06, 5.10106e+06, 1.51165e+07},
    {"conv2_a", CONV2, 9.99208e+09, 4.59878e+06, 5.34989e+07, 7.16636e+09},
    {"conv2_b", CONV2, 9.99208e+09, 4.59878e+06, 5.34989e+07, 7.16636e+09},
    {"pool2_a", POOL2, 3.86671e+08, 1.83910e+06, 3.19488e+06, 9.34502e+06},
    {"pool2_b", POOL2, 3.86671e+08, 1.83910e+06, 3.19488e+06, 9.34502e+06},
    {"conv3_a", CONV345, 6.91256e+09, 4.16870e+06, 4.90015e+07, 4.78465e+09},
    {"conv3_b", CONV345, 6.91256e+09, 4.16870e+06, 4.90015e+07, 4.78465e+09},
    {"conv4_a", CONV345, 5.21116e+09, 3.25632e+06, 3.71405e+07, 3.58849e+09},
    {"conv4_b", CONV345, 5.21116e+09, 3.25632e+06, 3.71405e+07, 3.58849e+09},
    {"conv5_a", CONV345, 3.41787e+09, 1.92205e+06, 2.15255e+07, 2.39233e+09},
    {"conv5_b", CONV345, 3.41787e+09, 1.92205e+06, 2.15255e+07, 2.39233e+09},
    {"pool3_a", POOL3, 8.80230e+07, 4.19840e+05, 7.00416e+05, 1.99066e+06},
    {"pool3_b", POOL3, 8.80230e+07, 4.19840e+05, 7.00416e+05, 1.99066e+06},
    {"fc1", FC1, 1.09422e+10, 3.79617e+07, 1.39985e+08, 2.41592e+09},
    {"fc2", FCBIG, 4.82542e+09, 1.69083e+07, 5.03972e+07, 1.07374e+09},
    {"fc3", FCBIG, 1.18822e+09, 4.17754e+06, 1.25166e+07, 2.62144e+08},
};

#define NREF (sizeof alexnet_reference / sizeof alexnet_reference[0])

static void alexnet_text(struct kpl_buf *text)
{
    kpl_buf_puts(text, "import alexnet;\nimport eyeriss;\n"
                       "scheme hand for alexnet on eyeriss batch 16 {\n");
    for (size_t i = 0; i < NREF; i++) {
        kpl_buf_printf(text, "segment { %s } nodes [0:1, 0:1];\n",
                       alexnet_reference[i].layer);
    }
    for (size_t i = 0; i < NREF; i++) {
        kpl_buf_printf(text, "layer %s {\n%s}\n",
                       alexnet_reference[i].layer,
                       alexnet_reference[i].block);
    }
    kpl_buf_puts(text, "}\n");
}

static bool within(double value, double reference, double lo, double hi)
{
    return value >= reference * lo && value <= reference * hi;
}

static void test_cost_alexnet_against_reference(void **state)
{
    (void)state;
    struct kpl_program *prog = kpl_program_new();
    struct kpl_buf text;
    struct kpl_scheme_cost sc;
    kpl_buf_init(&text);
    alexnet_text(&text);
    assert_int_equal(kpl_program_load_text(prog, "alexnet-hand.kapla",
                                           text.data, text.len), 0);
    kpl_program_resolve(prog);
    assert_int_equal(prog->diags.nerrors, 0);
    const struct kpl_scheme *scheme = prog->schemes[prog->nscheme - 1];
    assert_non_null(scheme);
    /* The hand mapping is valid: the comparison is of a real scheme. */
    assert_int_equal(kpl_check_scheme(scheme, &prog->diags), 0);
    assert_int_equal(kpl_cost_scheme(scheme, prog->arena, &sc), 0);

    print_message("%-8s %10s %10s %10s %10s %10s %10s %6s\n", "layer",
                  "dram", "ref", "bus", "ref", "regf", "cost", "/ref");
    double total = 0.0;
    double ref_total = 0.0;
    for (size_t i = 0; i < NREF; i++) {
        const struct reference_row *ref = &alexnet_reference[i];
        const struct kpl_layer_cost *c = &sc.layers[i];
        double cost = kpl_energy_total(&c->energy);
        assert_string_equal(scheme->net->layers[i].name, ref->layer);
        print_message("%-8s %10.4g %10.4g %10.4g %10.4g %10.4g %10.4g "
                      "%6.3f\n", ref->layer, c->dram_words, ref->dram,
                      c->bus_words, ref->bus, c->regf_words, cost,
                      cost / ref->cost);

        /* REGF counts follow from the MACs alone: they must agree. */
        assert_true(within(c->regf_words, ref->regf, 0.9999, 1.0001));
        /* DRAM words: the same order as the optimum's. */
        assert_true(within(c->dram_words, ref->dram, 0.5, 2.0));
        total += cost;
        ref_total += ref->cost;
    }
    print_message("total %.6g, reference %.6g, ratio %.3f\n", total,
                  ref_total, total / ref_total);
    /* A hand mapping should not beat the exhaustive optimum by much. */
    assert_true(within(total, ref_total, 0.9, 1.5));
    kpl_buf_free(&text);
    kpl_program_free(prog);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_tiny_fc_counts),
        cmocka_unit_test(test_cost_energy_components),
        cmocka_unit_test(test_cost_rmw_ofm_across_c),
        cmocka_unit_test(test_cost_rmw_ofm_dram),
        cmocka_unit_test(test_cost_halo_counts_each_input_once),
        cmocka_unit_test(test_cost_replicated_and_shared_tiles),
        cmocka_unit_test(test_cost_dram_hops_corners),
        cmocka_unit_test(test_cost_bigger_gbuf_tile_fewer_dram_words),
        cmocka_unit_test(test_cost_static_is_cycles_times_power),
        cmocka_unit_test(test_cost_dram_and_bus_time),
        cmocka_unit_test(test_cost_compute_busiest_pe),
        cmocka_unit_test(test_cost_pool_window_split_over_pes),
        cmocka_unit_test(test_cost_context_from_segments),
        cmocka_unit_test(test_cost_forwarding_replaces_dram),
        cmocka_unit_test(test_cost_given_ifm_hops),
        cmocka_unit_test(test_cost_segment_time),
        cmocka_unit_test(test_cost_render_text),
        cmocka_unit_test(test_cost_alexnet_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
