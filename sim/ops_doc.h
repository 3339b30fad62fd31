/*
 * xmm-sim - the op reference generated from the op table, and the check
 * that docs/scenario-format.md carries the same text.
 */
#ifndef XMM_SIM_OPS_DOC_H
#define XMM_SIM_OPS_DOC_H

#include <stdbool.h>
#include <glib.h>
#include <stdio.h>

#define SIM_DOC_BEGIN "<!-- BEGIN xmm-sim ops"
#define SIM_DOC_END "<!-- END xmm-sim ops -->"

struct sim_op;

/* One op's reference as markdown (g_free it). */
char *sim_ops_op_markdown(const struct sim_op *op);
/* The ops and policy knobs as roff sections of xmm-sim(1) (g_free it). */
char *sim_ops_man(void);
/* Append t as roff text (escaped; drop_backquotes: markdown code marks go). */
void sim_roff(GString *s, const char *t, bool drop_backquotes);

/* The reference as markdown (g_free it). */
char *sim_ops_markdown(void);

/*
 * Compare the section between the markers of `path` with the generated
 * text; with `update`, rewrite it.  Return: 0 in step (or updated), 1 out
 * of date, 2 unreadable file or missing markers.  Messages go to err.
 */
int sim_ops_doc_sync(const char *path, bool update, FILE *err);

#endif /* XMM_SIM_OPS_DOC_H */
