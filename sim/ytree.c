/*
 * xmm-sim - YAML event stream to a marked tree (see ytree.h).
 */
#define _POSIX_C_SOURCE 200809L /* getline */
#include "ytree.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

/* One open collection while its events are read. */
struct yt_frame {
    struct yt_node *node;
    char *anchor; /* registered when the collection ends */
};

struct yt_builder {
    struct yt_doc *doc;
    struct yt_error *err;
    const char *buf;
    struct yt_frame stack[YT_MAX_DEPTH];
    uint32_t depth;
    uint32_t attached; /* nodes and alias uses so far */
    uint32_t documents;
    GHashTable *anchors; /* name -> node (borrowed) */
    uint64_t anchor_sets; /* anchors registered so far */
    bool failed;
    /* streaming of the top-level `steps` items (yt_stream) */
    yt_item_fn item_fn;
    void *item_ctx;
    struct yt_node *steps_seq; /* the open `steps` sequence, or NULL */
    const struct yt_node *streamed; /* the `steps` sequence once closed */
    struct yt_node *item;      /* the item being read, or NULL */
    guint item_mark;           /* nodes->len before the item */
    uint64_t item_anchor_sets;
    uint32_t item_attached;
    size_t items;              /* items streamed so far */
    bool stopped;              /* item_fn asked to stop */
    FILE *file;                /* input for reader-error marks (stream) */
};

/* Record the first error at a 1-based mark; later ones are dropped. */
static void yt_fail(struct yt_builder *b, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;

    if (b->failed)
        return;
    b->failed = true;
    b->err->line = line;
    b->err->col = col;
    va_start(ap, fmt);
    vsnprintf(b->err->msg, sizeof(b->err->msg), fmt, ap);
    va_end(ap);
}

/* Free one node (the document's pointer array calls this). */
static void yt_node_free(gpointer p)
{
    struct yt_node *n = p;

    if (!n->alias) {
        g_free(n->value);
        g_free(n->items);
    }
    g_free(n);
}

/* A new node owned by the document, marked at libyaml's 0-based mark. */
static struct yt_node *yt_node_new(struct yt_builder *b, enum yt_kind kind, yaml_mark_t mark)
{
    struct yt_node *n = g_new0(struct yt_node, 1);

    n->kind = kind;
    n->line = (uint32_t)mark.line + 1;
    n->col = (uint32_t)mark.column + 1;
    g_ptr_array_add(b->doc->nodes, n);
    return n;
}

/*
 * Hang a node (new or aliased) under the innermost open collection, or make
 * it the root.  Mapping items are stored key, value, key, value ...; the
 * pair count is fixed up when the mapping ends.
 */
static void yt_attach(struct yt_builder *b, struct yt_node *n, yaml_mark_t mark)
{
    struct yt_node *parent;

    if (b->item) {
        /* inside a streamed step: a per-item bound, and one on what is kept */
        if (++b->item_attached > YT_MAX_ITEM_NODES)
            yt_fail(b, (uint32_t)mark.line + 1, (uint32_t)mark.column + 1,
                    "step too large (more than %u nodes)", YT_MAX_ITEM_NODES);
        else if (((GPtrArray *)b->doc->nodes)->len > YT_MAX_NODES)
            yt_fail(b, (uint32_t)mark.line + 1, (uint32_t)mark.column + 1,
                    "document too large (more than %u nodes)", YT_MAX_NODES);
    } else if ((b->depth == 0 || b->stack[b->depth - 1].node != b->steps_seq) &&
               ++b->attached > YT_MAX_NODES) {
        yt_fail(b, (uint32_t)mark.line + 1, (uint32_t)mark.column + 1,
                "document too large (more than %u nodes)", YT_MAX_NODES);
        return;
    }
    if (b->depth == 0) {
        b->doc->root = n;
        return;
    }
    parent = b->stack[b->depth - 1].node;
    if (parent == b->steps_seq) {
        /* a step: read on its own, handed over when complete, then dropped */
        b->item = n;
        b->item_mark = ((GPtrArray *)b->doc->nodes)->len - 1;
        b->item_anchor_sets = b->anchor_sets;
        b->item_attached = 0;
        return;
    }
    if (parent->count == parent->cap) {
        parent->cap = parent->cap ? parent->cap * 2 : 8;
        parent->items = g_renew(struct yt_node *, parent->items, parent->cap);
    }
    parent->items[parent->count++] = n;
}

/* Remember an anchor for later aliases (a redefinition replaces it). */
static void yt_anchor(struct yt_builder *b, const yaml_char_t *anchor, struct yt_node *n)
{
    if (anchor) {
        g_hash_table_replace(b->anchors, g_strdup((const char *)anchor), n);
        b->anchor_sets++;
    }
}

/*
 * A streamed step is complete: hand it over, then free its nodes unless an
 * anchor was set inside it (a later alias may name it; those stay, within
 * YT_MAX_NODES).
 */
static void yt_item_done(struct yt_builder *b, struct yt_node *n)
{
    GPtrArray *nodes = b->doc->nodes;

    if (b->item != n || b->failed)
        return;
    b->item = NULL;
    if (!b->item_fn(b->item_ctx, n, b->items++))
        b->stopped = true;
    if (b->anchor_sets == b->item_anchor_sets)
        g_ptr_array_remove_range(nodes, b->item_mark, nodes->len - b->item_mark);
}

/* Is a sequence opened now the value of the top-level key `steps`? */
static bool yt_is_steps(const struct yt_builder *b)
{
    const struct yt_node *root = b->depth == 1 ? b->stack[0].node : NULL;
    const struct yt_node *key;

    if (!b->item_fn || !root || root->kind != YT_MAP || root->count % 2 != 1)
        return false;
    key = root->items[root->count - 1];
    return key->kind == YT_SCALAR && strcmp(key->value, "steps") == 0;
}

/* Open a sequence or mapping. */
static void yt_open(struct yt_builder *b, enum yt_kind kind, const yaml_event_t *ev,
                    const yaml_char_t *anchor)
{
    struct yt_node *n;

    if (b->depth >= YT_MAX_DEPTH) {
        yt_fail(b, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                "nesting deeper than %u levels", YT_MAX_DEPTH);
        return;
    }
    n = yt_node_new(b, kind, ev->start_mark);
    if (kind == YT_SEQ && yt_is_steps(b)) {
        yt_attach(b, n, ev->start_mark);
        b->steps_seq = n;
    } else {
        yt_attach(b, n, ev->start_mark);
    }
    b->stack[b->depth].node = n;
    b->stack[b->depth].anchor = anchor ? g_strdup((const char *)anchor) : NULL;
    b->depth++;
}

/* Close the innermost collection and register its anchor. */
static void yt_close(struct yt_builder *b)
{
    struct yt_frame *f;

    if (b->depth == 0)
        return;
    f = &b->stack[--b->depth];
    if (f->node->kind == YT_MAP)
        f->node->count /= 2;
    if (f->anchor) {
        yt_anchor(b, (const yaml_char_t *)f->anchor, f->node);
        g_free(f->anchor);
        f->anchor = NULL;
    }
    if (f->node == b->steps_seq) {
        b->steps_seq = NULL; /* its items were streamed: it stays empty */
        b->streamed = f->node;
    }
    yt_item_done(b, f->node);
}

/* A scalar event: copy its text, note whether it was plain. */
static void yt_scalar(struct yt_builder *b, const yaml_event_t *ev)
{
    struct yt_node *n = yt_node_new(b, YT_SCALAR, ev->start_mark);
    size_t len = ev->data.scalar.length;

    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (len > YT_MAX_SCALAR_BYTES) {
        n->value = g_strdup(""); /* not copied: libyaml's buffer is the only one */
        yt_fail(b, n->line, n->col, "scalar too long (%zu bytes, at most %u)", len,
                YT_MAX_SCALAR_BYTES);
        return;
    }
    n->value = g_strndup((const char *)ev->data.scalar.value, len);
    if (strlen(n->value) != len) {
        yt_fail(b, n->line, n->col, "string contains a NUL character");
        return;
    }
    yt_attach(b, n, ev->start_mark);
    yt_anchor(b, ev->data.scalar.anchor, n);
    yt_item_done(b, n);
}

/*
 * An alias: a node marked where the alias is written, sharing the content
 * of the anchored node (only complete nodes are anchored).
 */
static void yt_alias(struct yt_builder *b, const yaml_event_t *ev)
{
    const struct yt_node *target = g_hash_table_lookup(b->anchors, ev->data.alias.anchor);
    struct yt_node *n;

    if (!target) {
        yt_fail(b, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                "unknown alias '*%s' (anchors must be defined, and complete, before use)",
                (const char *)ev->data.alias.anchor);
        return;
    }
    if (target == b->streamed) {
        yt_fail(b, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                "alias '*%s' names the steps, which are read one at a time: write them out",
                (const char *)ev->data.alias.anchor);
        return;
    }
    n = yt_node_new(b, target->kind, ev->start_mark);
    n->plain = target->plain;
    n->value = target->value;
    n->items = target->items;
    n->count = target->count;
    n->cap = target->cap;
    n->alias = true;
    yt_attach(b, n, ev->start_mark);
    yt_item_done(b, n);
}

/* Line and column (1-based) of a byte offset, for reader errors. */
static void yt_offset_mark(const char *buf, size_t off, uint32_t *line, uint32_t *col)
{
    size_t i;

    *line = 1;
    *col = 1;
    for (i = 0; i < off && buf[i]; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

/* The same for a file, read again from its start. */
static void yt_file_offset_mark(FILE *f, size_t off, uint32_t *line, uint32_t *col)
{
    size_t i;
    int c;

    *line = 1;
    *col = 1;
    if (fseek(f, 0, SEEK_SET) != 0)
        return;
    for (i = 0; i < off && (c = getc(f)) != EOF && c != 0; i++) {
        if (c == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned)c & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

/* Turn libyaml's parser error into our message at its mark. */
static void yt_syntax_error(struct yt_builder *b, const yaml_parser_t *p)
{
    uint32_t line = (uint32_t)p->problem_mark.line + 1;
    uint32_t col = (uint32_t)p->problem_mark.column + 1;
    const char *problem = p->problem ? p->problem : "unknown error";

    if (p->error == YAML_READER_ERROR && b->file) {
        yt_file_offset_mark(b->file, p->problem_offset, &line, &col);
        yt_fail(b, line, col, "YAML syntax error: %s", problem);
    } else if (p->error == YAML_READER_ERROR) {
        yt_offset_mark(b->buf, p->problem_offset, &line, &col);
        yt_fail(b, line, col, "YAML syntax error: %s", problem);
    } else if (p->error == YAML_MEMORY_ERROR) {
        yt_fail(b, 1, 1, "YAML parser out of memory");
    } else if (p->context) {
        yt_fail(b, line, col, "YAML syntax error: %s %s", problem, p->context);
    } else {
        yt_fail(b, line, col, "YAML syntax error: %s", problem);
    }
}

/* Handle one event; returns false at the end of the stream. */
static bool yt_event(struct yt_builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return false;
    case YAML_DOCUMENT_START_EVENT:
        if (b->documents++ > 0)
            yt_fail(b, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                    "a second YAML document (a scenario file holds exactly one)");
        break;
    case YAML_SCALAR_EVENT:
        yt_scalar(b, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        yt_open(b, YT_SEQ, ev, ev->data.sequence_start.anchor);
        break;
    case YAML_MAPPING_START_EVENT:
        yt_open(b, YT_MAP, ev, ev->data.mapping_start.anchor);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        yt_close(b);
        break;
    case YAML_ALIAS_EVENT:
        yt_alias(b, ev);
        break;
    default:
        break;
    }
    return true;
}

/* Read events until the end of the stream, the first error or a stop. */
static int yt_run(struct yt_builder *b, yaml_parser_t *parser)
{
    yaml_event_t ev;
    bool more = true;
    uint32_t i;

    b->anchors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    while (more && !b->failed && !b->stopped) {
        if (!yaml_parser_parse(parser, &ev)) {
            yt_syntax_error(b, parser);
            break;
        }
        more = yt_event(b, &ev);
        yaml_event_delete(&ev);
    }
    for (i = 0; i < b->depth; i++)
        g_free(b->stack[i].anchor);
    yaml_parser_delete(parser);
    g_hash_table_destroy(b->anchors);
    return b->failed ? -1 : 0;
}

int yt_load(const char *buf, size_t len, struct yt_doc *doc, struct yt_error *err)
{
    struct yt_builder b;
    yaml_parser_t parser;

    memset(doc, 0, sizeof(*doc));
    memset(err, 0, sizeof(*err));
    memset(&b, 0, sizeof(b));
    b.doc = doc;
    b.err = err;
    b.buf = buf;
    doc->nodes = g_ptr_array_new_with_free_func(yt_node_free);
    if (len > YT_MAX_FILE_BYTES) {
        yt_fail(&b, 1, 1, "file too large (more than %u bytes)", YT_MAX_FILE_BYTES);
        return -1;
    }
    if (!yaml_parser_initialize(&parser)) {
        yt_fail(&b, 1, 1, "YAML parser out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)(len ? buf : ""), len);
    return yt_run(&b, &parser);
}

int yt_stream(FILE *f, yt_item_fn fn, void *ctx, struct yt_doc *doc, struct yt_error *err,
              bool *stopped)
{
    struct yt_builder b;
    yaml_parser_t parser;
    int rc;

    memset(doc, 0, sizeof(*doc));
    memset(err, 0, sizeof(*err));
    memset(&b, 0, sizeof(b));
    b.doc = doc;
    b.err = err;
    b.file = f;
    b.item_fn = fn;
    b.item_ctx = ctx;
    doc->nodes = g_ptr_array_new_with_free_func(yt_node_free);
    *stopped = false;
    if (!yaml_parser_initialize(&parser)) {
        yt_fail(&b, 1, 1, "YAML parser out of memory");
        return -1;
    }
    yaml_parser_set_input_file(&parser, f);
    rc = yt_run(&b, &parser);
    *stopped = b.stopped;
    doc->items = b.items;
    return rc;
}

/* Free every node of a document. */
void yt_free(struct yt_doc *doc)
{
    if (doc->nodes)
        g_ptr_array_free(doc->nodes, TRUE);
    doc->nodes = NULL;
    doc->root = NULL;
}

/* Value of a key in a mapping (first occurrence). */
const struct yt_node *yt_map_get(const struct yt_node *map, const char *key)
{
    size_t i;

    if (!map || map->kind != YT_MAP)
        return NULL;
    for (i = 0; i < map->count; i++) {
        const struct yt_node *k = map->items[2 * i];

        if (k->kind == YT_SCALAR && strcmp(k->value, key) == 0)
            return map->items[2 * i + 1];
    }
    return NULL;
}

/* Node kind in words. */
const char *yt_kind_name(const struct yt_node *n)
{
    switch (n->kind) {
    case YT_SCALAR:
        return "a scalar";
    case YT_SEQ:
        return "a sequence";
    case YT_MAP:
        return "a mapping";
    }
    return "a node";
}

/* A plain null scalar. */
bool yt_is_null(const struct yt_node *n)
{
    if (n->kind != YT_SCALAR || !n->plain)
        return false;
    if (n->value[0] != '\0' && n->value[0] != '~' && n->value[0] != 'n' && n->value[0] != 'N')
        return false; /* the common case, without a string compare */
    return
           (n->value[0] == '\0' || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
            strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0);
}

/* --- the fast path for simple step lines ---------------------------------- */

/* Characters of the simple plain scalars the fast path accepts. */
static const unsigned char yf_plain[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['_'] = 1, ['$'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
};

static inline bool yf_plain_char(char c)
{
    return yf_plain[(unsigned char)c] != 0;
}

/* A key: a letter or _, then letters, digits, _. */
static bool yf_key_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Bounds of one step on the fast path (beyond them: libyaml reads the file). */
#define YF_NODES 96u
#define YF_ITEM_PAIRS 16u
#define YF_FLOW_PAIRS 32u
#define YF_TEXT 4096u

/*
 * The fast reader.  A step's nodes live in a small arena reused for every
 * step (nothing is allocated per step): scalar values point into `text`,
 * a copy of the step's lines with NULs put after each scalar.
 */
struct yf {
    struct yt_builder b;
    uint32_t line;
    size_t indent;
    bool have_indent;
    struct yt_node nodes[YF_NODES];
    struct yt_node *item_ptrs[2 * YF_ITEM_PAIRS];
    struct yt_node *flow_ptrs[2 * YF_FLOW_PAIRS];
    size_t nn;
    char text[YF_TEXT];
    size_t nt;
    /* the open step: its lines as read, joined by '\n', and their numbers */
    yt_raw_fn raw_fn;
    char raw[YF_TEXT];
    size_t nraw;
    uint32_t lines[YF_ITEM_PAIRS + 1];
    size_t starts[YF_ITEM_PAIRS + 1]; /* offset of each line in raw */
    size_t nlines;
    bool open;
};

/* A node from the arena (NULL when it is full). */
static struct yt_node *yf_node(struct yf *f, enum yt_kind kind, size_t col)
{
    struct yt_node *n;

    if (f->nn == YF_NODES)
        return NULL;
    n = &f->nodes[f->nn++];
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->line = f->line;
    n->col = (uint32_t)col + 1;
    return n;
}

/* A plain scalar node for line[from, to) (line lives in f->text). */
static struct yt_node *yf_scalar(struct yf *f, char *line, size_t from)
{
    struct yt_node *n = yf_node(f, YT_SCALAR, from);

    if (!n)
        return NULL;
    n->value = line + from;
    n->plain = true;
    return n;
}

/* Append a child (key or value) to a collection node; false when full. */
static bool yf_add(struct yt_node *parent, struct yt_node *n)
{
    if (!n || parent->count == parent->cap)
        return false;
    parent->items[parent->count++] = n;
    return true;
}

/* Scan a simple scalar at *i; false if there is none. */
static bool yf_span(const char *line, size_t *i, size_t *from)
{
    *from = *i;
    while (yf_plain_char(line[*i]))
        (*i)++;
    return *i > *from;
}

/*
 * "KEY: VALUE" at line[*i..] into map, VALUE a simple scalar or (when
 * flow) a flow mapping of "KEY: SCALAR" pairs.  Ends at the end of the line.
 */
static bool yf_pair(struct yf *f, struct yt_node *map, char *line, size_t i, bool flow)
{
    struct yt_node *val;
    size_t from, end;

    if (!yf_key_start(line[i]) || !yf_span(line, &i, &from) || line[i] != ':' || line[i + 1] != ' ')
        return false;
    line[i] = '\0';
    if (!yf_add(map, yf_scalar(f, line, from)))
        return false;
    i += 2;
    while (line[i] == ' ')
        i++;
    if (line[i] == '{' && flow) {
        val = yf_node(f, YT_MAP, i);
        if (!yf_add(map, val))
            return false;
        val->items = f->flow_ptrs;
        val->cap = 2 * YF_FLOW_PAIRS;
        for (i++; line[i] == ' ';)
            i++;
        while (line[i] != '}') { /* the '}' after the last value is a NUL by then */
            size_t k;
            char c;

            if (!yf_key_start(line[i]) || !yf_span(line, &i, &k) || line[i] != ':' ||
                line[i + 1] != ' ')
                return false;
            line[i] = '\0';
            if (!yf_add(val, yf_scalar(f, line, k)))
                return false;
            for (i += 2; line[i] == ' ';)
                i++;
            if (!yf_span(line, &i, &k))
                return false;
            end = i;
            while (line[i] == ' ')
                i++;
            c = line[i];
            line[end] = '\0';
            if (!yf_add(val, yf_scalar(f, line, k)))
                return false;
            if (c == ',') {
                for (i++; line[i] == ' ';)
                    i++;
                if (line[i] == '}')
                    return false;
            } else if (c == '}') {
                break;
            } else {
                return false;
            }
        }
        val->count /= 2;
        i++;
    } else {
        if (!yf_span(line, &i, &from))
            return false;
        end = i;
        if (line[i] != '\0')
            return false;
        line[end] = '\0';
        return yf_add(map, yf_scalar(f, line, from));
    }
    return line[i] == '\0';
}

/* Add a line to the open step; false when it is too long. */
static bool yf_raw_add(struct yf *f, const char *line, size_t len)
{
    if (f->nlines == YF_ITEM_PAIRS + 1 || f->nraw + len + 2 > YF_TEXT)
        return false;
    if (f->nlines)
        f->raw[f->nraw++] = '\n';
    f->starts[f->nlines] = f->nraw;
    memcpy(f->raw + f->nraw, line, len);
    f->nraw += len;
    f->raw[f->nraw] = '\0';
    f->lines[f->nlines++] = f->line;
    return true;
}

/*
 * Hand over the open step (if any): to raw_fn first (a step it has seen
 * before), else parsed into the arena, to item_fn; then empty the arena.
 * False when a line is not in the accepted shape.
 */
static bool yf_flush(struct yf *f)
{
    struct yt_node *item;
    uint32_t saved = f->line;
    size_t k;
    bool ok = true;
    int r;

    if (!f->open)
        return true;
    f->open = false;
    if (f->raw_fn) {
        r = f->raw_fn(f->b.item_ctx, f->raw, f->nraw, f->lines[0], (uint32_t)f->indent + 3);
        if (r != 0) {
            f->b.items++;
            f->b.stopped = r == 2;
            return true;
        }
    }
    memcpy(f->text, f->raw, f->nraw + 1);
    for (k = 1; k < f->nlines; k++)
        f->text[f->starts[k] - 1] = '\0'; /* the '\n' before each later line */
    f->line = f->lines[0];
    item = yf_node(f, YT_MAP, f->indent + 2);
    item->items = f->item_ptrs;
    item->cap = 2 * YF_ITEM_PAIRS;
    for (k = 0; k < f->nlines && ok; k++) {
        f->line = f->lines[k];
        ok = yf_pair(f, item, f->text + f->starts[k], f->indent + 2, k == 0);
    }
    f->line = saved;
    if (ok) {
        item->count /= 2;
        f->b.doc->raw = f->raw;
        f->b.doc->raw_len = f->nraw;
        if (!f->b.item_fn(f->b.item_ctx, item, f->b.items++))
            f->b.stopped = true;
        f->b.doc->raw = NULL;
    }
    f->nn = 0;
    f->nt = 0;
    return ok;
}

int yt_stream_fast(FILE *fp, yt_item_fn fn, yt_raw_fn raw_fn, void *ctx, struct yt_doc *doc,
                   bool *stopped)
{
    struct yf *fa = g_new(struct yf, 1);
#define f (*fa)
    GString *prefix = g_string_new(NULL);
    struct yt_node *root, *steps = NULL;
    bool any = false; /* a step line was read */
    struct yt_error yerr;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = -1;

    memset(&f, 0, sizeof(f));
    memset(doc, 0, sizeof(*doc));
    *stopped = false;
    f.b.doc = doc;
    f.b.err = &yerr;
    f.b.item_fn = fn;
    f.b.item_ctx = ctx;
    f.raw_fn = raw_fn;
    /* the header, up to a line "steps:", read by libyaml */
    while ((len = getline(&line, &cap, fp)) > 0) {
        f.line++;
        g_string_append_len(prefix, line, len);
        if (strcmp(line, "steps:\n") == 0)
            break;
        if (prefix->len > (1u << 20) || memchr(line, 0, (size_t)len))
            goto out;
    }
    if (len <= 0 || yt_load(prefix->str, prefix->len, doc, &yerr) != 0)
        goto out;
    root = doc->root;
    if (!root || root->kind != YT_MAP || root->count == 0 || root->alias)
        goto out;
    {
        struct yt_node *k = root->items[2 * root->count - 2], *v = root->items[2 * root->count - 1];

        if (k->kind != YT_SCALAR || strcmp(k->value, "steps") != 0 || k->line != f.line ||
            !yt_is_null(v) || v->value[0] != '\0')
            goto out;
        steps = v;
        g_free(steps->value);
        steps->value = NULL;
        steps->kind = YT_SEQ;
    }
    /* the steps, one line each, with their as/expect/note lines */
    while (!f.b.stopped && (len = getline(&line, &cap, fp)) > 0) {
        size_t i = 0;

        f.line++;
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (memchr(line, 0, (size_t)len))
            goto out;
        while (line[i] == ' ')
            i++;
        if (line[i] == '\0' || line[i] == '#')
            continue;
        if (line[i] == '-' && line[i + 1] == ' ') {
            if (f.have_indent ? i != f.indent : (f.have_indent = true, f.indent = i, false))
                goto out;
            if (!any) {
                any = true;
                steps->line = f.line; /* libyaml marks a block sequence at its first '-' */
                steps->col = (uint32_t)i + 1;
            }
            if (!yf_flush(&f))
                goto out;
            if (f.b.stopped)
                break;
            f.open = true;
            f.nraw = 0;
            f.nlines = 0;
            if (!yf_raw_add(&f, line, (size_t)len))
                goto out;
        } else if (f.open && i == f.indent + 2) {
            if (!yf_raw_add(&f, line, (size_t)len))
                goto out;
        } else {
            goto out;
        }
    }
    if (ferror(fp) || !any)
        goto out;
    if (!f.b.stopped && !yf_flush(&f))
        goto out;
    *stopped = f.b.stopped;
    doc->items = f.b.items;
    rc = 0;
out:
    if (rc != 0)
        yt_free(doc);
    g_string_free(prefix, TRUE);
    free(line);
    g_free(fa);
    return rc;
#undef f
}
