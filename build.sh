#!/usr/bin/env bash
# libxmm: set up a Debian 12 machine, build, and run.
#
#   ./build.sh run    install what is missing, build, run every scenario
#   ./build.sh test   install what is missing, build, run every test
#                     (unit, scenarios, bad input, determinism, sanitizers,
#                     install/consumer check)
set -euo pipefail
cd "$(dirname "$0")"

# libxml2-utils: xmllint validates `xmm-sim run --format junit` and the SVG of
# `xmm-sim plot` in the tests;
# man-db: `man -l` renders the generated xmm-sim(1) in the tests;
# valgrind: memcheck of xmm-sim over every scenario (ctest label valgrind).
PACKAGES=(build-essential cmake pkg-config clang libclang-rt-14-dev libcmocka-dev
          libglib2.0-dev libfdt-dev libyaml-dev device-tree-compiler libjudy-dev
          libxml2-utils man-db valgrind)
JOBS=${JOBS:-$(nproc)}

usage() {
    echo "usage: $0 run|test" >&2
    exit 2
}

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "== installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# build DIR [cmake args...]
build() {
    local dir=$1
    shift
    cmake -S . -B "$dir" -DXMM_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$JOBS"
}

scenario_files() {
    find scenarios -name '*.yaml' | LC_ALL=C sort
}

run_scenarios() {
    build build
    echo "== running every scenario"
    mkdir -p build/out
    # shellcheck disable=SC2046
    build/xmm-sim run --out build/out $(scenario_files)
}

# Install to a scratch prefix, then build consumers against it: the cmocka
# example with libxmm-test and the plain example with libxmm, each with
# find_package and with the pkg-config line of the README; the man page.
check_install() {
    local prefix tmp pcpath flags
    tmp=$(mktemp -d)
    prefix=$tmp/prefix
    cmake --install build --prefix "$prefix" >/dev/null
    mkdir -p "$tmp/consumer"
    cat > "$tmp/consumer/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(consumer C)
# 0.3 changed the ABI (xmm_p2m_lookup is compiled into its callers and
# reads the world's head): a consumer built for 0.2 must not find it.
find_package(libxmm 0.2 QUIET)
if(libxmm_FOUND)
  message(FATAL_ERROR "libxmm 0.3 accepted by find_package(libxmm 0.2)")
endif()
find_package(libxmm 0.3 REQUIRED COMPONENTS test)
add_executable(consumer-test unit_test_example.c)
target_link_libraries(consumer-test PRIVATE libxmm::test)
add_executable(consumer-plain plain_example.c)
target_link_libraries(consumer-plain PRIVATE libxmm::xmm)
CM
    cp examples/unit_test_example.c examples/plain_example.c "$tmp/consumer/"
    cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
    cmake --build "$tmp/consumer/build" >/dev/null
    "$tmp/consumer/build/consumer-test"
    "$tmp/consumer/build/consumer-plain"
    pcpath=$prefix/lib/pkgconfig:$prefix/lib/$(gcc -print-multiarch)/pkgconfig
    # The package versions are the header's, and the soname carries 0.3.
    local hv
    hv=$(sed -n 's/^#define XMM_VERSION_STRING "\(.*\)"$/\1/p' include/xmm/xmm.h)
    [ "$(PKG_CONFIG_PATH=$pcpath pkg-config --modversion libxmm)" = "$hv" ]
    [ "$(PKG_CONFIG_PATH=$pcpath pkg-config --modversion libxmm-test)" = "$hv" ]
    ls "$(PKG_CONFIG_PATH=$pcpath pkg-config --variable=libdir libxmm)/libxmm.so.${hv%.*}" >/dev/null
    # The README's lines: the shared libraries with an rpath ...
    flags=$(PKG_CONFIG_PATH=$pcpath pkg-config --cflags --libs libxmm-test)
    # shellcheck disable=SC2086
    cc -o "$tmp/pc-test" examples/unit_test_example.c $flags \
        -Wl,-rpath,"$(PKG_CONFIG_PATH=$pcpath pkg-config --variable=libdir libxmm-test)"
    "$tmp/pc-test"
    flags=$(PKG_CONFIG_PATH=$pcpath pkg-config --cflags --libs libxmm)
    # shellcheck disable=SC2086
    cc -o "$tmp/pc-plain" examples/plain_example.c $flags \
        -Wl,-rpath,"$(PKG_CONFIG_PATH=$pcpath pkg-config --variable=libdir libxmm)"
    "$tmp/pc-plain"
    # ... or the static archive, with what it needs (--static).
    flags=$(PKG_CONFIG_PATH=$pcpath pkg-config --cflags --libs --static libxmm)
    # shellcheck disable=SC2086
    cc -o "$tmp/pc-static" examples/plain_example.c \
        "$(PKG_CONFIG_PATH=$pcpath pkg-config --variable=libdir libxmm)/libxmm.a" $flags
    "$tmp/pc-static"
    # xmm_p2m_lookup is inline in the installed header (and exported): two
    # translation units that both use it link and agree with the symbol, for
    # gcc and clang, C99 inline and GNU89 inline, inlined (-O2) or not (-O0),
    # and from C++.
    flags="$(PKG_CONFIG_PATH=$pcpath pkg-config --cflags --libs libxmm) -Wl,-rpath,$(PKG_CONFIG_PATH=$pcpath pkg-config --variable=libdir libxmm)"
    check_inline_lookup "$tmp" "$flags"
    [ -x "$prefix/bin/xmm-sim" ] && [ "$("$prefix/bin/xmm-sim" --version)" != "" ]
    MANPATH=$prefix/share/man man -w xmm-sim >/dev/null
    local page
    page=$(man -l "$prefix/share/man/man1/xmm-sim.1")
    grep -q '^NAME' <<<"$page"
    rm -rf "$tmp"
    echo "install check: ok (libxmm and libxmm-test with find_package and pkg-config, xmm-sim(1))"
}

# check_inline_lookup TMP "CFLAGS LIBS" (the shared library, with an rpath)
check_inline_lookup() {
    local tmp=$1 flags=$2 cc std opt ext
    mkdir -p "$tmp/inline"
    cat > "$tmp/inline/main.c" <<'C'
#include <xmm/xmm.h>
int other(const struct xmm_world *w);
int main(void)
{
    struct xmm_world *w;
    struct xmm_p2m_entry e;

    if (xmm_world_new(NULL, &w) || xmm_domain_create(w, 1, NULL) ||
        xmm_p2m_set(w, 1, xmm_gfn(0x40000), xmm_mfn(0x1000), XMM_P2M_MMIO_DIRECT_DEV))
        return 1;
    if (xmm_p2m_lookup(w, 1, xmm_gfn(0x40000), &e) || e.mfn.m != 0x1000 ||
        e.type != XMM_P2M_MMIO_DIRECT_DEV || xmm_p2m_lookup(w, 2, xmm_gfn(0x40000), &e) != -XMM_ESRCH)
        return 2;
    if (other(w) != -XMM_EINVAL)
        return 3;
    xmm_world_free(w);
    return 0;
}
C
    cat > "$tmp/inline/other.c" <<'C'
#include <xmm/xmm.h>
int other(const struct xmm_world *w);
int other(const struct xmm_world *w)
{
    int (*symbol)(const struct xmm_world *, xmm_domid_t, xmm_gfn_t, struct xmm_p2m_entry *) =
        xmm_p2m_lookup;
    struct xmm_p2m_entry e;

    if (symbol(w, 1, xmm_gfn(0x40000), &e) || e.mfn.m != 0x1000 ||
        symbol(w, 1, xmm_gfn(0x40001), &e) != -XMM_ENOENT)
        return 9;
    return xmm_p2m_lookup(w, 1, xmm_gfn(UINT64_C(1) << 36), &e);
}
C
    cp "$tmp/inline/main.c" "$tmp/inline/main.cpp"
    cp "$tmp/inline/other.c" "$tmp/inline/other.cpp"
    for cc in gcc clang g++; do
        for std in c99 c11 gnu89 gnu11; do
            ext=c
            [ "$cc" = g++ ] && { [ "$std" = c99 ] || continue; std=c++11; ext=cpp; }
            for opt in -O0 -O2; do
                # shellcheck disable=SC2086
                "$cc" -std="$std" $opt -Wall -Wextra -Werror -o "$tmp/inline/t" \
                    "$tmp/inline/main.$ext" "$tmp/inline/other.$ext" $flags
                "$tmp/inline/t"
            done
        done
    done
}

run_tests() {
    # -DXMM_BUILD_BENCH=ON: ctest runs bench/*-quick, proving the benchmarks build and run.
    build build -DXMM_BUILD_BENCH=ON
    echo "== tests (gcc, -Werror)"
    (cd build && ctest --output-on-failure -j "$JOBS")
    echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer (clang, Debug, asserts on)"
    # Debug: the model's asserts stay on (RelWithDebInfo defines NDEBUG).
    CC=clang build build-asan -DXMM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DXMM_BUILD_BENCH=ON
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$JOBS")
    echo "== install"
    check_install
}

[ $# -eq 1 ] || usage
case "$1" in
run) install_missing; run_scenarios ;;
test) install_missing; run_tests ;;
*) usage ;;
esac
