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
tailsim_cli_test(run_replications_unwritable_json 2 run ${mm1} --duration 10s --replications 2 --json /nonexistent-folder/r.json)
# --out with replications: replication 0's files, with its attribution and
# traces as a plain run has them, and results.json with "replications".
add_test(NAME cli.run_replications_out_folder
  COMMAND sh -c "rm -rf '${study_out}/out' && $<TARGET_FILE:tailsim> run ${mm1} --duration 10s --replications 3 --quiet --out '${study_out}/out' && grep -q '\"replications\"' '${study_out}/out/results.json' && grep -q '\"attribution\"' '${study_out}/out/results.json' && grep -q '\"traceId\"' '${study_out}/out/traces.otlp.json' && grep -q '</html>' '${study_out}/out/report.html'")
# The console says where replication 0's time went, unless --no-attribution.
add_test(NAME cli.run_replications_where_the_time_went
  COMMAND sh -c "$<TARGET_FILE:tailsim> run ${mm1} --duration 10s -r 2 | grep -q 'replication 0 (seed 1), the plain run' && ! $<TARGET_FILE:tailsim> run ${mm1} --duration 10s -r 2 --no-attribution | grep -q 'WHERE THE TIME WENT'")
# results.json keeps its keys and adds "replications" with every path metric.
add_test(NAME cli.run_replications_json
  COMMAND sh -c "$<TARGET_FILE:tailsim> run ${mm1} --duration 20s --replications 4 --json - | grep -q '\"replications\"' && $<TARGET_FILE:tailsim> run ${mm1} --duration 20s --replications 4 --json - | grep -q '\"half_width\"'")
add_test(NAME cli.run_replications_jobs_identical
  COMMAND sh -c "$<TARGET_FILE:tailsim> run ${mm1} --duration 20s --precision 5% --jobs 1 --json '${study_out}/run-j1.json' && $<TARGET_FILE:tailsim> run ${mm1} --duration 20s --precision 5% --jobs 2 --json '${study_out}/run-j2.json' && cmp '${study_out}/run-j1.json' '${study_out}/run-j2.json'")
# One replication is the plain run: the same results.json.
add_test(NAME cli.run_one_replication_is_plain
  COMMAND sh -c "a=$($<TARGET_FILE:tailsim> run ${mm1} --duration 20s --json -) && b=$($<TARGET_FILE:tailsim> run ${mm1} --duration 20s --replications 1 --json -) && [ \"$a\" = \"$b\" ]")

# sweep: a grid of --vary values; the same CSV whatever --jobs is.
set(sweep_rate "workloads.requests.rate=60..90:10/s")
tailsim_cli_test(sweep_ok 0 sweep ${mm1} --vary ${sweep_rate} --duration 20s)
tailsim_cli_test(sweep_two_varies 0 sweep ${mm1} --vary ${sweep_rate} --vary "services.server.balancer=round_robin,random" --duration 10s -r 2)
tailsim_cli_test(sweep_no_vary 2 sweep ${mm1})
tailsim_cli_test(sweep_bad_vary 2 sweep ${mm1} --vary workloads.requests.rate)
tailsim_cli_test(sweep_bad_range 2 sweep ${mm1} --vary "workloads.requests.rate=90..60:10/s")
tailsim_cli_test(sweep_bad_value 2 sweep ${mm1} --vary "services.server.replicas=1,lots")
tailsim_cli_test(sweep_twice 2 sweep ${mm1} --vary "services.server.replicas=1" --vary "services.server.replicas=2")
tailsim_cli_test(sweep_bad_duration 2 sweep ${mm1} --vary ${sweep_rate} --duration 0s)
tailsim_cli_test(sweep_unwritable_csv 2 sweep ${mm1} --vary ${sweep_rate} --duration 10s --csv /nonexistent-folder/s.csv)
tailsim_cli_test(sweep_unwritable_json 2 sweep ${mm1} --vary ${sweep_rate} --duration 10s --json /nonexistent-folder/s.json)
tailsim_cli_test(sweep_csv_and_json_on_stdout 2 sweep ${mm1} --vary ${sweep_rate} --duration 10s --csv - --json -)
add_test(NAME cli.sweep_jobs_identical
  COMMAND sh -c "$<TARGET_FILE:tailsim> sweep ${mm1} --vary ${sweep_rate} --vary services.server.replicas=1,2 --duration 20s -r 3 --jobs 1 --csv '${study_out}/sweep-j1.csv' --json '${study_out}/sweep-j1.json' --report '${study_out}/sweep-j1.html' -q && $<TARGET_FILE:tailsim> sweep ${mm1} --vary ${sweep_rate} --vary services.server.replicas=1,2 --duration 20s -r 3 --jobs 2 --csv '${study_out}/sweep-j2.csv' --json '${study_out}/sweep-j2.json' -q && cmp '${study_out}/sweep-j1.csv' '${study_out}/sweep-j2.csv' && cmp '${study_out}/sweep-j1.json' '${study_out}/sweep-j2.json' && grep -q '</html>' '${study_out}/sweep-j1.html'")
# --json - writes the JSON alone to stdout: no console table mixed in.
add_test(NAME cli.sweep_json_stdout
  COMMAND sh -c "out=$($<TARGET_FILE:tailsim> sweep ${mm1} --vary ${sweep_rate} --duration 10s -r 2 --json -) && echo \"$out\" | head -n 1 | grep -qx '{' && echo \"$out\" | grep -q '\"knees\"' && ! echo \"$out\" | grep -q SWEEP")
add_test(NAME cli.sweep_names_the_knee
  COMMAND ${CMAKE_COMMAND} -E env $<TARGET_FILE:tailsim> sweep ${mm1} --vary "workloads.requests.rate=50..95:5/s" --duration 60s)
set_tests_properties(cli.sweep_names_the_knee PROPERTIES
  PASS_REGULAR_EXPRESSION "requests: p99 breaks away after workloads.requests.rate=[0-9]+/s")

# compare: paired replications; exit 1 when one of B's SLO checks fails, as
# `run B --replications N` judges it (the console says if A failed it too).
set(before ${CMAKE_CURRENT_SOURCE_DIR}/study_models/before.yaml)
set(after ${CMAKE_CURRENT_SOURCE_DIR}/study_models/after.yaml)
tailsim_cli_test(compare_slower_within_slo 0 compare ${before} ${after} -r 5)
tailsim_cli_test(compare_slower_breaks_slo 1 compare ${before} ${after} -r 5 --set "slos.main=[\"p99 < 75ms\"]")
# One gate, one verdict: a check B fails is a failed gate even when A fails
# it as badly, as `run B --replications 5` exits 1 on it.
tailsim_cli_test(compare_failing_in_both_fails 1 compare ${before} ${before} -r 5 --set "slos.main=[\"p99 < 10ms\"]")
tailsim_cli_test(run_b_failing_in_both_fails 1 run ${before} -r 5 --set "slos.main=[\"p99 < 10ms\"]")
# compare --junit, --summary-md and --out: B's checks with their interval over
# the replications and A's side; the files are written whatever the verdict.
add_test(NAME cli.compare_ci_outputs
  COMMAND sh -c "rm -rf '${study_out}/cmp-out' && $<TARGET_FILE:tailsim> compare ${before} ${after} -r 3 -q --set 'slos.main=[\"p99 < 10ms\"]' --junit '${study_out}/cmp.xml' --summary-md '${study_out}/cmp.md' --out '${study_out}/cmp-out'; test $? -eq 1 && grep -q 'message=\"p99 = [0-9.]*ms ± [0-9.]*ms over 3 replications, threshold &lt; 10ms; A [0-9.]*ms ± [0-9.]*ms, B - A +[0-9.]*ms ± [0-9.]*ms: ' '${study_out}/cmp.xml' && grep -q 'baseline_model' '${study_out}/cmp.xml' && grep -q '| ❌ | main | p99 .< 10ms | [0-9.]*ms ± [0-9.]*ms over 3 replications | ' '${study_out}/cmp.md' && cmp '${study_out}/cmp.xml' '${study_out}/cmp-out/junit.xml' && cmp '${study_out}/cmp.md' '${study_out}/cmp-out/summary.md' && test -s '${study_out}/cmp-out/comparison.json' && grep -q '\"regression\"' '${study_out}/cmp-out/comparison.json'")
tailsim_cli_test(compare_unwritable_junit 2 compare ${before} ${after} -r 2 --junit /nonexistent-folder/j.xml)
# run --replications: the JUnit says the mean ± half-width over N, in the
# message and the body alike, and labels replication 0's details as such.
add_test(NAME cli.run_replications_junit_states_intervals
  COMMAND sh -c "$<TARGET_FILE:tailsim> run ${before} -r 3 -q --no-attribution --set 'slos.main=[\"p99 < 10ms\"]' --junit '${study_out}/rep.xml'; test $? -eq 1 && grep -q 'message=\"p99 = [0-9.]*ms ± [0-9.]*ms over 3 replications, threshold' '${study_out}/rep.xml' && grep -q '^replication 0 in full (the plain run): path main' '${study_out}/rep.xml'")
tailsim_cli_test(compare_faster_is_fine 0 compare ${after} ${before} -r 5 --set "slos.main=[\"p99 < 75ms\"]")
# B answers nothing successfully: its p99 cannot be measured, and the gate fails.
tailsim_cli_test(compare_b_down_fails_gate 1 compare ${before} ${CMAKE_CURRENT_SOURCE_DIR}/study_models/down.yaml -r 3)
tailsim_cli_test(compare_one_replication 2 compare ${before} ${after} -r 1)
tailsim_cli_test(compare_missing_model 2 compare ${before})
tailsim_cli_test(compare_broken_model 2 compare ${before} ${data}/broken.yaml)
tailsim_cli_test(compare_bad_set 2 compare ${before} ${after} --set services.backend.replicas=lots)
tailsim_cli_test(compare_bad_seed 2 compare ${before} ${after} --seed -1)
tailsim_cli_test(compare_unwritable_json 2 compare ${before} ${after} -r 2 --json /nonexistent-folder/c.json)
add_test(NAME cli.compare_jobs_identical
  COMMAND sh -c "$<TARGET_FILE:tailsim> compare ${before} ${after} -r 6 --jobs 1 --json '${study_out}/compare-j1.json' -q && $<TARGET_FILE:tailsim> compare ${before} ${after} -r 6 --jobs 2 --json '${study_out}/compare-j2.json' -q && cmp '${study_out}/compare-j1.json' '${study_out}/compare-j2.json' && grep -q '\"verdict\": \"worse\"' '${study_out}/compare-j1.json'")
add_test(NAME cli.compare_names_the_gate
  COMMAND ${CMAKE_COMMAND} -E env $<TARGET_FILE:tailsim> compare ${before} ${after} -r 5 --set "slos.main=[\"p99 < 75ms\"]")
set_tests_properties(cli.compare_names_the_gate PROPERTIES WILL_FAIL FALSE
  PASS_REGULAR_EXPRESSION "main 'p99 < 75ms'.*significantly worse, and failing")
# sweep.csv never holds a formula: --vary values a spreadsheet would run
# (= + - @) get a leading quote (OWASP); a negative number stays a number.
add_test(NAME cli.sweep_csv_neutralises_formulas
  COMMAND sh -c "out=$($<TARGET_FILE:tailsim> sweep ${mm1} --vary 'name=+cmd,-x,=y,-3' --duration 5s -r 2 --csv - -q) && for cell in '\"'\"'\"'+cmd\"' '\"'\"'\"'-x\"' '\"'\"'\"'=y\"' '-3'; do printf '%s\\n' \"$out\" | grep -q \"^$cell,requests,\" || { echo \"no row starting $cell\"; exit 1; }; done && ! printf '%s\\n' \"$out\" | grep -q '^[-=+@][^0-9]'")
# Replications that stop early (memory budget, signal), unstable paths, and
# SIGINT/SIGTERM during a study: tests/cli/study_stops.sh, one entry per case.
# Each simulates hours of an overloaded queue in several threads: under the
# sanitizers one budget stop and the signals run (the threads' stop paths),
# and the optimised build proves the verdicts of every study kind.
set(study_stop_cases replications_stopped sweep_sigint compare_sigterm replications_sigint)
if(NOT TAILSIM_SANITIZE)
  list(APPEND study_stop_cases sweep_stopped compare_b_stopped_alone compare_both_stopped
                               replications_unstable sweep_unstable compare_b_unstable)
endif()
foreach(case IN LISTS study_stop_cases)
  add_test(NAME cli.study.${case}
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/study_stops.sh ${case} $<TARGET_FILE:tailsim> ${mm1}
            ${study_out}/stops/${case})
  # COST: these take seconds each (more under the sanitizers): start them early.
  set_tests_properties(cli.study.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 COST 1000)
endforeach()

# --seed 1..3, --seed 3,7,11: replications on exactly those seeds, each the
# run of `--seed K` alone (tests/cli/seed_ranges.sh, one entry per case). They
# compare numbers, which the optimised build proves; under the sanitizers the
# replication threads run in cli.study.* and the seeds' parsing below.
set(seed_range_cases range list one_seed_derives sweep compare)
if(TAILSIM_SANITIZE)
  set(seed_range_cases "")
endif()
foreach(case IN LISTS seed_range_cases)
  add_test(NAME cli.seed_ranges.${case}
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/seed_ranges.sh ${case} $<TARGET_FILE:tailsim> ${mm1}
            ${study_out}/seed-ranges/${case})
  set_tests_properties(cli.seed_ranges.${case} PROPERTIES TIMEOUT 300)
endforeach()
# A wrong range or list is exit 2, with how to write one; so is a range with
# another number of --replications, or with --precision, or on calibrate.
foreach(bad IN ITEMS "5..1" "1.." "x" "3,3" "4..4")
  string(MAKE_C_IDENTIFIER "${bad}" bad_name)
  add_test(NAME cli.seed_ranges.bad_${bad_name}
    COMMAND $<TARGET_FILE:tailsim> run ${mm1} --duration 5s --seed ${bad})
  set_tests_properties(cli.seed_ranges.bad_${bad_name} PROPERTIES
    PASS_REGULAR_EXPRESSION "error: --seed: .*--seed takes one seed \\(7\\), a range FIRST\\.\\.LAST \\(1\\.\\.5\\) or a list \\(3,7,11\\)")
  tailsim_cli_test(seed_ranges.bad_${bad_name}_exit 2 run ${mm1} --duration 5s --seed ${bad})
endforeach()
add_test(NAME cli.seed_ranges.with_replications
  COMMAND $<TARGET_FILE:tailsim> run ${mm1} --duration 5s --seed 1..5 --replications 3)
set_tests_properties(cli.seed_ranges.with_replications PROPERTIES
  PASS_REGULAR_EXPRESSION "error: --seed 1\\.\\.5 names the seeds of 5 replications, one run each, and --replications asks for 3: give one of them")
tailsim_cli_test(seed_ranges.with_replications_exit 2 run ${mm1} --duration 5s --seed 1..5 --replications 3)
tailsim_cli_test(seed_ranges.with_same_replications 0 run ${mm1} --duration 5s --seed 1..5 --replications 5)
tailsim_cli_test(seed_ranges.with_precision 2 run ${mm1} --duration 5s --seed 1..5 --precision 5%)
tailsim_cli_test(seed_ranges.sweep_with_replications 2 sweep ${mm1} --duration 5s --vary workloads.requests.rate=60/s,70/s --seed 1..2 -r 3)
tailsim_cli_test(seed_ranges.calibrate 2 calibrate ${PROJECT_SOURCE_DIR}/examples/imported/model.yaml --traces ${PROJECT_SOURCE_DIR}/examples/imported/traces.otlp.json --seed 1..3)

# The console counts its threads in words: "on 1 thread", "on 2 threads".
add_test(NAME cli.run_replications_one_thread
  COMMAND $<TARGET_FILE:tailsim> run ${data}/ok.yaml --duration 1s --replications 2 -j 1 --no-attribution)
set_tests_properties(cli.run_replications_one_thread PROPERTIES
  PASS_REGULAR_EXPRESSION "wall on 1 thread\n" FAIL_REGULAR_EXPRESSION "1 threads")
add_test(NAME cli.run_replications_two_threads
  COMMAND $<TARGET_FILE:tailsim> run ${data}/ok.yaml --duration 1s --replications 2 -j 2 --no-attribution)
set_tests_properties(cli.run_replications_two_threads PROPERTIES
  PASS_REGULAR_EXPRESSION "wall on 2 threads\n")

# --load scales every workload (docs/studies.md, "Scaling the load"): the
# analysis at 3x sees three times the arrivals; a sweep over load varies it;
# bad factors and a trace replay are refused with exit 2.
add_test(NAME cli.analyze_load_scales_arrivals
  COMMAND sh -c "$<TARGET_FILE:tailsim> analyze ${data}/ok.yaml --load 3x --json - | grep -q '\"arrival_rps\": 30.0'")
add_test(NAME cli.sweep_vary_load
  COMMAND sh -c "out=$($<TARGET_FILE:tailsim> sweep ${data}/ok.yaml --vary load=1x..2x:0.5x --duration 2s -r 2 -q --csv -) && printf '%s' \"$out\" | head -1 | grep -q '^load (x),' && for v in 1 1.5 2; do printf '%s' \"$out\" | grep -q \"^$v,main,,throughput_rps\" || exit 1; done")
tailsim_cli_test(run_load_not_a_factor 2 run ${data}/ok.yaml --load three --duration 1s)
tailsim_cli_test(run_load_zero 2 run ${data}/ok.yaml --load 0x --duration 1s)
tailsim_cli_test(sweep_vary_load_bad 2 sweep ${data}/ok.yaml --vary load=1x,fast --duration 1s -r 2 -q)
add_test(NAME cli.run_load_too_fast_message
  COMMAND $<TARGET_FILE:tailsim> run ${data}/ok.yaml --set workloads.main.rate=1000000/s --load 2000x --duration 1s)
set_tests_properties(cli.run_load_too_fast_message PROPERTIES
  PASS_REGULAR_EXPRESSION "error: --load 2000x: workload 'main' would reach 2e\\+09/s, more than 1G/s")
# compare --out: compare.html overlays A and B, a latency CDF and a p99 time
# series per path both have, and names both models.
add_test(NAME cli.compare_out_page
  COMMAND sh -c "rm -rf '${study_out}/cmp-page' && $<TARGET_FILE:tailsim> compare ${before} ${after} -r 2 -q --out '${study_out}/cmp-page' && page='${study_out}/cmp-page/compare.html' && grep -q '</html>' \"$page\" && grep -q 'A: before' \"$page\" && grep -q 'B: after' \"$page\" && test $(grep -c '<figcaption>main: latency CDF, A and B</figcaption>' \"$page\") -eq 1 && test $(grep -o '<svg' \"$page\" | wc -l) -eq 2 && grep -q 'replication 0 of A and of B' \"$page\" && ! ls '${study_out}/cmp-page' | grep -q tmp")
