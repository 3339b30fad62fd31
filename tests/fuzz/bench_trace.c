/*
 * xmm-fuzz-bench-trace DIR [SECONDS]: executions per second of the trace
 * target (fuzz_trace.c) over the inputs of DIR, as a fuzzing engine would
 * run them (in process, no engine overhead).  CPU time of this process is
 * measured, so other load on the machine hardly matters.  --quick: one
 * pass (ctest).  bench/fuzz-throughput.sh runs it on a plain and an
 * ASan+UBSan build.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"

struct blob {
    uint8_t *p;
    size_t n;
};

static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    double budget = 3.0, t0, t;
    struct blob *in = NULL;
    char **names = NULL;
    size_t n = 0, cap = 0, runs = 0, i;
    bool quick = false;
    struct dirent *de;
    DIR *d;

    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--quick") == 0)
            quick = true;
        else if (!dir)
            dir = argv[a];
        else
            budget = atof(argv[a]);
    }
    if (!dir || !(d = opendir(dir))) {
        fprintf(stderr, "usage: xmm-fuzz-bench-trace DIR [SECONDS] [--quick]\n");
        return 2;
    }
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            names = realloc(names, cap * sizeof(*names));
        }
        names[n] = malloc(strlen(dir) + strlen(de->d_name) + 2);
        sprintf(names[n++], "%s/%s", dir, de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), by_name);
    in = calloc(n + 1, sizeof(*in));
    for (i = 0; i < n; i++) {
        FILE *f = fopen(names[i], "rb");
        long len;

        if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
            fprintf(stderr, "cannot read %s\n", names[i]);
            return 2;
        }
        in[i].p = malloc((size_t)len + 1);
        in[i].n = fread(in[i].p, 1, (size_t)len, f);
        fclose(f);
    }
    LLVMFuzzerInitialize(&argc, &argv);
    t0 = cpu_now();
    do {
        for (i = 0; i < n; i++, runs++)
            LLVMFuzzerTestOneInput(in[i].p, in[i].n);
        t = cpu_now() - t0;
    } while (!quick && t < budget);
    printf("fuzz_trace: %zu inputs, %zu executions in %.2f s CPU: %.0f exec/s\n", n, runs, t,
           t > 0 ? (double)runs / t : 0.0);
    for (i = 0; i < n; i++) {
        free(in[i].p);
        free(names[i]);
    }
    free(in);
    free(names);
    return 0;
}
