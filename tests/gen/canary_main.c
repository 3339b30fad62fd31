/*
 * xmm-sim-canary: xmm-sim over a copy of the library built with
 * -DXMM_CANARIES, for the canary tests only (canaries.sh).  XMM_CANARY=N
 * in the environment turns planted bug N on (src/internal.h lists them).
 */
#include <stdlib.h>

extern unsigned xmm_canary;
int xmm_sim_main(int argc, char **argv);

int main(int argc, char **argv)
{
    const char *c = getenv("XMM_CANARY");

    xmm_canary = c ? (unsigned)strtoul(c, NULL, 10) : 0;
    return xmm_sim_main(argc, argv);
}
