/*
 * JSON and SARIF 2.1.0 renderers of a diagnostics sink (see render.h),
 * and the rule table that SARIF's tool.driver.rules lists.
 */
#include "base/render.h"

#include <string.h>

#define SARIF_SCHEMA                                                      \
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/"          \
    "schemas/sarif-schema-2.1.0.json"

#ifndef KPL_VERSION
#define KPL_VERSION "0.0.0"
#endif

struct rule_info {
    const char *id;
    const char *description;
    const char *help;
};

static const struct rule_info rules[] = {
    {"capacity", "tiles exceed a buffer",
     "The tiles a level holds, each divided by its sharing factor, must fit "
     "one buffer of the level (REGF per PE, GBUF per node); a pipelined "
     "segment's on-chip data must fit the GBUF of its region."},
    {"fan-out", "stacks ask for more PEs or nodes than there are",
     "The product of a level's stack counts must fit the PEs of a node "
     "(REGF) or the nodes of the layer's region (GBUF); a region lies "
     "inside the mesh and regions of a spatial segment are disjoint."},
    {"coverage", "an iteration point is computed twice or never",
     "Stacks and updates must compute every iteration point of the "
     "parent's space exactly once, edge tiles and overlapping windows "
     "included."},
    {"containment", "a tile exceeds its parent or misses its window",
     "A tile lies inside the tile of the same tensor one level out (or the "
     "layer), and the ifm tile holds the input window its ofm tile needs: "
     "Xi >= (Xo - 1) * stride + R, likewise Y."},
    {"segment", "segments do not partition the layers in order",
     "Every layer is in exactly one segment, segments follow the "
     "topological order, and pipelined neighbours agree on their shared "
     "tensor."},
    {"prove-unknown", "the prover could not decide an obligation",
     "Z3 gave up (timeout or resource limit) before proving or refuting "
     "the obligation; it is not proved.  Raise the timeout or simplify the "
     "scheme's parameters."},
    {"syntax", "the text does not follow the grammar",
     "See docs/language.md for the grammar."},
    {"lexical", "a character or token is not valid",
     "See docs/language.md for the lexical rules."},
    {"import", "an import cannot be loaded",
     "Imports name a file relative to the importing file or a bundled "
     "network or preset."},
    {"cycle", "imports or layers form a cycle",
     "Imports and the layer graph must be acyclic."},
    {"duplicate", "a name or property is given twice",
     "Names are unique within their scope; properties are set once."},
    {"empty", "a block has nothing in it",
     "Networks need layers, schemes need segments and layer mappings."},
    {"missing", "a required item is missing",
     "A block lacks a property or directive it needs."},
    {"shape", "layer shapes do not agree",
     "Output sizes, windows, strides and padding of a layer must agree "
     "with its producers."},
    {"unit", "a unit is missing or not known",
     "Quantities take the units listed in docs/language.md."},
    {"unknown-dim", "a dimension name is not known",
     "Dimensions are N, C, K, Xo, Yo, R, S, Xi and Yi, and must belong to "
     "the tensor."},
    {"unknown-name", "a name does not resolve",
     "Layers, networks, presets and parameters must be declared."},
    {"value", "a value is out of range",
     "Numbers must be positive where the language asks for it and fit 64 "
     "bits."},
    {"io", "a file cannot be read", "Check the path and permissions."},
    {"solve", "the solver found no valid scheme",
     "No mapping of a layer fits the hardware."},
    {"internal", "kaplac failed internally",
     "An internal failure (out of memory, a Z3 error); please report it."},
};

#define NRULES (sizeof rules / sizeof rules[0])

static const struct rule_info *rule_find(const char *rule)
{
    for (size_t i = 0; rule != NULL && i < NRULES; i++) {
        if (strcmp(rules[i].id, rule) == 0) {
            return &rules[i];
        }
    }
    return NULL;
}

const char *kpl_rule_description(const char *rule)
{
    const struct rule_info *info = rule_find(rule);
    return info != NULL ? info->description : NULL;
}

const char *kpl_rule_help(const char *rule)
{
    const struct rule_info *info = rule_find(rule);
    return info != NULL ? info->help : NULL;
}

const char *kpl_render_relative_path(const char *path, const char *base_dir)
{
    if (path == NULL) {
        return NULL;
    }
    if (base_dir != NULL && base_dir[0] != '\0' && path[0] == '/') {
        size_t n = strlen(base_dir);
        while (n > 1 && base_dir[n - 1] == '/') {
            n--;
        }
        if (strncmp(path, base_dir, n) == 0 && path[n] == '/') {
            path += n + 1;
        }
    }
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
    }
    return path;
}

void kpl_render_json_string(struct kpl_buf *out, const char *text)
{
    if (text == NULL) {
        kpl_buf_puts(out, "null");
        return;
    }
    kpl_buf_puts(out, "\"");
    kpl_buf_json_escape(out, text);
    kpl_buf_puts(out, "\"");
}

static bool has_file(struct kpl_span span)
{
    return span.src != NULL && span.src->path != NULL &&
           span.src->path[0] != '<';
}

/* 1-based line and column of the start and (exclusive) end of a span. */
static void locate(struct kpl_diags *diags, struct kpl_span span,
                   size_t pos[4])
{
    struct kpl_source *src = (struct kpl_source *)span.src;
    kpl_source_locate(diags->arena, src, span.start, &pos[0], &pos[1]);
    size_t end = span.end > span.start ? span.end : span.start;
    kpl_source_locate(diags->arena, src, end, &pos[2], &pos[3]);
}

bool kpl_render_json_span(struct kpl_diags *diags, struct kpl_span span,
                          const char *base_dir, struct kpl_buf *out)
{
    if (!has_file(span)) {
        return false;
    }
    size_t pos[4];
    locate(diags, span, pos);
    kpl_buf_puts(out, ", \"file\": ");
    kpl_render_json_string(out,
                           kpl_render_relative_path(span.src->path, base_dir));
    kpl_buf_printf(out,
                   ", \"line\": %zu, \"column\": %zu, \"end_line\": %zu, "
                   "\"end_column\": %zu",
                   pos[0], pos[1], pos[2], pos[3]);
    return true;
}

/* ---- JSON ---- */

static void json_note(struct kpl_diags *diags, const struct kpl_note *note,
                      const char *base_dir, struct kpl_buf *out)
{
    kpl_buf_puts(out, "{\"message\": ");
    kpl_render_json_string(out, note->message);
    kpl_render_json_span(diags, note->span, base_dir, out);
    kpl_buf_puts(out, "}");
}

static void json_diag(struct kpl_diags *diags, const struct kpl_diag *d,
                      const char *base_dir, struct kpl_buf *out)
{
    kpl_buf_puts(out, "    {\"severity\": ");
    kpl_render_json_string(out, kpl_severity_name(d->severity));
    kpl_buf_puts(out, ", \"rule\": ");
    kpl_render_json_string(out, d->rule);
    kpl_buf_puts(out, ", \"message\": ");
    kpl_render_json_string(out, d->message);
    kpl_render_json_span(diags, d->span, base_dir, out);
    kpl_buf_puts(out, ", \"notes\": [");
    for (const struct kpl_note *n = d->notes; n != NULL; n = n->next) {
        json_note(diags, n, base_dir, out);
        if (n->next != NULL) {
            kpl_buf_puts(out, ", ");
        }
    }
    kpl_buf_puts(out, "]}");
}

void kpl_diags_render_json(struct kpl_diags *diags, const char *base_dir,
                           struct kpl_buf *out)
{
    kpl_buf_printf(out,
                   "{\n  \"version\": 1,\n  \"errors\": %d,\n"
                   "  \"warnings\": %d,\n  \"dropped\": %d,\n"
                   "  \"diagnostics\": [",
                   diags->nerrors, diags->nwarnings, diags->dropped);
    for (const struct kpl_diag *d = diags->head; d != NULL; d = d->next) {
        kpl_buf_puts(out, "\n");
        json_diag(diags, d, base_dir, out);
        if (d->next != NULL) {
            kpl_buf_puts(out, ",");
        }
    }
    kpl_buf_puts(out, diags->head != NULL ? "\n  ]\n}\n" : "]\n}\n");
}

/* ---- SARIF ---- */

static bool is_absolute(const char *path)
{
    return path[0] == '/';
}

/* RFC 3986: keep unreserved characters and '/', escape the rest. */
static void uri_escape(struct kpl_buf *out, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL;
        if (plain) {
            kpl_buf_append(out, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            kpl_buf_append(out, esc, 3);
        }
    }
}

static void sarif_location(struct kpl_diags *diags, struct kpl_span span,
                           const char *base_dir, struct kpl_buf *out)
{
    size_t pos[4];
    const char *path = kpl_render_relative_path(span.src->path, base_dir);
    locate(diags, span, pos);
    kpl_buf_puts(out, "{\"physicalLocation\": {\"artifactLocation\": "
                      "{\"uri\": \"");
    if (is_absolute(path)) {
        kpl_buf_puts(out, "file://");
    }
    struct kpl_buf escaped;
    kpl_buf_init(&escaped);
    uri_escape(&escaped, path);
    kpl_buf_json_escape(out, escaped.data != NULL ? escaped.data : "");
    kpl_buf_free(&escaped);
    kpl_buf_puts(out, "\"");
    if (!is_absolute(path) && base_dir != NULL && is_absolute(base_dir)) {
        kpl_buf_puts(out, ", \"uriBaseId\": \"SRCROOT\"");
    }
    kpl_buf_printf(out,
                   "}, \"region\": {\"startLine\": %zu, \"startColumn\": %zu, "
                   "\"endLine\": %zu, \"endColumn\": %zu}}}",
                   pos[0], pos[1], pos[2], pos[3]);
}

/* Rules of the known table plus any other id the diagnostics use. */
static int collect_rules(struct kpl_diags *diags, const char **ids, int cap)
{
    int n = 0;
    for (size_t i = 0; i < NRULES && n < cap; i++) {
        ids[n++] = rules[i].id;
    }
    for (const struct kpl_diag *d = diags->head; d != NULL; d = d->next) {
        bool seen = d->rule == NULL;
        for (int i = 0; i < n && !seen; i++) {
            seen = strcmp(ids[i], d->rule) == 0;
        }
        if (!seen && n < cap) {
            ids[n++] = d->rule;
        }
    }
    return n;
}

static int rule_index(const char **ids, int n, const char *rule)
{
    for (int i = 0; i < n && rule != NULL; i++) {
        if (strcmp(ids[i], rule) == 0) {
            return i;
        }
    }
    return -1;
}

static void sarif_rules(const char **ids, int n, struct kpl_buf *out)
{
    kpl_buf_puts(out, "          \"rules\": [");
    for (int i = 0; i < n; i++) {
        const char *desc = kpl_rule_description(ids[i]);
        const char *help = kpl_rule_help(ids[i]);
        kpl_buf_puts(out, i > 0 ? ",\n            {\"id\": "
                                : "\n            {\"id\": ");
        kpl_render_json_string(out, ids[i]);
        kpl_buf_puts(out, ", \"shortDescription\": {\"text\": ");
        kpl_render_json_string(out, desc != NULL ? desc : ids[i]);
        kpl_buf_puts(out, "}, \"help\": {\"text\": ");
        kpl_render_json_string(out, help != NULL ? help : "See docs/.");
        kpl_buf_puts(out, "}}");
    }
    kpl_buf_puts(out, "\n          ]\n");
}

static void sarif_result(struct kpl_diags *diags, const struct kpl_diag *d,
                         int rule, const char *base_dir, struct kpl_buf *out)
{
    kpl_buf_puts(out, "        {\"ruleId\": ");
    kpl_render_json_string(out, d->rule != NULL ? d->rule : "internal");
    if (rule >= 0) {
        kpl_buf_printf(out, ", \"ruleIndex\": %d", rule);
    }
    kpl_buf_puts(out, ", \"level\": ");
    kpl_render_json_string(out, kpl_severity_name(d->severity));
    kpl_buf_puts(out, ", \"message\": {\"text\": ");
    kpl_render_json_string(out, d->message != NULL ? d->message : "");
    kpl_buf_puts(out, "}, \"locations\": [");
    if (has_file(d->span)) {
        sarif_location(diags, d->span, base_dir, out);
    }
    kpl_buf_puts(out, "]");

    int id = 0;
    for (const struct kpl_note *n = d->notes; n != NULL; n = n->next) {
        if (!has_file(n->span)) {
            continue;
        }
        kpl_buf_puts(out, id == 0 ? ", \"relatedLocations\": [" : ", ");
        /* A related location is a location with an id and a message. */
        struct kpl_buf loc;
        kpl_buf_init(&loc);
        sarif_location(diags, n->span, base_dir, &loc);
        kpl_buf_printf(out, "{\"id\": %d, \"message\": {\"text\": ", id++);
        kpl_render_json_string(out, n->message != NULL ? n->message : "");
        /* Splice the location's members after the message. */
        kpl_buf_puts(out, "}, ");
        if (loc.data != NULL) {
            kpl_buf_append(out, loc.data + 1, loc.len - 1);
        }
        kpl_buf_free(&loc);
    }
    if (id > 0) {
        kpl_buf_puts(out, "]");
    }
    kpl_buf_puts(out, "}");
}

void kpl_diags_render_sarif(struct kpl_diags *diags, const char *base_dir,
                            struct kpl_buf *out)
{
    const char *ids[128];
    int nids = collect_rules(diags, ids, 128);

    kpl_buf_puts(out, "{\n  \"version\": \"2.1.0\",\n  \"$schema\": \""
                      SARIF_SCHEMA "\",\n  \"runs\": [\n    {\n"
                      "      \"tool\": {\n        \"driver\": {\n"
                      "          \"name\": \"kaplac\",\n"
                      "          \"version\": \"" KPL_VERSION "\",\n");
    sarif_rules(ids, nids, out);
    kpl_buf_puts(out, "        }\n      },\n");
    if (base_dir != NULL && is_absolute(base_dir)) {
        kpl_buf_puts(out, "      \"originalUriBaseIds\": {\"SRCROOT\": "
                          "{\"uri\": \"file://");
        struct kpl_buf escaped;
        kpl_buf_init(&escaped);
        uri_escape(&escaped, base_dir);
        kpl_buf_json_escape(out, escaped.data != NULL ? escaped.data : "");
        bool slash = escaped.len > 0 && escaped.data[escaped.len - 1] == '/';
        kpl_buf_free(&escaped);
        kpl_buf_puts(out, slash ? "\"}},\n" : "/\"}},\n");
    }
    kpl_buf_puts(out, "      \"columnKind\": \"unicodeCodePoints\",\n"
                      "      \"results\": [");
    for (const struct kpl_diag *d = diags->head; d != NULL; d = d->next) {
        kpl_buf_puts(out, "\n");
        sarif_result(diags, d, rule_index(ids, nids, d->rule), base_dir, out);
        if (d->next != NULL) {
            kpl_buf_puts(out, ",");
        }
    }
    kpl_buf_puts(out, diags->head != NULL ? "\n      ]\n    }\n  ]\n}\n"
                                          : "]\n    }\n  ]\n}\n");
}
