/*
 * xmm-sim - timelines (see timeline.h).
 */
#include "timeline.h"

#include <inttypes.h>

void sim_lines_init(struct sim_lines *l) { l->line = g_array_new(FALSE, TRUE, sizeof(uint32_t)); }

void sim_lines_set(struct sim_lines *l, size_t step, uint32_t line)
{
    if (l->line->len <= step)
        g_array_set_size(l->line, (guint)step + 1);
    g_array_index(l->line, uint32_t, step) = line;
}

uint32_t sim_lines_get(const struct sim_lines *l, size_t step)
{
    return l && l->line && step < l->line->len ? g_array_index(l->line, uint32_t, step) : 0;
}

void sim_lines_free(struct sim_lines *l)
{
    if (l->line)
        g_array_free(l->line, TRUE);
    l->line = NULL;
}

void sim_event_text(const struct xmm_world *w, const struct xmm_event *ev, GString *out)
{
    char buf[200];

    xmm_event_describe_in(w, ev, buf, sizeof(buf));
    g_string_append(out, buf);
}

void sim_event_line(const struct xmm_world *w, const struct sim_lines *l,
                    const struct xmm_event *ev, GString *out)
{
    g_string_append_printf(out, "tick %" PRIu64 ", step %" PRIu32, ev->tick, ev->step);
    if (ev->step && sim_lines_get(l, ev->step))
        g_string_append_printf(out, ", line %" PRIu32, sim_lines_get(l, ev->step));
    else if (!ev->step)
        g_string_append(out, " (setup)");
    g_string_append(out, ": ");
    sim_event_text(w, ev, out);
}

void sim_frame_timeline(const struct xmm_world *w, const struct sim_lines *l, xmm_mfn_t mfn,
                        size_t max_events, GPtrArray *out)
{
    struct xmm_event *ev = g_new(struct xmm_event, max_events + 1);
    size_t n = xmm_history_frame(w, mfn, ev, max_events + 1), i;

    g_ptr_array_add(out, g_strdup_printf("history of mfn 0x%" PRIx64 " (oldest first):",
                                         xmm_mfn_x(mfn)));
    if (n == 0)
        g_ptr_array_add(out, g_strdup("  no events recorded"));
    if (n > max_events) {
        g_ptr_array_add(out, g_strdup("  ... (older events not shown)"));
        n = max_events;
    }
    for (i = n; i-- > 0;) {
        GString *s = g_string_new("  ");

        sim_event_line(w, l, &ev[i], s);
        g_ptr_array_add(out, g_string_free(s, FALSE));
    }
    g_free(ev);
}
