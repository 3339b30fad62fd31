/*
 * libxmm - the composition root: the table of built-in modules a world
 * registers at creation (modules.def).  Nothing else names the modules.
 */
#include "module.h"

#define XMM_MODULE(ID, name) extern const struct xmm_module xmm_mod_##name;
#include "modules.def"
#undef XMM_MODULE

const struct xmm_module *const xmm_builtin_modules[XMM_MOD_BUILTIN] = {
#define XMM_MODULE(ID, name) [XMM_MOD_##ID] = &xmm_mod_##name,
#include "modules.def"
#undef XMM_MODULE
};
