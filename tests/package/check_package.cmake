# The library as a CMake package, end to end: installs the build into a
# fresh prefix, builds tests/package/consumer against it with
# find_package(tailsim), runs it on a model and checks that its results.json
# is byte for byte the one `tailsim run` writes for the same seed; with
# -DPYTHON, imports the installed Python package from the prefix and checks
# its run too.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DTAILSIM=... -DMODEL=...
#         -DGENERATOR=... -DCXX=... [-DPYTHON=... -DPYTHON_DIR=...] -P check_package.cmake
cmake_minimum_required(VERSION 3.25)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${what} failed (${code}):\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run_step("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
file(GLOB_RECURSE configs ${prefix}/*/tailsimConfig.cmake)
if(NOT configs)
  message(FATAL_ERROR "no tailsimConfig.cmake under ${prefix}")
endif()
if(NOT EXISTS ${prefix}/include/tailsim/model/loader.hpp)
  message(FATAL_ERROR "the headers are not installed under ${prefix}/include/tailsim")
endif()

# Only the prefix: the consumer must not see tailsim's source tree or build.
run_step("configuring the consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer
         -B ${WORK_DIR}/build -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release
         -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix})
string(FIND "${step_output}" "from ${prefix}/" found)
if(found EQUAL -1)
  message(FATAL_ERROR "the consumer did not find tailsim in ${prefix}:\n${step_output}")
endif()
run_step("building the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)

run_step("the consumer" ${WORK_DIR}/build/consumer ${MODEL} 5 1m ${WORK_DIR}/consumer.json)
message(STATUS "${step_output}")
if(NOT step_output MATCHES "consumer: tailsim [0-9.]+, model '[^']+', path '[^']+': [1-9][0-9]* requests")
  message(FATAL_ERROR "the consumer ran no requests:\n${step_output}")
endif()
# Exit 1 is a verdict (an SLO missed in this short run), not a failure: the
# results are written either way.
execute_process(COMMAND ${TAILSIM} run ${MODEL} --seed 5 --duration 1m --quiet
                --json ${WORK_DIR}/cli.json RESULT_VARIABLE code ERROR_VARIABLE err)
if(NOT code EQUAL 0 AND NOT code EQUAL 1)
  message(FATAL_ERROR "tailsim run failed (${code}):\n${err}")
endif()
file(READ ${WORK_DIR}/consumer.json consumer_json)
file(READ ${WORK_DIR}/cli.json cli_json)
string(LENGTH "${cli_json}" length)
if(length LESS 1000)
  message(FATAL_ERROR "tailsim run wrote a results.json of ${length} bytes")
endif()
if(NOT consumer_json STREQUAL cli_json)
  message(FATAL_ERROR "the consumer's results.json differs from tailsim run's "
                      "(${WORK_DIR}/consumer.json, ${WORK_DIR}/cli.json)")
endif()
message(STATUS "the installed library's results.json is tailsim run's (${length} bytes)")

# The Python package installed beside it (when built): imported from the
# prefix, its run is the same results.json.
if(PYTHON)
  set(check_import "import json, sys, tailsim
assert tailsim.__file__.startswith(sys.argv[1]), tailsim.__file__
results = tailsim.load(sys.argv[2]).run(seed=5, duration='1m')
with open(sys.argv[3]) as f:
    assert results == json.load(f), 'the installed module differs from tailsim run'
print('python: tailsim', tailsim.__version__, 'from', tailsim.__file__)")
  run_step("the installed Python package" ${CMAKE_COMMAND} -E env PYTHONPATH=${prefix}/${PYTHON_DIR}
           PYTHONDONTWRITEBYTECODE=1 ${PYTHON} -c "${check_import}" ${prefix}/ ${MODEL}
           ${WORK_DIR}/cli.json)
  message(STATUS "${step_output}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
