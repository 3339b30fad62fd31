/*
 * xmm-sim - a compiled scenario written back as YAML (canonical form).
 * load(write(sc)) is sc again, which the tests check for every scenario;
 * generators and shrinkers emit their traces through this.
 */
#ifndef XMM_SIM_WRITE_H
#define XMM_SIM_WRITE_H

#include <glib.h>

#include "scenario.h"

/* The scenario as YAML text (g_free it). */
char *sim_scenario_to_yaml(const struct sim_scenario *sc);

/*
 * The same in pieces, for a writer that streams a long trace (gen): the
 * header (name ... expect, then "steps:" or, when sc->step_count is 0,
 * "steps: []"), then one step at a time.  A step comes out as one line
 * "  - OP: {KEY: VALUE, ...}" plus "    as: / expect: / note:" lines: the
 * shape xmm-sim's line reader takes (docs/scenario-format.md, "Size"),
 * unless it holds a quoted string (a note, a device id, a file name).
 * sc->vars names the variables the steps use.
 */
void sim_header_to_yaml(const struct sim_scenario *sc, GString *s);
void sim_step_to_yaml(const struct sim_scenario *sc, const struct sim_step *st, GString *s);

#endif /* XMM_SIM_WRITE_H */
