# fuzz/smoke-*: fuzz a fresh copy of a committed corpus for a short while.
#   cmake -DFUZZER=BIN -DCORPUS=DIR -DWORK=DIR -DARGS="a;b" -P smoke.cmake
# New inputs land in WORK/corpus, crashers in WORK/ (crash-*, leak-*,
# timeout-*): the committed corpus is never written.
foreach(v FUZZER CORPUS WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "smoke.cmake: -D${v}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK}/corpus)
file(MAKE_DIRECTORY ${WORK}/corpus)
file(GLOB seeds ${CORPUS}/*)
if(seeds)
  file(COPY ${seeds} DESTINATION ${WORK}/corpus)
endif()
execute_process(COMMAND ${FUZZER} ${ARGS} -artifact_prefix=${WORK}/ ${WORK}/corpus
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found something (exit ${rc}): see ${WORK}/ for the input")
endif()
