/*
 * xmm-sim - the allocation-failure sweep (run --fail-alloc-sweep, sweep.c).
 */
#ifndef XMM_SIM_SWEEP_H
#define XMM_SIM_SWEEP_H

#include <stdio.h>

#include "run.h"
#include "scenario.h"

/*
 * Sweep every allocation of each scenario (transient, then sticky); print
 * per scenario the allocation points and each problem, then the totals.
 * Return: 0, or 1 if any problem was found.
 */
int sim_sweep_alloc(const struct sim_scenario *const *sc, size_t count,
                    const struct sim_run_opts *opts, FILE *out);

#endif /* XMM_SIM_SWEEP_H */
