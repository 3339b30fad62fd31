#!/usr/bin/env python3
"""Write the seed inputs of the libxmm fuzz targets.

    gen_seeds.py trace DIR      hand-made traces for fuzz_trace, one per op family
    gen_seeds.py dict DOC       a libFuzzer dictionary for fuzz_scenario, from
                                docs/scenario-format.md, on stdout

The trace encoder mirrors the pickers of trace_ops.c (each op reads its
argument bytes in the order written there); op numbers are read from the
op table in trace_ops.c, so adding rows there does not break the seeds.
Check what a seed does with
    XMM_FUZZ_VERBOSE=1 xmm-fuzz-replay-trace corpus/trace/NAME
"""
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def op_numbers():
    rows = re.findall(r'^\s*\{ "(\w+)", op_\w+ \},$',
                      open(os.path.join(HERE, "trace_ops.c")).read(), re.M)
    table = {}
    for i, name in enumerate(rows):
        table.setdefault(name, i)
    return table


OPS = op_numbers()


def u16(v):
    return list(struct.pack("<H", v))


def u64(v):
    return list(struct.pack("<Q", v))


# --- pickers (trace_ops.c) ---------------------------------------------------

def dom(d):
    return [d] if d < 4 else [248] + u16(d)


class G:
    """gfn pickers: each returns the bytes pick_gfn reads."""
    @staticmethod
    def rng(i, off):          # off pages into remembered populate range i
        return [i << 4, off]

    @staticmethod
    def safe(off):            # off pages into the domain's safe range
        return [5, off]

    @staticmethod
    def safe_end(back):       # `back` pages before the end of the safe range
        return [0x85, back]

    @staticmethod
    def ram0(off, hi=0):      # guest RAM0 (0x40000) + hi * 256 + off
        return [8 | (hi << 4), off]

    @staticmethod
    def gnttab(off):          # the grant-table region 0x38000 + off
        return [9, off]

    @staticmethod
    def host(idx):            # host RAM frame ram_base + idx (direct map)
        return [10, 0] + u16(idx)

    @staticmethod
    def mmio(off):            # the MMIO region 0x1000 + off
        return [11, off]

    @staticmethod
    def raw(v):
        return [12, 0] + u64(v)


def pages(n):
    assert 1 <= n <= 8
    return [n - 1]


def mfn_at(d, gfn_bytes):     # the frame mapped at d:gfn (the op's dom)
    return [0] + gfn_bytes


def mfn_mmio(off):
    return [240, off]


def ref(r):
    assert 8 <= r < 24
    return [r - 8]


def sp(n):
    return [0 if n == 1 else 1]


NIC = [0]


def share(i=0, other_sp=False):   # share i of the ring
    return [i | (0x80 if other_sp else 0)]


# --- ops ---------------------------------------------------------------------

def op(name, *args):
    out = [OPS[name]]
    for a in args:
        out += a
    return out


def create(d, max_pages=64, ffa=True, direct=False, grant=None, maptrack=None):
    """max_pages: up to 127, or a multiple of 16 up to 1952."""
    m = max_pages if max_pages < 128 else 128 + max_pages // 16
    assert m < 250
    f = (0 if direct else 1) | (8 if ffa else 0)
    extra = []
    if grant:
        f |= 0x10 | 0x20
        extra += [grant - 1]
    if maptrack:
        f |= 0x40 | 0x20
        extra += [maptrack - 1]
    return op("domain_create", dom(d), [f, m], extra)


def populate(d, gfn, n):
    return op("populate", dom(d), gfn, pages(n))


def advance(small):
    return op("advance", [small & 15])


def destroy(d, budget=16):
    return op("domain_destroy", dom(d), [budget - 1])


def header(h0=0x01, h1=0x00):
    return [h0, h1]


SEEDS = {
    # populate / decrease / remove / lookups
    "physmap": header() + create(1, 64) + populate(1, G.ram0(0), 8)
    + op("decrease", dom(1), G.rng(0, 2), pages(2))
    + op("remove_physmap", dom(1), G.rng(0, 5))
    + op("query", [0], dom(1), G.rng(0, 1))
    + op("query", [2], dom(1), G.ram0(0))
    + populate(1, G.ram0(0x20), 4) + destroy(1),
    # foreign mapping of a page of d1 into d0's safe range, d1 dies first
    "foreign": header() + create(0, 64) + create(1, 64) + populate(1, G.ram0(0), 4)
    + op("map_foreign", dom(0), dom(1), G.safe(0), G.rng(0, 1))
    + op("map_foreign", dom(0), dom(1), G.safe(1), G.rng(0, 2))
    + destroy(1) + op("remove_physmap", dom(0), G.safe(0)) + destroy(0),
    # grant, map in the grantee's safe range, unmap, end; grant frames
    "gnttab": header() + create(1, 64, grant=2, maptrack=1) + create(2, 64, maptrack=1)
    + populate(1, G.ram0(0), 4)
    + op("grant", dom(1), dom(2), ref(8), G.rng(0, 1), [0])
    + op("grant_map", [0], G.safe(3), [0])
    + op("grant_end", [0])
    + op("grant_unmap", [0])
    + op("grant_end", [0])
    + op("map_grant_frame", dom(1), [0], G.gnttab(0))
    + op("map_grant_frame", dom(1), [1], G.gnttab(1))
    + op("remove_physmap", dom(1), G.gnttab(0))
    + op("query", [5], dom(1), G.ram0(0), ref(8)) + destroy(2) + destroy(1),
    # grant mapped, then the granter is destroyed while mapped
    "gnttab-zombie": header() + create(1, 64) + create(2, 64)
    + populate(1, G.ram0(0), 2)
    + op("grant", dom(1), dom(2), ref(9), G.rng(0, 0), [1])
    + op("grant_map", [0], G.safe(0), [1])
    + destroy(1) + op("grant_unmap", [0]) + destroy(2),
    # FF-A: share with an auto SP, access, relinquish, reclaim
    "ffa": header(h0=0x03 | 0x04 | (3 << 3) | 0x20) + create(1, 64) + populate(1, G.ram0(0), 8)
    + op("ffa_share", dom(1), G.rng(0, 0), pages(4), sp(1))
    + op("sp_access", share(0), [1])
    + op("ffa_reclaim", share(0))
    + op("sp_relinquish", share(0))
    + op("ffa_reclaim", share(0))
    + op("ffa_share", dom(1), G.rng(0, 4), pages(2), sp(2))
    + op("sp_retrieve", share(1))
    + op("query", [6], dom(1), G.ram0(0), share(1))
    + destroy(1) + advance(15) + advance(15),
    # FF-A: an SP that never lets go; teardown parks the frames
    "ffa-park": header(h0=0x02 | 0x04, h1=0x10) + create(1, 64) + populate(1, G.ram0(0), 4)
    + op("ffa_share", dom(1), G.rng(0, 0), pages(2), sp(1))
    + destroy(1) + op("advance", [210]) + op("advance", [250]),
    # IOMMU: assign, DMA, unmap while the device TLB caches, flush
    "iommu": header(h1=0x08) + create(1, 64) + populate(1, G.ram0(0), 4)
    + op("iommu_assign", dom(1), NIC)
    + op("dma", NIC, [1], G.rng(0, 1))
    + op("decrease", dom(1), G.rng(0, 1), pages(1))
    + op("dma", NIC, [1], G.rng(0, 1))
    + populate(1, G.rng(0, 1), 1)
    + advance(15) + advance(15) + op("advance", [205])
    + op("dma", NIC, [0], G.rng(0, 1)) + destroy(1) + op("advance", [205]),
    # shared_info, vcpu_info, event channels
    "shinfo": header() + create(1, 64) + create(2, 64) + populate(1, G.ram0(0), 4)
    + populate(2, G.ram0(0), 4)
    + op("map_shared_info", dom(1), G.ram0(0x40))
    + op("register_vcpu_info", dom(2), [1], G.rng(1, 2))
    + op("evtchn_send", dom(1), dom(2), [1])
    + op("evtchn_send", dom(2), dom(1), [0])
    + destroy(1) + destroy(2),
    # direct map: populate_direct, MMIO
    "direct-map": header() + create(1, 64, direct=True)
    + op("populate_direct", dom(1), pages(8))
    + op("map_mmio", dom(1), G.mmio(0), pages(4), mfn_mmio(0))
    + create(2, 64) + op("map_mmio", dom(2), G.ram0(0x80), pages(2), mfn_mmio(8))
    + op("remove_physmap", dom(2), G.ram0(0x80))
    + op("query", [3 | 8], dom(1), G.ram0(0)) + destroy(1) + destroy(2),
    # references: get/put pairs, domain refs, xenheap frames, timers
    "refs": header() + create(1, 64) + populate(1, G.ram0(0), 2)
    + op("page_get_put", dom(1), mfn_at(1, G.rng(0, 0)), [0])
    + op("page_get_put", dom(1), mfn_at(1, G.rng(0, 1)), [4 | 1])
    + op("domain_get", dom(1)) + destroy(1) + op("domain_put", dom(1))
    + op("xenheap", [0]) + op("xenheap", [1], dom(2), [0])
    + create(2, 64) + op("xenheap", [1], dom(2), [0]) + op("xenheap", [2])
    + op("xenheap", [3])
    + op("timer", [0x20], dom(2), G.ram0(0x10)) + advance(4),
    # allocation failures in allocating calls
    "alloc-fail": header() + create(1, 64)
    + op("with_alloc_failure", [0], [OPS["populate"]], dom(1), G.ram0(0), pages(4))
    + op("with_alloc_failure", [1], [OPS["grant"]], dom(1), dom(2), ref(8), G.ram0(0), [0])
    + op("with_alloc_failure", [8], [OPS["domain_create"]], dom(2), [9, 16])
    + create(2, 64)
    + op("with_alloc_failure", [0], [OPS["ffa_share"]], dom(1), G.ram0(0), pages(1), sp(1))
    + op("with_alloc_failure", [2], [OPS["iommu_assign"]], dom(1), NIC)
    + destroy(1) + destroy(2),
    # 300 unmaps behind an ATS device: the 256-entry invalidation queue fills
    "iommu-queue-full": header(h1=0x0c) + create(1, 512) + op("iommu_assign", dom(1), NIC)
    + op("populate", dom(1), G.ram0(0), [210] + u16(299))
    + op("dma", NIC, [1], G.rng(0, 3))
    + op("decrease", dom(1), G.rng(0, 0), [210] + u16(299))
    + op("advance", [250]) + destroy(1),
    # DMA writes through read-only and stale translations
    "iommu-readonly": header() + create(1, 64) + create(2, 64) + populate(1, G.ram0(0), 2)
    + op("iommu_assign", dom(2), NIC)
    + op("grant", dom(1), dom(2), ref(8), G.rng(0, 0), [1])
    + op("grant_map", [0], G.safe(0), [1])
    + op("dma", NIC, [0], G.safe(0)) + op("dma", NIC, [1], G.safe(0))
    + op("grant_unmap", [0]) + op("dma", NIC, [1], G.safe(0))
    + op("dma", NIC, [0], G.safe(0)) + advance(15) + destroy(2) + destroy(1),
    # a small host (256 frames): ENOMEM paths
    "small-host": header(h1=0x03) + create(1, 512) + create(2, 512)
    + populate(1, G.ram0(0), 8) + op("populate", dom(1), G.ram0(0x10), [210] + u16(240))
    + op("populate", dom(2), G.ram0(0), [210] + u16(300))
    + destroy(1) + op("populate", dom(2), G.ram0(0), [210] + u16(200)) + destroy(2),
}


def write_traces(outdir):
    os.makedirs(outdir, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(bytes(b & 0xFF for b in data))


def write_dict(doc):
    text = open(doc).read()
    words = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]{1,40})`", text))
    words |= set(re.findall(r"^### `(\w+)`", text, re.M))
    syntax = ["name: ", "steps:", "world:", "policy:", "expect: ", "as: ", "note: ",
              "- ", ": ", "{", "}", "[", "]", ", ", "$", "0x", "KiB", "MiB", "GiB",
              "\n  - ", "&a ", "*a", "true", "false", "0x40000", "0x38000", "0x8001"]
    out = ["# libFuzzer dictionary for fuzz_scenario (gen_seeds.py dict %s)" %
           os.path.relpath(doc, HERE)]
    for w in sorted(words):
        out.append('"%s"' % w)
    for s in syntax:
        out.append('"%s"' % s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\x0a"))
    print("\n".join(out))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "trace":
        write_traces(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "dict":
        write_dict(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
