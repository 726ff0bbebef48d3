/*
 * The proof as JSON: one object per obligation with its verdict, time,
 * counterexample and notes (schema in docs/prove.md).
 */
#include "smt/prove.h"

#include "base/render.h"

static const char *verdict_name(enum kpl_verdict verdict)
{
    switch (verdict) {
    case KPL_VERDICT_PROVED:
        return "proved";
    case KPL_VERDICT_VIOLATED:
        return "violated";
    case KPL_VERDICT_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

static void json_location(struct kpl_diags *diags, struct kpl_span span,
                          const char *base_dir, struct kpl_buf *out)
{
    struct kpl_buf members;
    kpl_buf_init(&members);
    if (kpl_render_json_span(diags, span, base_dir, &members) &&
        members.data != NULL) {
        /* Members come with a leading ", ". */
        kpl_buf_puts(out, "{");
        kpl_buf_append(out, members.data + 2, members.len - 2);
        kpl_buf_puts(out, "}");
    } else {
        kpl_buf_puts(out, "null");
    }
    kpl_buf_free(&members);
}

static void json_placement(struct kpl_diags *diags,
                           const struct kpl_cex_index *ix, int n,
                           const char *base_dir, struct kpl_buf *out)
{
    kpl_buf_puts(out, "[");
    for (int k = 0; k < n; k++) {
        kpl_buf_printf(out,
                       "%s{\"level\": \"%s\", \"loop\": \"%s %d\", "
                       "\"index\": %lld, \"count\": %lld",
                       k > 0 ? ", " : "", kpl_level_names[ix[k].level],
                       ix[k].is_stack ? "stack" : "update", ix[k].loop + 1,
                       (long long)ix[k].index, (long long)ix[k].count);
        kpl_render_json_span(diags, ix[k].span, base_dir, out);
        kpl_buf_puts(out, "}");
    }
    kpl_buf_puts(out, "]");
}

static void json_point(const struct kpl_counterexample *cex,
                       struct kpl_buf *out)
{
    kpl_buf_puts(out, "{");
    int k = 0;
    for (int d = 0; d < KPL_DIM_COUNT; d++) {
        if (cex->point_dims & KPL_DIM_BIT(d)) {
            kpl_buf_printf(out, "%s\"%s\": %lld", k++ > 0 ? ", " : "",
                           kpl_dim_names[d], (long long)cex->point[d]);
        }
    }
    kpl_buf_puts(out, "}");
}

static void json_numbers(const struct kpl_obligation *ob, struct kpl_buf *out)
{
    const struct kpl_counterexample *cex = &ob->cex;
    switch (ob->kind) {
    case KPL_OBL_CAPACITY:
        kpl_buf_printf(out,
                       ", \"words\": %lld, \"limit\": %lld, \"bytes\": %lld, "
                       "\"limit_bytes\": %lld",
                       (long long)cex->words, (long long)cex->limit,
                       (long long)cex->bytes, (long long)cex->limit_bytes);
        break;
    case KPL_OBL_FANOUT:
        kpl_buf_printf(out, ", \"copies\": %lld, \"limit\": %lld",
                       (long long)cex->words, (long long)cex->limit);
        break;
    case KPL_OBL_EXTENTS:
    case KPL_OBL_WINDOW:
        kpl_buf_printf(out, ", \"value\": %lld, \"bound\": %lld",
                       (long long)cex->value, (long long)cex->bound);
        break;
    case KPL_OBL_MESH:
    case KPL_OBL_DISJOINT:
        kpl_buf_printf(out, ", \"node\": {\"row\": %lld, \"col\": %lld}",
                       (long long)cex->node_row, (long long)cex->node_col);
        break;
    case KPL_OBL_GAP:
    case KPL_OBL_OVERLAP:
    case KPL_OBL_SEGMENT:
    case KPL_OBL_KIND_COUNT:
        break;
    }
}

static void json_cex(const struct kpl_proof *proof, struct kpl_diags *diags,
                     const struct kpl_obligation *ob, const char *base_dir,
                     struct kpl_buf *out)
{
    const struct kpl_counterexample *cex = &ob->cex;
    kpl_buf_puts(out, "{\"tensor\": ");
    kpl_render_json_string(out, cex->tensor >= 0
                                    ? kpl_tensor_names[cex->tensor]
                                    : NULL);
    kpl_buf_puts(out, ", \"dim\": ");
    kpl_render_json_string(out, cex->dim >= 0 ? kpl_dim_names[cex->dim]
                                              : NULL);
    kpl_buf_puts(out, ", \"point\": ");
    json_point(cex, out);
    kpl_buf_puts(out, ", \"outer\": ");
    json_placement(diags, cex->outer, cex->nouter, base_dir, out);
    kpl_buf_puts(out, ", \"placements\": [");
    for (int i = 0; i < cex->nplacement; i++) {
        kpl_buf_puts(out, i > 0 ? ", " : "");
        json_placement(diags, cex->index[i], cex->nindex[i], base_dir, out);
    }
    kpl_buf_puts(out, "]");
    json_numbers(ob, out);
    if (cex->other_layer >= 0) {
        kpl_buf_puts(out, ", \"other_layer\": ");
        kpl_render_json_string(
            out, proof->scheme->net->layers[cex->other_layer].name);
    }
    kpl_buf_puts(out, ", \"params\": {");
    for (int i = 0; i < cex->nparam; i++) {
        kpl_buf_puts(out, i > 0 ? ", " : "");
        kpl_render_json_string(out, cex->params[i].name);
        kpl_buf_printf(out, ": %lld", (long long)cex->params[i].value);
    }
    kpl_buf_puts(out, "}}");
}

static void json_obligation(const struct kpl_proof *proof,
                            struct kpl_diags *diags,
                            const struct kpl_obligation *ob,
                            const char *base_dir, struct kpl_buf *out)
{
    kpl_buf_puts(out, "    {\"kind\": ");
    kpl_render_json_string(out, kpl_obligation_kind_name(ob->kind));
    kpl_buf_puts(out, ", \"rule\": ");
    kpl_render_json_string(out, ob->rule);
    kpl_buf_puts(out, ", \"layer\": ");
    kpl_render_json_string(out, ob->layer_name);
    kpl_buf_puts(out, ", \"level\": ");
    kpl_render_json_string(out, ob->level >= 0 ? kpl_level_names[ob->level]
                                               : NULL);
    if (ob->segment >= 0) {
        kpl_buf_printf(out, ", \"segment\": %d", ob->segment + 1);
    } else {
        kpl_buf_puts(out, ", \"segment\": null");
    }
    kpl_buf_puts(out, ", \"verdict\": ");
    kpl_render_json_string(out, verdict_name(ob->verdict));
    kpl_buf_printf(out, ", \"seconds\": %.6f, \"message\": ", ob->seconds);
    kpl_render_json_string(out, ob->message);
    kpl_buf_puts(out, ", \"reason\": ");
    kpl_render_json_string(out, ob->reason);
    kpl_buf_puts(out, ", \"location\": ");
    json_location(diags, ob->span, base_dir, out);
    kpl_buf_puts(out, ", \"counterexample\": ");
    if (ob->has_cex) {
        json_cex(proof, diags, ob, base_dir, out);
    } else {
        kpl_buf_puts(out, "null");
    }
    kpl_buf_puts(out, ", \"notes\": [");
    const struct kpl_note *n = ob->diag != NULL ? ob->diag->notes : NULL;
    for (; n != NULL; n = n->next) {
        kpl_buf_puts(out, "{\"message\": ");
        kpl_render_json_string(out, n->message);
        kpl_render_json_span(diags, n->span, base_dir, out);
        kpl_buf_puts(out, n->next != NULL ? "}, " : "}");
    }
    kpl_buf_puts(out, "]}");
}

void kpl_proof_render_json(const struct kpl_proof *proof,
                           struct kpl_diags *diags, const char *base_dir,
                           struct kpl_buf *out)
{
    enum kpl_verdict overall = KPL_VERDICT_PROVED;
    if (proof->violated > 0) {
        overall = KPL_VERDICT_VIOLATED;
    } else if (proof->unknown > 0) {
        overall = KPL_VERDICT_UNKNOWN;
    }
    kpl_buf_puts(out, "{\n  \"version\": 1,\n  \"scheme\": ");
    kpl_render_json_string(out, proof->scheme != NULL ? proof->scheme->name
                                                      : NULL);
    kpl_buf_puts(out, ",\n  \"verdict\": ");
    kpl_render_json_string(out, verdict_name(overall));
    kpl_buf_printf(out,
                   ",\n  \"proved\": %d,\n  \"violated\": %d,\n"
                   "  \"unknown\": %d,\n  \"seconds\": %.6f,\n"
                   "  \"obligations\": [",
                   proof->proved, proof->violated, proof->unknown,
                   proof->seconds);
    for (int i = 0; i < proof->count; i++) {
        kpl_buf_puts(out, "\n");
        json_obligation(proof, diags, &proof->obligations[i], base_dir, out);
        kpl_buf_puts(out, i + 1 < proof->count ? "," : "");
    }
    kpl_buf_puts(out, proof->count > 0 ? "\n  ]\n}\n" : "]\n}\n");
}
