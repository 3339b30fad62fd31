# Golden-file check of exported guest device trees (seed 002).
#
#   cmake -DDTC=dtc -DDTB_DIR=DIR -DGOLDEN_DIR=DIR
#         [-DRUN="cmd|arg|..."] [-DUPDATE=1] -P compare_dts.cmake
#
# RUN, when given, is executed first (it writes the DTBs, e.g. xmm-sim run
# --out DTB_DIR ...) and must succeed.  Then for every GOLDEN_DIR/NAME.dts,
# DTB_DIR/NAME.dtb is decompiled with `dtc -I dtb -O dts` and must match the
# golden text byte for byte.  A mismatch leaves DTB_DIR/NAME.dts beside the
# blob and prints a diff.  UPDATE=1 (or XMM_UPDATE_GOLDEN=1 in the
# environment) rewrites the golden files instead.

foreach(v DTC DTB_DIR GOLDEN_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "compare_dts.cmake: -D${v}= is required")
  endif()
endforeach()
if("$ENV{XMM_UPDATE_GOLDEN}" STREQUAL "1")
  set(UPDATE 1)
endif()

if(DEFINED RUN)
  string(REPLACE "|" ";" RUN "${RUN}") # a list, '|'-separated on the command line
  file(MAKE_DIRECTORY ${DTB_DIR})
  execute_process(COMMAND ${RUN} WORKING_DIRECTORY ${DTB_DIR} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "producing the DTBs failed (${rc}): ${RUN}")
  endif()
endif()

file(GLOB goldens ${GOLDEN_DIR}/*.dts)
list(SORT goldens)
if(NOT goldens)
  message(FATAL_ERROR "no golden files in ${GOLDEN_DIR}")
endif()

set(failed 0)
foreach(g ${goldens})
  get_filename_component(name ${g} NAME_WE)
  set(dtb ${DTB_DIR}/${name}.dtb)
  if(NOT EXISTS ${dtb})
    message(SEND_ERROR "${name}: ${dtb} was not written")
    math(EXPR failed "${failed} + 1")
    continue()
  endif()
  execute_process(COMMAND ${DTC} -q -I dtb -O dts ${dtb}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(SEND_ERROR "${name}: dtc failed (${rc}): ${err}")
    math(EXPR failed "${failed} + 1")
    continue()
  endif()
  if(UPDATE)
    file(WRITE ${g} "${out}")
    message(STATUS "${name}: golden file updated")
    continue()
  endif()
  file(READ ${g} want)
  if(NOT out STREQUAL want)
    file(WRITE ${DTB_DIR}/${name}.dts "${out}")
    execute_process(COMMAND diff -u ${g} ${DTB_DIR}/${name}.dts)
    message(SEND_ERROR "${name}: decompiled DTB differs from ${g}")
    math(EXPR failed "${failed} + 1")
  else()
    message(STATUS "${name}: matches")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "${failed} device tree(s) differ from their golden files")
endif()
