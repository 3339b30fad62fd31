#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of libxmm's fuzz targets.  The farm
# chooses the engine (libFuzzer or AFL++) and the sanitizer through $CC,
# $CFLAGS and $LIB_FUZZING_ENGINE; nothing here names one.
#
#   xmm-fuzz-trace     library call traces (tests/fuzz/fuzz_trace.c)
#   xmm-fuzz-scenario  scenario files through xmm-sim's loader and runner
#
# Seed corpora come from tests/fuzz/corpus/<target>/, the scenario
# dictionary from tests/fuzz/scenario.dict.
cd "$SRC/libxmm"
obj=$WORK/obj
mkdir -p "$obj/lib" "$obj/sim"

glib_cflags=$(pkg-config --cflags glib-2.0 yaml-0.1)
glib_libs=$(pkg-config --libs glib-2.0 yaml-0.1)
common="-std=c11 -D_DEFAULT_SOURCE -Iinclude -Isrc"

for f in src/*.c; do
    extra=""
    # the full sweep walks every frame: comparison tracing there costs much, finds little
    [ "$(basename "$f")" = check.c ] && extra="-fno-sanitize-coverage=trace-cmp"
    $CC $CFLAGS $extra $common -c "$f" -o "$obj/lib/$(basename "$f" .c).o"
done
ar rcs "$obj/libxmm.a" "$obj"/lib/*.o

for f in sim/*.c; do
    [ "$(basename "$f")" = main.c ] && continue
    $CC $CFLAGS $common -Isim $glib_cflags -c "$f" -o "$obj/sim/$(basename "$f" .c).o"
done
ar rcs "$obj/libxmmsim.a" "$obj"/sim/*.o

$CC $CFLAGS $common -c tests/fuzz/fuzz_trace.c -o "$obj/fuzz_trace.o"
$CC $CFLAGS $common -c tests/fuzz/trace_ops.c -o "$obj/trace_ops.o"
$CXX $CXXFLAGS "$obj/fuzz_trace.o" "$obj/trace_ops.o" "$obj/libxmm.a" -lfdt \
    $LIB_FUZZING_ENGINE -o "$OUT/xmm-fuzz-trace"

$CC $CFLAGS $common -Isim $glib_cflags -c tests/fuzz/fuzz_scenario.c -o "$obj/fuzz_scenario.o"
$CXX $CXXFLAGS "$obj/fuzz_scenario.o" "$obj/libxmmsim.a" "$obj/libxmm.a" -lfdt $glib_libs \
    $LIB_FUZZING_ENGINE -o "$OUT/xmm-fuzz-scenario"

(cd tests/fuzz/corpus/trace && zip -q -r "$OUT/xmm-fuzz-trace_seed_corpus.zip" .)
(cd tests/fuzz/corpus/scenario && zip -q -r "$OUT/xmm-fuzz-scenario_seed_corpus.zip" .)
cp tests/fuzz/scenario.dict "$OUT/xmm-fuzz-scenario.dict"
