/*
 * The validity rules of a resolved scheme (design brief, section 4).
 *
 * Rule ids (stable, used in diagnostics, SARIF and docs):
 *   capacity     a level's tiles exceed its buffer; a pipelined segment's
 *                on-chip data exceeds its region's total GBUF
 *   fan-out      stacks ask for more PEs or nodes than there are; a region
 *                lies outside the mesh; regions of a segment overlap
 *   coverage     some iteration point is computed twice, or never (not
 *                counted for a level whose copies do not fit: fan-out)
 *   containment  a REGF tile exceeds the GBUF tile of its tensor; an ifm
 *                tile is smaller than the window its ofm tile needs
 *   segment      a layer is in no segment or in two; segments out of
 *                topological order; pipelined neighbours disagree
 */
#ifndef KPL_CHECKER_CHECK_H
#define KPL_CHECKER_CHECK_H

#include "base/diag.h"
#include "checker/ir.h"

/* Runs every rule; returns the number of errors it added. */
int kpl_check_scheme(const struct kpl_scheme *scheme,
                     struct kpl_diags *diags);

/*
 * The segment rules alone: membership, topological order and the
 * segment-level capacity (the prover runs these by arithmetic, since they
 * involve no iteration index).
 */
int kpl_check_segments(const struct kpl_scheme *scheme,
                       struct kpl_diags *diags);

/* The rules for one layer's mapping alone (used by the solver too). */
int kpl_check_layer(const struct kpl_scheme *scheme, int layer,
                    const struct kpl_region *region,
                    struct kpl_diags *diags);

#endif
