/*
 * Resolution of `arch` blocks: property words to struct kpl_arch.
 *
 * Each property is `KEY clause, clause, ...;`.  A clause is matched against
 * the patterns of its key; numbers carry units that are converted to the
 * IR's units (bytes, bits, pJ, bytes per cycle, MHz).  Unknown keys, a
 * missing required property, wrong units and non-positive values are
 * located errors.
 */
#include "checker/resolve_internal.h"

#include <math.h>
#include <string.h>

enum quantity {
    Q_SIZE,      /* bit, B, KiB, MiB: to bytes (bits for `bit`) */
    Q_ENERGY,    /* pJ, nJ: to pJ */
    Q_BANDWIDTH, /* B/cycle */
    Q_FREQUENCY, /* MHz, GHz: to MHz */
};

struct unit {
    const char *name;
    enum quantity quantity;
    double scale;
};

static const struct unit units[] = {
    {"bit", Q_SIZE, 0.125}, {"B", Q_SIZE, 1.0},
    {"KiB", Q_SIZE, 1024.0}, {"MiB", Q_SIZE, 1048576.0},
    {"pJ", Q_ENERGY, 1.0}, {"nJ", Q_ENERGY, 1000.0},
    {"B/cycle", Q_BANDWIDTH, 1.0},
    {"MHz", Q_FREQUENCY, 1.0}, {"GHz", Q_FREQUENCY, 1000.0},
};

static const char *quantity_units(enum quantity q)
{
    switch (q) {
    case Q_SIZE:
        return "bit, B, KiB or MiB";
    case Q_ENERGY:
        return "pJ or nJ";
    case Q_BANDWIDTH:
        return "B/cycle";
    case Q_FREQUENCY:
        return "MHz or GHz";
    }
    return "";
}

static bool word_is(const struct kpl_word *w, const char *text)
{
    return w != NULL && w->kind == KPL_WORD_IDENT &&
           strcmp(w->text, text) == 0;
}

/* Largest value the IR accepts, in the IR's unit (bytes, pJ, ...). */
static double quantity_max(enum quantity q)
{
    switch (q) {
    case Q_SIZE:
        return 1e15;
    case Q_ENERGY:
        return 1e9; /* 1 mJ per access or per cycle */
    case Q_BANDWIDTH:
        return 1e12;
    case Q_FREQUENCY:
        return 1e6;
    }
    return 0;
}

/*
 * Smallest value accepted: zero bandwidth or frequency means nothing
 * ("unlimited" is a word), and a vanishing one would overflow the time.
 */
static double quantity_min(enum quantity q)
{
    return q == Q_BANDWIDTH || q == Q_FREQUENCY ? 1e-3 : 0;
}

/*
 * Reads `NUMBER UNIT` at *wp into *value (converted) and advances; a
 * located error when the number or unit is missing or wrong.
 */
static bool take_quantity(struct resolver *rs, const struct kpl_word **wp,
                          struct kpl_span at, enum quantity q, double *value)
{
    const struct kpl_word *num = *wp;
    if (num == NULL || num->kind != KPL_WORD_NUMBER) {
        kpl_error(rs->diags, "value", num ? num->span : at,
                  "expected a number with a unit (%s)", quantity_units(q));
        return false;
    }
    const struct kpl_word *unit = num->next;
    if (unit == NULL || unit->kind != KPL_WORD_IDENT) {
        kpl_error(rs->diags, "unit", num->span,
                  "missing unit after %s: expected %s", num->text,
                  quantity_units(q));
        return false;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(units[i].name, unit->text) != 0) {
            continue;
        }
        if (units[i].quantity != q) {
            break;
        }
        double v = num->number * units[i].scale;
        if (!(v >= quantity_min(q)) || !isfinite(v) ||
            v > quantity_max(q)) {
            kpl_error(rs->diags, "value", num->span,
                      "%s %s is out of range: expected %g to %g %s",
                      num->text, unit->text, quantity_min(q) / units[i].scale,
                      quantity_max(q) / units[i].scale, unit->text);
            return false;
        }
        *value = v;
        *wp = unit->next;
        return true;
    }
    kpl_error(rs->diags, "unit", unit->span,
              "wrong unit '%s': expected %s", unit->text, quantity_units(q));
    return false;
}

/* Reads a positive integer word into *value. */
static bool take_count(struct resolver *rs, const struct kpl_word **wp,
                       struct kpl_span at, int64_t max, int64_t *value)
{
    const struct kpl_word *num = *wp;
    if (num == NULL || num->kind != KPL_WORD_NUMBER) {
        kpl_error(rs->diags, "value", num ? num->span : at,
                  "expected a whole number");
        return false;
    }
    double v = num->number;
    if (!(v >= 1) || v > (double)max || v != floor(v)) {
        kpl_error(rs->diags, "value", num->span,
                  "%s must be a whole number from 1 to %lld", num->text,
                  (long long)max);
        return false;
    }
    *value = (int64_t)v;
    *wp = num->next;
    return true;
}

/* Expects the words `a` then `b` (b may be NULL). */
static bool take_words(struct resolver *rs, const struct kpl_word **wp,
                       struct kpl_span at, const char *a, const char *b)
{
    const struct kpl_word *w = *wp;
    if (!word_is(w, a) || (b != NULL && !word_is(w->next, b))) {
        kpl_error(rs->diags, "syntax", w ? w->span : at,
                  "expected '%s%s%s'", a, b ? " " : "", b ? b : "");
        return false;
    }
    *wp = b ? w->next->next : w->next;
    return true;
}

static bool at_end(struct resolver *rs, const struct kpl_word *w)
{
    if (w != NULL) {
        kpl_error(rs->diags, "syntax", w->span, "unexpected '%s'", w->text);
        return false;
    }
    return true;
}

/* `energy NUMBER UNIT` */
static void energy_clause(struct resolver *rs, const struct kpl_clause *cl,
                          double *out)
{
    const struct kpl_word *w = cl->words;
    double value = 0;
    if (take_words(rs, &w, cl->span, "energy", NULL) &&
        take_quantity(rs, &w, cl->span, Q_ENERGY, &value) && at_end(rs, w)) {
        *out = value;
    }
}

/* `A x B` */
static bool grid_clause(struct resolver *rs, const struct kpl_word **w,
                        struct kpl_span at, int64_t *rows, int64_t *cols)
{
    return take_count(rs, w, at, 1 << 16, rows) &&
           take_words(rs, w, at, "x", NULL) &&
           take_count(rs, w, at, 1 << 16, cols);
}

static void prop_word(struct resolver *rs, struct kpl_arch *a,
                      const struct kpl_prop *p)
{
    const struct kpl_word *w = p->clauses->words;
    double bits = 0;
    if (take_quantity(rs, &w, p->span, Q_SIZE, &bits) && at_end(rs, w)) {
        double b = bits * 8;
        if (b < 1 || b > 64 || b != floor(b)) {
            kpl_error(rs->diags, "value", p->clauses->span,
                      "a word must be 1 to 64 bits, not %g", b);
        } else {
            a->word_bits = (int64_t)b;
        }
    }
}

static void prop_dram(struct resolver *rs, struct kpl_arch *a,
                      const struct kpl_prop *p)
{
    for (const struct kpl_clause *cl = p->clauses; cl; cl = cl->next) {
        const struct kpl_word *w = cl->words;
        if (word_is(w, "corners") || word_is(w, "edges") ||
            word_is(w, "stacked")) {
            a->dram_place = word_is(w, "corners") ? KPL_DRAM_CORNERS
                            : word_is(w, "edges") ? KPL_DRAM_EDGES
                                                  : KPL_DRAM_STACKED;
            at_end(rs, w->next);
        } else if (word_is(w, "bandwidth")) {
            w = w->next;
            if (word_is(w, "unlimited")) {
                a->dram_bw = 0;
                at_end(rs, w->next);
            } else if (take_quantity(rs, &w, cl->span, Q_BANDWIDTH,
                                     &a->dram_bw)) {
                at_end(rs, w);
            }
        } else if (word_is(w, "energy")) {
            energy_clause(rs, cl, &a->e_dram);
        } else {
            kpl_error(rs->diags, "syntax", cl->span,
                      "expected 'corners', 'edges', 'stacked', "
                      "'bandwidth ...' or 'energy ...'");
        }
    }
}

/* `SIZE per WHAT, energy E` for gbuf (per node) and regf (per pe). */
static void prop_buffer(struct resolver *rs, const struct kpl_prop *p,
                        const char *per, int64_t *bytes, double *energy)
{
    for (const struct kpl_clause *cl = p->clauses; cl; cl = cl->next) {
        const struct kpl_word *w = cl->words;
        if (word_is(w, "energy")) {
            energy_clause(rs, cl, energy);
            continue;
        }
        double size = 0;
        if (!take_quantity(rs, &w, cl->span, Q_SIZE, &size) ||
            !take_words(rs, &w, cl->span, "per", per) || !at_end(rs, w)) {
            continue;
        }
        if (size < 1 || size > 1e15 || size != floor(size)) {
            kpl_error(rs->diags, "value", cl->span,
                      "a buffer must be a whole number of bytes from 1 B "
                      "to 1e15 B");
            continue;
        }
        *bytes = (int64_t)size;
    }
}

static void prop_pes(struct resolver *rs, struct kpl_arch *a,
                     const struct kpl_prop *p)
{
    for (const struct kpl_clause *cl = p->clauses; cl; cl = cl->next) {
        const struct kpl_word *w = cl->words;
        if (word_is(w, "rowstationary") || word_is(w, "systolic")) {
            a->pe_style = word_is(w, "systolic") ? KPL_PE_SYSTOLIC
                                                 : KPL_PE_ROWSTATIONARY;
            at_end(rs, w->next);
            continue;
        }
        /* A grid starts with a number, or a name followed by 'x'. */
        if (w->kind == KPL_WORD_IDENT && !word_is(w->next, "x")) {
            kpl_error(rs->diags, "unknown-name", w->span,
                      "unknown dataflow '%s'; expected rowstationary or "
                      "systolic", w->text);
            continue;
        }
        if (grid_clause(rs, &w, cl->span, &a->pe_rows, &a->pe_cols) &&
            take_words(rs, &w, cl->span, "per", "node")) {
            at_end(rs, w);
        }
    }
}

static void prop_bus(struct resolver *rs, struct kpl_arch *a,
                     const struct kpl_prop *p)
{
    for (const struct kpl_clause *cl = p->clauses; cl; cl = cl->next) {
        const struct kpl_word *w = cl->words;
        double bytes = 0;
        if (word_is(w, "energy")) {
            energy_clause(rs, cl, &a->e_bus);
        } else if (word_is(w, "unlimited")) {
            a->bus_bits = 0;
            at_end(rs, w->next);
        } else if (take_quantity(rs, &w, cl->span, Q_SIZE, &bytes) &&
                   at_end(rs, w)) {
            a->bus_bits = (int64_t)llround(bytes * 8);
            if (a->bus_bits < 1) {
                kpl_error(rs->diags, "value", cl->span,
                          "the bus must carry at least one bit");
            }
        }
    }
}

static void prop_static(struct resolver *rs, struct kpl_arch *a,
                        const struct kpl_prop *p)
{
    const struct kpl_word *w = p->clauses->words;
    double e = 0;
    if (take_quantity(rs, &w, p->span, Q_ENERGY, &e) &&
        take_words(rs, &w, p->span, "per", "cycle") && at_end(rs, w)) {
        a->static_pj_per_cycle = e;
    }
}

static void prop_frequency(struct resolver *rs, struct kpl_arch *a,
                           const struct kpl_prop *p)
{
    const struct kpl_word *w = p->clauses->words;
    double f = 0;
    if (take_quantity(rs, &w, p->span, Q_FREQUENCY, &f) && at_end(rs, w)) {
        a->freq_mhz = f;
    }
}

enum prop_key {
    P_WORD, P_NODES, P_DRAM, P_GBUF, P_PES, P_BUS, P_REGF, P_HOP, P_MAC,
    P_STATIC, P_FREQUENCY, P_COUNT
};

static const char *const prop_names[P_COUNT] = {
    "word", "nodes", "dram", "gbuf", "pes", "bus", "regf", "hop", "mac",
    "static", "frequency",
};

static void resolve_prop(struct resolver *rs, struct kpl_arch *a,
                         enum prop_key key, const struct kpl_prop *p)
{
    const struct kpl_word *w = p->clauses->words;
    switch (key) {
    case P_WORD:
        prop_word(rs, a, p);
        break;
    case P_NODES:
        if (grid_clause(rs, &w, p->span, &a->node_rows, &a->node_cols)) {
            at_end(rs, w);
        }
        break;
    case P_DRAM:
        prop_dram(rs, a, p);
        break;
    case P_GBUF:
        prop_buffer(rs, p, "node", &a->gbuf_bytes, &a->e_gbuf);
        break;
    case P_PES:
        prop_pes(rs, a, p);
        break;
    case P_BUS:
        prop_bus(rs, a, p);
        break;
    case P_REGF:
        prop_buffer(rs, p, "pe", &a->regf_bytes, &a->e_regf);
        break;
    case P_HOP:
        energy_clause(rs, p->clauses, &a->e_hop);
        break;
    case P_MAC:
        energy_clause(rs, p->clauses, &a->e_mac);
        break;
    case P_STATIC:
        prop_static(rs, a, p);
        break;
    case P_FREQUENCY:
        prop_frequency(rs, a, p);
        break;
    case P_COUNT:
        break;
    }
}

static void check_required(struct resolver *rs, const struct kpl_arch *a,
                           const bool *seen)
{
    static const enum prop_key required[] = {P_NODES, P_GBUF, P_PES, P_REGF};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!seen[required[i]]) {
            kpl_error(rs->diags, "missing", a->span,
                      "arch '%s' does not say '%s'", a->name,
                      prop_names[required[i]]);
        }
    }
    if (a->gbuf_bytes > 0 && kpl_arch_words(a, KPL_LEVEL_GBUF) < 1) {
        kpl_error(rs->diags, "value", a->span,
                  "the gbuf of arch '%s' holds no whole word", a->name);
    }
    if (a->regf_bytes > 0 && kpl_arch_words(a, KPL_LEVEL_REGF) < 1) {
        kpl_error(rs->diags, "value", a->span,
                  "the regf of arch '%s' holds no whole word", a->name);
    }
}

struct kpl_arch *resolve_arch(struct resolver *rs,
                              const struct kpl_ast_arch *ast)
{
    struct kpl_arch *a = kpl_arena_alloc(rs->arena, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    a->name = ast->name;
    a->span = ast->name_span;
    a->word_bits = 16;
    a->dram_place = KPL_DRAM_CORNERS;

    bool seen[P_COUNT] = {false};
    int errors_before = rs->diags->nerrors;
    for (const struct kpl_prop *p = ast->props; p; p = p->next) {
        int key = -1;
        for (int k = 0; k < P_COUNT; k++) {
            if (strcmp(p->key, prop_names[k]) == 0) {
                key = k;
            }
        }
        if (key < 0) {
            kpl_error(rs->diags, "unknown-name", p->key_span,
                      "unknown arch property '%s'", p->key);
            continue;
        }
        if (seen[key]) {
            kpl_error(rs->diags, "duplicate", p->key_span,
                      "arch property '%s' given twice", p->key);
            continue;
        }
        seen[key] = true;
        if (p->clauses == NULL || p->clauses->words == NULL) {
            kpl_error(rs->diags, "value", p->span,
                      "arch property '%s' needs a value", p->key);
            continue;
        }
        resolve_prop(rs, a, (enum prop_key)key, p);
    }
    check_required(rs, a, seen);
    return rs->diags->nerrors == errors_before ? a : NULL;
}
