/*
 * xmm-sim - a compiled scenario written back as YAML (canonical form).
 * load(write(sc)) is sc again, which the tests check for every scenario;
 * generators and shrinkers emit their traces through this.
 */
#ifndef XMM_SIM_WRITE_H
#define XMM_SIM_WRITE_H

#include "scenario.h"

/* The scenario as YAML text (g_free it). */
char *sim_scenario_to_yaml(const struct sim_scenario *sc);

#endif /* XMM_SIM_WRITE_H */
