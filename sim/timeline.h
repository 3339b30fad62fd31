/*
 * xmm-sim - timelines: a frame's (or a domain's) history as one event per
 * line, each with its tick, step and scenario line, in the one naming
 * scheme of reports (d1, nic0, SP 0x8001, xen, park, free).  Used by run
 * failures, `show:`, `explain` and `plot`.
 */
#ifndef XMM_SIM_TIMELINE_H
#define XMM_SIM_TIMELINE_H

#include <glib.h>
#include <stdint.h>

#include <xmm/xmm.h>

/* Scenario line of each step (index: step number; 0 = world setup). */
struct sim_lines {
    GArray *line; /* uint32_t */
};

void sim_lines_init(struct sim_lines *l);
void sim_lines_set(struct sim_lines *l, size_t step, uint32_t line);
uint32_t sim_lines_get(const struct sim_lines *l, size_t step);
void sim_lines_free(struct sim_lines *l);

/* One event in words, devices by their id: "DMA write by device nic0". */
void sim_event_text(const struct xmm_world *w, const struct xmm_event *ev, GString *out);
/* "tick 0, step 3, line 12: allocated to d1" */
void sim_event_line(const struct xmm_world *w, const struct sim_lines *l,
                    const struct xmm_event *ev, GString *out);

/*
 * The history of a frame as lines appended to `out` (g_free'd strings):
 * a heading "history of mfn 0x40123 (oldest first):", then "  tick ..., step
 * ..., line ...: EVENT" per event (at most max_events, the newest), or
 * "  no events recorded".
 */
void sim_frame_timeline(const struct xmm_world *w, const struct sim_lines *l, xmm_mfn_t mfn,
                        size_t max_events, GPtrArray *out);

#endif /* XMM_SIM_TIMELINE_H */
