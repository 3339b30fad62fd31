/*
 * xmm-sim - a YAML document as a small tree with source marks.
 *
 * libyaml's own document API loses the distinction between an alias and
 * the node it names and will happily build a cycle (`&a [*a]`); this builder
 * reads the event stream instead, so it can bound the depth and the node
 * count, reject a second document at its `---`, and keep a 1-based
 * line/column on every node for FILE:LINE:COL messages.
 *
 * An alias is a node of its own, marked where the alias is written, that
 * shares the content of its anchor (registered only once the anchored node
 * is complete, so no cycle can be built).  Nodes are owned by the
 * document, never by their parents.
 */
#ifndef XMM_SIM_YTREE_H
#define XMM_SIM_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bounds on what a scenario file may contain. */
#define YT_MAX_FILE_BYTES (8u << 20)
#define YT_MAX_DEPTH 64u
#define YT_MAX_NODES 1000000u    /* kept in memory at once */
#define YT_MAX_ITEM_NODES 65536u /* in one streamed step */
#define YT_MAX_SCALAR_BYTES (1u << 20) /* one scalar (names, notes, descriptions) */

enum yt_kind { YT_SCALAR = 0, YT_SEQ, YT_MAP };

struct yt_node {
    enum yt_kind kind;
    uint32_t line, col; /* 1-based, where the node starts */
    bool plain;         /* scalar written without quotes or block style */
    char *value;        /* scalar text, NUL-terminated */
    /* SEQ: items[0..count-1]; MAP: items[2i] = key, items[2i+1] = value */
    struct yt_node **items;
    size_t count;       /* SEQ: items; MAP: pairs */
    size_t cap;
    bool alias;         /* a use of an anchor: shares value/items with it, own mark */
};

struct yt_doc {
    struct yt_node *root; /* NULL for an empty stream */
    void *nodes;          /* GPtrArray owning every node */
    size_t items;         /* yt_stream: items of `steps` handed over */
    const char *raw;      /* yt_stream_fast, while item_fn runs: the item's lines */
    size_t raw_len;
};

struct yt_error {
    uint32_t line, col;
    char msg[256];
};

/*
 * Parse one YAML document from buf[0..len).  Return: 0 with *doc filled
 * (free with yt_free), or -1 with *err set: a syntax error at libyaml's
 * mark, a second document, an unknown alias, a bound exceeded.
 */
int yt_load(const char *buf, size_t len, struct yt_doc *doc, struct yt_error *err);

/*
 * Streaming: called with each complete item of the top-level `steps`
 * sequence, in order (index from 0).  The item's nodes are freed when it
 * returns (unless it holds an anchor); return false to stop reading.
 */
typedef bool (*yt_item_fn)(void *ctx, const struct yt_node *item, size_t index);

/*
 * Parse one YAML document from f like yt_load, with no size bound, but
 * hand the items of the top-level `steps` sequence to fn one by one instead
 * of keeping them: the `steps` node stays an empty sequence in *doc.  While
 * fn runs, doc->root is the part of the document read so far (an open
 * mapping's count is its number of keys and values, not pairs).  *stopped
 * tells whether fn stopped the read.
 */
int yt_stream(FILE *f, yt_item_fn fn, void *ctx, struct yt_doc *doc, struct yt_error *err,
              bool *stopped);

/*
 * yt_stream_fast offers each step's text first to raw_fn (its lines as
 * read, joined by '\n'; line and col of the step mapping): it returns 1
 * when it dealt with the step (a text it has seen before), 2 for the same
 * and stop reading, 0 to have it parsed and handed to item_fn, during which
 * doc->raw holds the same text.
 */
typedef int (*yt_raw_fn)(void *ctx, const char *raw, size_t len, uint32_t line, uint32_t col);

/*
 * yt_stream for the common shape of a long trace, without libyaml for the
 * steps: the file up to a line "steps:" is read by libyaml, then each step
 * must be one line "- OP: {KEY: SCALAR, ...}" or "- OP: SCALAR" (same
 * indent for all), optionally followed by "KEY: SCALAR" lines indented two
 * more, with plain scalars of letters, digits, _ and $ (blank and comment
 * lines are skipped).  The trees handed to fn are the ones yt_stream would
 * build.  Return -1 as soon as the file leaves that shape (items may have
 * been handed over by then): the caller starts again with yt_stream.
 */
int yt_stream_fast(FILE *f, yt_item_fn fn, yt_raw_fn raw_fn, void *ctx, struct yt_doc *doc,
                   bool *stopped);

/* Release every node of the document; safe on a zeroed doc. */
void yt_free(struct yt_doc *doc);

/* Value node of `key` in a mapping, or NULL (first occurrence). */
const struct yt_node *yt_map_get(const struct yt_node *map, const char *key);

/* "a scalar" / "a sequence" / "a mapping", for messages. */
const char *yt_kind_name(const struct yt_node *n);

/* True when n is a plain scalar meaning null ("", "~", "null"). */
bool yt_is_null(const struct yt_node *n);

#endif /* XMM_SIM_YTREE_H */
