/*
 * xmm-sim - scalar syntax shared by the loader and the command line:
 * integers (decimal or 0x hex), sizes (4KiB, 2MiB, 1GiB), variable names.
 */
#ifndef XMM_SIM_VALUE_H
#define XMM_SIM_VALUE_H

#include <stdbool.h>
#include <stdint.h>

enum sim_num {
    SIM_NUM_OK = 0,
    SIM_NUM_EMPTY,    /* "" */
    SIM_NUM_NEGATIVE, /* "-1" */
    SIM_NUM_BAD,      /* not a number */
    SIM_NUM_BAD_HEX,  /* "0x" followed by a non-hex digit */
    SIM_NUM_OVERFLOW, /* does not fit 64 bits */
    SIM_NUM_NOT_SIZE, /* has a unit we do not know, or none */
    SIM_NUM_UNALIGNED /* a size that is not a multiple of 4 KiB */
};

/* Decimal or 0x-hex unsigned 64-bit integer, nothing else. */
enum sim_num sim_parse_u64(const char *s, uint64_t *out);

/*
 * A size "<decimal><unit>" with unit KiB, MiB, GiB or TiB, as a count of
 * 4 KiB pages.  SIM_NUM_NOT_SIZE when s has no unit (try sim_parse_u64).
 */
enum sim_num sim_parse_size(const char *s, uint64_t *pages);

/* A variable name: [A-Za-z_][A-Za-z0-9_]*, at most SIM_MAX_VAR_NAME chars. */
bool sim_var_name_ok(const char *s);

#endif /* XMM_SIM_VALUE_H */
