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
#include "checker/cost.h"
#include "checker/ir.h"

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
    struct kpl_layer_ctx ctx = {{0, f->arch.node_rows, 0, f->arch.node_cols},
                                false, false};
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
    struct kpl_layer_ctx ctx = {{0, 1, 0, 2}, false, false};
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
        cmocka_unit_test(test_cost_context_from_segments),
        cmocka_unit_test(test_cost_forwarding_replaces_dram),
        cmocka_unit_test(test_cost_segment_time),
        cmocka_unit_test(test_cost_render_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
