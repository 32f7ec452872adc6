# Command-line tests of `run --replications`, `sweep` and `compare`: exit
# codes, and output that is the same byte for byte whatever --jobs is.
# Included from tests/cli/CMakeLists.txt (tailsim_cli_test, ${data}).

set(study_out ${CMAKE_CURRENT_BINARY_DIR}/study)
file(MAKE_DIRECTORY ${study_out})
set(mm1 ${PROJECT_SOURCE_DIR}/examples/mm1.yaml)

tailsim_cli_test(run_replications 0 run ${mm1} --duration 20s --replications 4 --jobs 2)
tailsim_cli_test(run_precision 0 run ${mm1} --duration 20s --precision 10% --max-replications 8)
tailsim_cli_test(run_replications_slo_failed 1 run ${mm1} --duration 20s --replications 3
                 --set "slos.requests=[\"p99 < 1ms\"]")
tailsim_cli_test(run_bad_replications 2 run ${mm1} --replications 0)
tailsim_cli_test(run_bad_precision 2 run ${mm1} --precision lots)
tailsim_cli_test(run_precision_over_100 2 run ${mm1} --precision 150%)
tailsim_cli_test(run_bad_jobs 2 run ${mm1} --replications 2 --jobs 0)
# results.json keeps its keys and adds "replications" with every path metric.
add_test(NAME cli.run_replications_json
  COMMAND sh -c "$<TARGET_FILE:tailsim> run ${mm1} --duration 20s --replications 4 --json - | grep -q '\"replications\"' && $<TARGET_FILE:tailsim> run ${mm1} --duration 20s --replications 4 --json - | grep -q '\"half_width\"'")
add_test(NAME cli.run_replications_jobs_identical
  COMMAND sh -c "$<TARGET_FILE:tailsim> run ${mm1} --duration 20s --precision 5% --jobs 1 --json '${study_out}/run-j1.json' && $<TARGET_FILE:tailsim> run ${mm1} --duration 20s --precision 5% --jobs 2 --json '${study_out}/run-j2.json' && cmp '${study_out}/run-j1.json' '${study_out}/run-j2.json'")
# One replication is the plain run: the same results.json.
add_test(NAME cli.run_one_replication_is_plain
  COMMAND sh -c "a=$($<TARGET_FILE:tailsim> run ${mm1} --duration 20s --json -) && b=$($<TARGET_FILE:tailsim> run ${mm1} --duration 20s --replications 1 --json -) && [ \"$a\" = \"$b\" ]")
