/*
 * xmm-sim - scalar syntax (see value.h).
 */
#include "value.h"

#include <string.h>

#include "scenario.h"

/* Value of a hex digit, or -1. */
static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decimal or 0x hex, overflow-checked. */
enum sim_num sim_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p;

    if (!s || !*s)
        return SIM_NUM_EMPTY;
    if (s[0] == '-')
        return SIM_NUM_NEGATIVE;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (!s[2])
            return SIM_NUM_BAD_HEX;
        for (p = s + 2; *p; p++) {
            int d = hex_digit(*p);

            if (d < 0)
                return SIM_NUM_BAD_HEX;
            if (v > (UINT64_MAX >> 4))
                return SIM_NUM_OVERFLOW;
            v = (v << 4) | (uint64_t)d;
        }
    } else {
        for (p = s; *p; p++) {
            if (*p < '0' || *p > '9')
                return SIM_NUM_BAD;
            if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
                return SIM_NUM_OVERFLOW;
            v = v * 10 + (uint64_t)(*p - '0');
        }
    }
    *out = v;
    return SIM_NUM_OK;
}

/* N KiB|MiB|GiB|TiB as 4 KiB pages. */
enum sim_num sim_parse_size(const char *s, uint64_t *pages)
{
    static const struct { const char *unit; unsigned shift; } units[] = {
        { "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 },
    };
    size_t digits = 0, i;
    uint64_t n = 0;

    if (!s || !*s)
        return SIM_NUM_EMPTY;
    if (s[0] == '-')
        return SIM_NUM_NEGATIVE;
    while (s[digits] >= '0' && s[digits] <= '9')
        digits++;
    if (digits == 0 || digits > 15)
        return digits ? SIM_NUM_OVERFLOW : SIM_NUM_NOT_SIZE;
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        uint64_t bytes;

        if (strcmp(s + digits, units[i].unit) != 0)
            continue;
        for (size_t k = 0; k < digits; k++)
            n = n * 10 + (uint64_t)(s[k] - '0');
        if (n > (UINT64_MAX >> units[i].shift))
            return SIM_NUM_OVERFLOW;
        bytes = n << units[i].shift;
        if (bytes % 4096 != 0)
            return SIM_NUM_UNALIGNED;
        *pages = bytes / 4096;
        return SIM_NUM_OK;
    }
    return SIM_NUM_NOT_SIZE;
}

/* Variable-name syntax. */
bool sim_var_name_ok(const char *s)
{
    size_t i;

    if (!s || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (i = 1; s[i]; i++) {
        char c = s[i];

        if (i >= SIM_MAX_VAR_NAME)
            return false;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}
