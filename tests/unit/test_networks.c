/*
 * The bundled networks and hardware presets, checked against sources that
 * do not go through kaplac.
 *
 * Networks: each bundled network is loaded by name through the program API
 * and resolved; its IR is compared layer by layer with the rows of the
 * layer table tests/data/networks.tsv, read here at test time: kind,
 * channels, output size, window, strides, producers, input sizes, and the
 * MACs per image summed over the table's own rows.  The published MAC
 * totals of four networks are asserted as well, so that the table itself
 * is checked against the literature.
 *
 * IR conventions checked (checker/ir.h): pool and dwconv have c = 1 and k
 * the channels; eltwise has c = the number of operands; fc has r, s equal
 * to its input's spatial size and xo = yo = 1.  The network input of the
 * table (`__input__`) is named `image`, or `data` when it is 1 x 1.
 *
 * Presets: each bundled arch is resolved and its fields compared with the
 * published preset table (docs/networks.md), in the IR's units.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker/resolve.h"
#include "parser/bundled.h"
#include "parser/parse.h"
#include "parser/print.h"

#define TSV_PATH KPL_SOURCE_DIR "/tests/data/networks.tsv"
#define MAX_ROWS 1024
#define MAX_PREVS 8
#define NAME_LEN 64

/* One row of the layer table. */
struct row {
    char net[NAME_LEN];
    char layer[NAME_LEN];
    char type[NAME_LEN];
    int64_t c, k, ho, wo, r, s, sh, sw, nreg;
    int nprev;
    char prevs[MAX_PREVS][NAME_LEN];
};

struct table {
    int nrow;
    struct row rows[MAX_ROWS];
};

/* A bundled network, its table name and its published MACs (0: none). */
struct bundle {
    const char *tsv;
    const char *file;
    const char *network;
    double published_macs;
};

static const struct bundle bundles[] = {
    {"alex_net", "alexnet", "alexnet", 725.5e6},
    {"vgg_net", "vgg16", "vgg16", 15.48e9},
    {"googlenet", "googlenet", "googlenet", 0},
    {"resnet50", "resnet50", "resnet50", 3.87e9},
    {"mobilenet", "mobilenet", "mobilenet", 568.8e6},
    {"mlp_l", "mlp-l", "mlp_l", 0},
    {"lstm_gnmt", "lstm-gnmt", "lstm_gnmt", 0},
    {"vgg19_net", "vgg19", "vgg19", 0},
    {"resnet152", "resnet152", "resnet152", 0},
    {"zfnet", "zfnet", "zfnet", 0},
    {"mlp_m", "mlp-m", "mlp_m", 0},
    {"mlp_s", "mlp-s", "mlp_s", 0},
    {"lstm_phoneme", "lstm-phoneme", "lstm_phoneme", 0},
    {"lstm_showtell", "lstm-showtell", "lstm_showtell", 0},
};

#define NBUNDLES ((int)(sizeof bundles / sizeof bundles[0]))

static struct table *table;

/* ---- the layer table ---- */

static void split_prevs(struct row *row, char *text)
{
    char *save = NULL;
    for (char *p = strtok_r(text, ",", &save); p != NULL;
         p = strtok_r(NULL, ",", &save)) {
        assert_true(row->nprev < MAX_PREVS);
        snprintf(row->prevs[row->nprev++], NAME_LEN, "%s", p);
    }
}

/* Parses one data line; returns false for the header line. */
static bool parse_row(struct row *row, char *line)
{
    char prevs[1024];
    long long v[9];
    int n = sscanf(line,
                   "%63[^\t]\t%63[^\t]\t%63[^\t]\t%lld\t%lld\t%lld\t%lld"
                   "\t%lld\t%lld\t%lld\t%lld\t%lld\t%1023[^\t\n]",
                   row->net, row->layer, row->type, &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], prevs);
    if (n != 13) {
        assert_string_equal(row->net, "network");
        return false;
    }
    row->c = v[0];
    row->k = v[1];
    row->ho = v[2];
    row->wo = v[3];
    row->r = v[4];
    row->s = v[5];
    row->sh = v[6];
    row->sw = v[7];
    row->nreg = v[8];
    row->nprev = 0;
    split_prevs(row, prevs);
    return true;
}

static int read_table(void **state)
{
    (void)state;
    FILE *f = fopen(TSV_PATH, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", TSV_PATH);
        return -1;
    }
    table = calloc(1, sizeof *table);
    char line[4096];
    while (table != NULL && fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        if (table->nrow == MAX_ROWS) {
            break;
        }
        if (parse_row(&table->rows[table->nrow], line)) {
            table->nrow++;
        }
    }
    fclose(f);
    return table != NULL && table->nrow > 0 ? 0 : -1;
}

static int free_table(void **state)
{
    (void)state;
    free(table);
    table = NULL;
    return 0;
}

static const struct row *find_row(const char *net, const char *layer)
{
    for (int i = 0; i < table->nrow; i++) {
        const struct row *row = &table->rows[i];
        if (strcmp(row->net, net) == 0 && strcmp(row->layer, layer) == 0) {
            return row;
        }
    }
    return NULL;
}

/* The table's MACs for one row: see the cost model's definition of ops. */
static int64_t row_macs(const struct row *row)
{
    int64_t out = row->k * row->ho * row->wo;
    if (strcmp(row->type, "conv") == 0 || strcmp(row->type, "fc") == 0) {
        return out * row->c * row->r * row->s;
    }
    if (strcmp(row->type, "eltwise") == 0) {
        return out * row->nreg;
    }
    return out * row->r * row->s; /* pool, dwconv: one channel each */
}

/* ---- loading ---- */

static void fail_with_diags(struct kpl_program *prog, const char *what)
{
    struct kpl_buf buf;
    kpl_buf_init(&buf);
    kpl_diags_render_text(&prog->diags, &buf);
    print_error("%s: %d errors, %d warnings\n%s", what,
                prog->diags.nerrors, prog->diags.nwarnings,
                buf.data ? buf.data : "");
    kpl_buf_free(&buf);
    fail();
}

static struct kpl_program *load(const char *file)
{
    struct kpl_program *prog = kpl_program_new();
    assert_non_null(prog);
    if (kpl_program_load_bundled(prog, file) != 0) {
        fail_with_diags(prog, file);
    }
    kpl_program_resolve(prog);
    if (prog->diags.nerrors != 0 || prog->diags.nwarnings != 0) {
        fail_with_diags(prog, file);
    }
    return prog;
}

/* ---- networks ---- */

static enum kpl_layer_kind expected_kind(const char *type)
{
    static const struct {
        const char *type;
        enum kpl_layer_kind kind;
    } kinds[] = {
        {"conv", KPL_LAYER_CONV}, {"fc", KPL_LAYER_FC},
        {"pool", KPL_LAYER_POOL}, {"eltwise", KPL_LAYER_ELTWISE},
        {"dwconv", KPL_LAYER_DWCONV},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(kinds[i].type, type) == 0) {
            return kinds[i].kind;
        }
    }
    fail_msg("unknown table type '%s'", type);
    return KPL_LAYER_CONV;
}

/* The name a table producer has in the bundled network. */
static const char *bundled_name(const struct row *producer)
{
    if (strcmp(producer->layer, "__input__") != 0) {
        return producer->layer;
    }
    return producer->ho * producer->wo > 1 ? "image" : "data";
}

static const struct row *producer_row(const struct row *row, int i)
{
    const char *name = row->prevs[i];
    const struct row *producer =
        find_row(row->net, strcmp(name, "-") == 0 ? "__input__" : name);
    assert_non_null(producer);
    return producer;
}

/*
 * The first difference found between a layer and its row: checks go on
 * collecting so that one failure names the layer and the field.
 */
struct mismatch {
    const char *field;
    long long got, want;
    const char *got_name, *want_name;
};

static void expect_int(struct mismatch *m, const char *field, int64_t got,
                       int64_t want)
{
    if (got != want && m->field == NULL) {
        m->field = field;
        m->got = (long long)got;
        m->want = (long long)want;
    }
}

static void expect_name(struct mismatch *m, const char *field,
                        const char *got, const char *want)
{
    if (strcmp(got, want) != 0 && m->field == NULL) {
        m->field = field;
        m->got_name = got;
        m->want_name = want;
    }
}

static void report(const struct mismatch *m, const struct row *row)
{
    if (m->field == NULL) {
        return;
    }
    if (m->got_name != NULL) {
        fail_msg("%s: layer '%s': %s is '%s', the table says '%s'", row->net,
                 row->layer, m->field, m->got_name, m->want_name);
    }
    fail_msg("%s: layer '%s': %s is %lld, the table says %lld", row->net,
             row->layer, m->field, m->got, m->want);
}

static void check_producers(struct mismatch *m,
                            const struct kpl_network *net,
                            const struct kpl_layer *layer,
                            const struct row *row)
{
    expect_int(m, "producer count", layer->nprev, row->nprev);
    for (int i = 0; i < row->nprev && i < layer->nprev; i++) {
        const struct row *producer = producer_row(row, i);
        const struct kpl_ref *ref = &layer->prev[i];
        bool is_input = strcmp(producer->type, "input") == 0;
        expect_int(m, "producer is an input", ref->is_input, is_input);
        if (ref->is_input != is_input) {
            continue;
        }
        const char *name = is_input ? net->inputs[ref->index].name
                                    : net->layers[ref->index].name;
        expect_name(m, "producer", name, bundled_name(producer));

        /* Every producer has the spatial size the layer reads. */
        expect_int(m, "input rows", layer->in_h, producer->ho);
        expect_int(m, "input columns", layer->in_w, producer->wo);
    }
}

static void check_channels(struct mismatch *m, const struct kpl_layer *layer,
                           const struct row *row)
{
    expect_int(m, "K", layer->k, row->k);
    switch (layer->kind) {
    case KPL_LAYER_CONV:
    case KPL_LAYER_FC:
        expect_int(m, "C", layer->c, row->c);
        expect_int(m, "input channels", layer->in_c, row->c);
        break;
    case KPL_LAYER_POOL:
    case KPL_LAYER_DWCONV:
        expect_int(m, "C loop (1 for pool and dwconv)", layer->c, 1);
        expect_int(m, "table K (equal to C)", row->k, row->c);
        expect_int(m, "input channels", layer->in_c, row->c);
        break;
    case KPL_LAYER_ELTWISE:
        expect_int(m, "C loop (operands of eltwise)", layer->c, row->nreg);
        expect_int(m, "table C (nreg x K)", row->c, row->nreg * row->k);
        break;
    }
}

static void check_layer(const struct kpl_network *net,
                        const struct kpl_layer *layer, const struct row *row)
{
    struct mismatch m = {0};
    expect_int(&m, "kind", layer->kind, expected_kind(row->type));
    expect_int(&m, "role", layer->role, KPL_ROLE_FORWARD);
    check_channels(&m, layer, row);
    expect_int(&m, "Xo", layer->xo, row->ho);
    expect_int(&m, "Yo", layer->yo, row->wo);
    expect_int(&m, "R", layer->r, row->r);
    expect_int(&m, "S", layer->s, row->s);
    expect_int(&m, "row stride", layer->stride_x, row->sh);
    expect_int(&m, "column stride", layer->stride_y, row->sw);
    if (layer->kind == KPL_LAYER_FC) {
        expect_int(&m, "fc Xo", layer->xo, 1);
        expect_int(&m, "fc Yo", layer->yo, 1);
        expect_int(&m, "fc R (its input's rows)", layer->r, layer->in_h);
        expect_int(&m, "fc S (its input's columns)", layer->s, layer->in_w);
    }
    check_producers(&m, net, layer, row);
    report(&m, row);
}

static void check_input(const struct kpl_input *input, const struct row *row)
{
    struct mismatch m = {0};
    expect_name(&m, "input name", input->name, bundled_name(row));
    expect_int(&m, "input C", input->c, row->k);
    expect_int(&m, "input H", input->h, row->ho);
    expect_int(&m, "input W", input->w, row->wo);
    report(&m, row);
}

static bool uses_local(const char *tsv)
{
    for (int i = 0; i < table->nrow; i++) {
        if (strcmp(table->rows[i].net, tsv) == 0 &&
            strcmp(table->rows[i].type, "local") == 0) {
            return true;
        }
    }
    return false;
}

/* Walks the table's rows in order; the network keeps the same order. */
static void check_network(const struct bundle *b)
{
    struct kpl_program *prog = load(b->file);
    const struct kpl_network *net = kpl_program_network(prog, b->network);
    assert_non_null(net);
    assert_false(net->training);

    int ninput = 0;
    int nlayer = 0;
    int64_t table_macs = 0;
    int64_t ir_macs = 0;
    for (int i = 0; i < table->nrow; i++) {
        const struct row *row = &table->rows[i];
        if (strcmp(row->net, b->tsv) != 0) {
            continue;
        }
        if (strcmp(row->type, "input") == 0) {
            assert_true(ninput < net->ninput);
            check_input(&net->inputs[ninput++], row);
            continue;
        }
        assert_true(nlayer < net->nlayer);
        const struct kpl_layer *layer = &net->layers[nlayer++];
        assert_string_equal(layer->name, row->layer);
        check_layer(net, layer, row);
        table_macs += row_macs(row);
        ir_macs += kpl_layer_ops(layer, 1);
    }
    assert_int_equal(net->ninput, ninput);
    assert_int_equal(net->nlayer, nlayer);
    assert_true(nlayer > 0);
    if (ir_macs != table_macs) {
        fail_msg("%s: %lld MACs per image, the table gives %lld", b->file,
                 (long long)ir_macs, (long long)table_macs);
    }
    assert_int_equal(kpl_layer_ops(&net->layers[0], 8),
                     8 * kpl_layer_ops(&net->layers[0], 1));

    if (b->published_macs > 0) {
        double error = fabs((double)ir_macs - b->published_macs);
        assert_true(error <= 0.005 * b->published_macs);
    }
    kpl_program_free(prog);
}

static void test_networks_match_the_layer_table(void **state)
{
    (void)state;
    for (int i = 0; i < NBUNDLES; i++) {
        if (uses_local(bundles[i].tsv)) {
            continue; /* no kaplac kind for locally connected layers */
        }
        print_message("network %s\n", bundles[i].file);
        check_network(&bundles[i]);
    }
}

/* Each table network of the bundle list exists, and the table has them. */
static void test_networks_are_all_bundled(void **state)
{
    (void)state;
    for (int i = 0; i < NBUNDLES; i++) {
        assert_non_null(kpl_bundled_find(bundles[i].file));
        assert_non_null(find_row(bundles[i].tsv, "__input__"));
    }
    /* Identifiers cannot hold '-': mlp_l names the file mlp-l. */
    assert_string_equal(kpl_bundled_find("mlp_l")->name, "mlp-l");
    assert_null(kpl_bundled_find("mlp_x"));
    assert_null(kpl_bundled_find("mlp-"));
}

/* The table's own totals against the published figures, on their own. */
static void test_networks_table_totals_are_published_ones(void **state)
{
    (void)state;
    for (int b = 0; b < NBUNDLES; b++) {
        if (bundles[b].published_macs == 0) {
            continue;
        }
        int64_t macs = 0;
        for (int i = 0; i < table->nrow; i++) {
            const struct row *row = &table->rows[i];
            if (strcmp(row->net, bundles[b].tsv) == 0 &&
                strcmp(row->type, "input") != 0) {
                macs += row_macs(row);
            }
        }
        double error = fabs((double)macs - bundles[b].published_macs);
        assert_true(error <= 0.005 * bundles[b].published_macs);
    }
}

/* A network with a fixed shape: AlexNet's first fc reads 2 x 128 x 6 x 6. */
static void test_networks_alexnet_fc1_window_is_its_input(void **state)
{
    (void)state;
    struct kpl_program *prog = load("alexnet");
    const struct kpl_network *net = kpl_program_network(prog, "alexnet");
    assert_non_null(net);

    const struct kpl_layer *fc1 = NULL;
    for (int i = 0; i < net->nlayer; i++) {
        if (strcmp(net->layers[i].name, "fc1") == 0) {
            fc1 = &net->layers[i];
        }
    }
    assert_non_null(fc1);
    assert_int_equal(fc1->kind, KPL_LAYER_FC);
    assert_int_equal(fc1->c, 256);
    assert_int_equal(fc1->r, 6);
    assert_int_equal(fc1->s, 6);
    assert_int_equal(kpl_layer_ops(fc1, 1), 256LL * 4096 * 36);
    kpl_program_free(prog);
}

/* ---- every bundled file through the canonical printer ---- */

static struct kpl_ast_file *parse_text(struct kpl_arena *arena,
                                       struct kpl_diags *diags,
                                       const char *path, const char *text,
                                       size_t len)
{
    struct kpl_source *src = kpl_source_new(arena, path, text, len);
    assert_non_null(src);
    struct kpl_ast_file *file = kpl_parse(arena, src, diags);
    assert_non_null(file);
    assert_int_equal(diags->nerrors, 0);
    return file;
}

/* Printing a bundled file and parsing the print gives the same tree. */
static void test_networks_bundled_files_print_and_parse_back(void **state)
{
    (void)state;
    int nfiles = 0;
    for (const struct kpl_bundled_file *f = kpl_bundled; f->name; f++) {
        struct kpl_arena *arena = kpl_arena_new();
        assert_non_null(arena);
        struct kpl_diags diags;
        kpl_diags_init(&diags, arena);

        struct kpl_ast_file *first =
            parse_text(arena, &diags, f->name, f->text, f->len);
        struct kpl_buf printed;
        kpl_buf_init(&printed);
        kpl_print_file(first, &printed);
        assert_false(printed.failed);
        struct kpl_ast_file *second = parse_text(
            arena, &diags, "printed", printed.data, printed.len);
        if (!kpl_ast_file_equal(first, second)) {
            fail_msg("%s: the printed text parses differently:\n%s",
                     f->name, printed.data);
        }
        kpl_buf_free(&printed);
        kpl_arena_free(arena);
        nfiles++;
    }
    assert_true(nfiles >= NBUNDLES);
}

/* ---- training graphs ---- */

/* The backward layers the table predicts for one network. */
static void count_backward(const char *tsv, int *ndx, int *ndw)
{
    *ndx = 0;
    *ndw = 0;
    for (int i = 0; i < table->nrow; i++) {
        const struct row *row = &table->rows[i];
        if (strcmp(row->net, tsv) != 0 || strcmp(row->type, "input") == 0) {
            continue;
        }
        bool reads_a_layer = false;
        for (int p = 0; p < row->nprev; p++) {
            const struct row *producer = producer_row(row, p);
            reads_a_layer |= strcmp(producer->type, "input") != 0;
        }
        *ndx += reads_a_layer;
        *ndw += strcmp(row->type, "conv") == 0 ||
                strcmp(row->type, "fc") == 0 ||
                strcmp(row->type, "dwconv") == 0;
    }
}

/* A backward layer keeps its forward layer's iteration space. */
static void check_backward(const struct kpl_network *train,
                           const struct kpl_layer *back)
{
    const struct kpl_layer *fwd = &train->layers[back->forward];
    const char *suffix = back->role == KPL_ROLE_DATA_GRAD ? ".dx" : ".dw";
    char name[2 * NAME_LEN];
    snprintf(name, sizeof name, "%s%s", fwd->name, suffix);
    assert_string_equal(back->name, name);
    assert_int_equal(fwd->role, KPL_ROLE_FORWARD);
    assert_int_equal(back->kind, fwd->kind);
    assert_int_equal(back->c, fwd->c);
    assert_int_equal(back->k, fwd->k);
    assert_int_equal(back->xo, fwd->xo);
    assert_int_equal(back->yo, fwd->yo);
    assert_int_equal(back->r, fwd->r);
    assert_int_equal(back->s, fwd->s);
    assert_int_equal(back->out, back->role == KPL_ROLE_DATA_GRAD
                                    ? KPL_TENSOR_IFM : KPL_TENSOR_WGT);
}

static void test_networks_derive_training_graphs(void **state)
{
    (void)state;
    for (int b = 0; b < NBUNDLES; b++) {
        struct kpl_program *prog = load(bundles[b].file);
        const struct kpl_network *net =
            kpl_program_network(prog, bundles[b].network);
        assert_non_null(net);
        const struct kpl_network *train =
            kpl_network_training(net, prog->arena);
        assert_non_null(train);
        assert_true(train->training);

        int ndx = 0;
        int ndw = 0;
        count_backward(bundles[b].tsv, &ndx, &ndw);
        assert_int_equal(train->nlayer, net->nlayer + ndx + ndw);
        for (int i = 0; i < net->nlayer; i++) {
            assert_string_equal(train->layers[i].name, net->layers[i].name);
        }
        for (int i = net->nlayer; i < train->nlayer; i++) {
            check_backward(train, &train->layers[i]);
        }
        kpl_program_free(prog);
    }
}

/* ---- presets ---- */

struct preset {
    const char *file;
    const char *name;
    int64_t nodes_rows, nodes_cols, pes_rows, pes_cols;
    enum kpl_pe_style style;
    enum kpl_dram_place dram;
    int64_t gbuf_bytes, regf_bytes, bus_bits;
    double dram_bw;
    double e_mac, e_dram, e_gbuf, e_bus, e_regf, e_hop, e_static, mhz;
};

/* The published preset table; 0 bandwidth or bus width: unlimited. */
static const struct preset presets[] = {
    {"multinode", "multinode", 16, 16, 8, 8, KPL_PE_ROWSTATIONARY,
     KPL_DRAM_CORNERS, 32 * 1024, 64, 128, 51.2,
     0.9984, 401.89, 2.8325, 1.6416, 0.094089, 9.76, 1272.87, 500},
    {"multinode-4x4", "multinode_4x4", 4, 4, 8, 8, KPL_PE_ROWSTATIONARY,
     KPL_DRAM_CORNERS, 64 * 1024, 64, 128, 51.2,
     0.9984, 401.89, 2.8325, 1.6416, 0.094089, 9.76, 1272.87, 500},
    {"edge", "edge", 1, 1, 16, 16, KPL_PE_SYSTOLIC, KPL_DRAM_CORNERS,
     256 * 1024, 512, 256, 12.8,
     0.9984, 401.89, 7.4837, 3.2832, 0.25073, 9.76, 541.0, 0},
    {"eyeriss", "eyeriss", 1, 1, 16, 16, KPL_PE_ROWSTATIONARY,
     KPL_DRAM_CORNERS, 128 * 1024, 512, 0, 0,
     1, 200, 6, 2, 1, 0, 0, 0},
    {"tetris-l1", "tetris_l1", 1, 1, 16, 16, KPL_PE_ROWSTATIONARY,
     KPL_DRAM_CORNERS, 576 * 1024, 1024, 0, 0,
     2, 240, 28, 4, 1, 0, 320, 0},
    {"tetris-t16", "tetris_t16", 4, 4, 14, 14, KPL_PE_ROWSTATIONARY,
     KPL_DRAM_STACKED, 133 * 1024, 512, 0, 0,
     2, 80, 14, 4, 0.6, 40, 200, 0},
};

static void check_preset(const struct preset *want)
{
    struct kpl_program *prog = load(want->file);
    const struct kpl_arch *a = kpl_program_arch(prog, want->name);
    assert_non_null(a);

    assert_int_equal(a->word_bits, 16);
    assert_int_equal(a->node_rows, want->nodes_rows);
    assert_int_equal(a->node_cols, want->nodes_cols);
    assert_int_equal(a->pe_rows, want->pes_rows);
    assert_int_equal(a->pe_cols, want->pes_cols);
    assert_int_equal(a->pe_style, want->style);
    assert_int_equal(a->dram_place, want->dram);
    assert_int_equal(a->gbuf_bytes, want->gbuf_bytes);
    assert_int_equal(a->regf_bytes, want->regf_bytes);
    assert_int_equal(a->bus_bits, want->bus_bits);
    assert_true(fabs(a->dram_bw - want->dram_bw) < 1e-9);
    assert_true(fabs(a->e_mac - want->e_mac) < 1e-9);
    assert_true(fabs(a->e_dram - want->e_dram) < 1e-9);
    assert_true(fabs(a->e_gbuf - want->e_gbuf) < 1e-9);
    assert_true(fabs(a->e_bus - want->e_bus) < 1e-9);
    assert_true(fabs(a->e_regf - want->e_regf) < 1e-9);
    assert_true(fabs(a->e_hop - want->e_hop) < 1e-9);
    assert_true(fabs(a->static_pj_per_cycle - want->e_static) < 1e-9);
    assert_true(fabs(a->freq_mhz - want->mhz) < 1e-9);

    /* GBUF words per node follow from bytes and the 16-bit word. */
    assert_int_equal(kpl_arch_words(a, KPL_LEVEL_GBUF),
                     want->gbuf_bytes / 2);
    kpl_program_free(prog);
}

static void test_networks_presets_match_the_published_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        print_message("preset %s\n", presets[i].file);
        check_preset(&presets[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_networks_are_all_bundled),
        cmocka_unit_test(test_networks_table_totals_are_published_ones),
        cmocka_unit_test(test_networks_match_the_layer_table),
        cmocka_unit_test(test_networks_alexnet_fc1_window_is_its_input),
        cmocka_unit_test(test_networks_derive_training_graphs),
        cmocka_unit_test(test_networks_bundled_files_print_and_parse_back),
        cmocka_unit_test(test_networks_presets_match_the_published_table),
    };
    return cmocka_run_group_tests(tests, read_table, free_table);
}
