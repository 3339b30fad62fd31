/*
 * libxmm fuzz targets - the libFuzzer entry points, declared once so that
 * the targets, the standalone replay driver (replay.c) and the libFuzzer
 * builds agree on them (and -Wmissing-prototypes is satisfied).
 *
 * Each target is one .c file defining LLVMFuzzerTestOneInput, optionally
 * LLVMFuzzerInitialize; linked with replay.c it becomes a plain program
 * that replays files, linked with -fsanitize=fuzzer a libFuzzer binary.
 */
#ifndef XMM_FUZZ_H
#define XMM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* One input: must return 0; a finding aborts (libFuzzer saves the input). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called once before the first input (optional; replay.c calls it too). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif /* XMM_FUZZ_H */
