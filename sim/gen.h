/*
 * xmm-sim - trace generation, fuzzing and shrinking (xmm-sim gen, fuzz,
 * shrink; docs/fuzzing.md).
 *
 * The generator draws a world and steps from the op table and runs each
 * step on a live world as it goes, so every return code it records is the
 * model's own answer, and it stops at the first invariant violation.  It
 * can run without recording anything (the fuzz hot path) and, for the
 * same options, record the identical trace as a struct sim_scenario.
 */
#ifndef XMM_SIM_GEN_H
#define XMM_SIM_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

enum sim_profile {
    SIM_PROF_LIFECYCLE = 0,
    SIM_PROF_GRANTS,
    SIM_PROF_FFA,
    SIM_PROF_IOMMU,
    SIM_PROF_SAFERANGE,
    SIM_PROF_MPU,
    SIM_PROF_MIXED,
    SIM_PROF_COUNT
};

/* Profile names in enum order, NULL-terminated. */
extern const char *const sim_profile_names[];

/* Which canary (planted bug) the run enables; 0 = none (tests only). */
struct sim_gen_opts {
    uint64_t seed;
    size_t steps;
    enum sim_profile profile;
    struct xmm_policy policy;     /* knobs given with --policy */
    uint32_t policy_set;          /* bit i: knob i of sim_policy_knobs was given */
    const struct sim_world_cfg *world; /* --world: use this world, or NULL to draw one */
};

struct sim_gen_result {
    bool violated;
    enum xmm_invariant inv;
    size_t steps_run;             /* steps executed (the violating one included) */
    uint64_t ops_seen;            /* bit i: sim_ops[i] was executed */
    struct sim_scenario *sc;      /* recorded trace (record = true), or NULL */
};

/*
 * Generate and run one trace.  With `record`, res->sc is the scenario
 * (free with sim_scenario_free): its rcs are what the model returned, and
 * it ends at the violating step with expect: {violation} when one broke.
 * Return: 0, or -1 when the world could not be built.
 */
int sim_gen_run(const struct sim_gen_opts *o, bool record, struct sim_gen_result *res);

/* Deep copy of a world description (its arrays and strings). */
void sim_world_cfg_copy(struct sim_world_cfg *dst, const struct sim_world_cfg *src);

/* Steps whose violation shrink keeps, and what it reports. */
struct sim_shrink_stats {
    size_t steps_before, steps_after;
    size_t runs;                  /* candidate runs tried */
};

/*
 * Run sc and say whether it ends in violation `inv` (any step rc accepted).
 * *steps_run: steps executed before it (0 when not violated).
 */
bool sim_shrink_fails(const struct sim_scenario *sc, enum xmm_invariant inv, size_t *steps_run);

/*
 * Shrink a scenario that ends in a violation: returns a new scenario that
 * fails with the same invariant (expect: {violation}, rcs recorded as the
 * model answers them), or NULL when sc does not end in a violation.
 * *inv_out: the invariant kept.
 */
struct sim_scenario *sim_shrink(const struct sim_scenario *sc, enum xmm_invariant *inv_out,
                                struct sim_shrink_stats *st);

/* Subcommands (sim/gen_cli.c). */
int sim_cmd_gen(int argc, char **argv);
int sim_cmd_fuzz(int argc, char **argv);
int sim_cmd_shrink(int argc, char **argv);
int sim_cmd_export_c(int argc, char **argv); /* sim/export_c.c */

#endif /* XMM_SIM_GEN_H */
