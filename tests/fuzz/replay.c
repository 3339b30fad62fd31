/*
 * libxmm fuzz targets - the standalone driver: replays inputs through
 * LLVMFuzzerTestOneInput without a fuzzing engine, so CI can run the
 * corpora (and anyone can run a crasher) with the normal compiler.
 *
 *   xmm-fuzz-replay-trace FILE|DIR...
 *
 * Every regular file named, and every regular file inside a directory
 * named (not recursively, dot files skipped, in name order so runs are
 * reproducible), is read and passed to the target once.  A finding aborts
 * the program inside the target, with the target's message; the driver
 * prints the file name first, so the culprit is known.  Exit 0 when every
 * input ran; 1 when an argument could not be read or nothing was run.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX_BYTES (16u << 20) /* larger inputs are refused, as libFuzzer's -max_len would */

/* Read a whole file into *buf (malloc'd).  Return: 0, or -1 with a message printed. */
static int read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long size;
    size_t got;

    *buf = NULL;
    *len = 0;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if ((unsigned long)size > REPLAY_MAX_BYTES) {
        fprintf(stderr, "replay: %s: larger than %u bytes\n", path, REPLAY_MAX_BYTES);
        fclose(f);
        return -1;
    }
    *buf = malloc((size_t)size + 1); /* +1: never malloc(0) */
    if (!*buf) {
        fclose(f);
        fprintf(stderr, "replay: %s: out of memory\n", path);
        return -1;
    }
    got = fread(*buf, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        fprintf(stderr, "replay: %s: short read\n", path);
        free(*buf);
        *buf = NULL;
        return -1;
    }
    *len = got;
    return 0;
}

/* Run one file through the target. */
static int run_file(const char *path, unsigned *runs)
{
    uint8_t *buf;
    size_t len;

    if (read_file(path, &buf, &len) != 0)
        return -1;
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    (*runs)++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file directly in dir, in name order. */
static int run_dir(const char *dir, unsigned *runs)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **grown = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

            if (!grown) {
                rc = -1;
                break;
            }
            names = grown;
        }
        names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[n]) {
            rc = -1;
            break;
        }
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;

        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode) &&
            run_file(names[i], runs) != 0)
            rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned runs = 0;
    int rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n"
                        "Replays fuzz inputs without a fuzzing engine "
                        "(XMM_FUZZ_VERBOSE=1 describes each one).\n",
                argv[0]);
        return 1;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
        } else if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &runs) : run_file(argv[i], &runs)) {
            rc = 1;
        }
    }
    fprintf(stderr, "replay: %u input(s) ran\n", runs);
    return rc || runs == 0 ? 1 : 0;
}
