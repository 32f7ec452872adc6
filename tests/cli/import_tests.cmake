# Command-line tests of `import` and `calibrate`: exit codes, messages, what
# is written, and the round trip: traces of a tailsim run imported into a
# model that calibrates against them. Included from tests/cli/CMakeLists.txt
# (tailsim_cli_test, ${data}).

set(traces ${PROJECT_SOURCE_DIR}/tests/import/data)
set(import_out ${CMAKE_CURRENT_BINARY_DIR}/import)
file(MAKE_DIRECTORY ${import_out})

# import: what it refuses, with exit 2.
tailsim_cli_test(import_without_traces 2 import)
add_test(NAME cli.import_without_traces_message COMMAND $<TARGET_FILE:tailsim> import
         --k8s ${PROJECT_SOURCE_DIR}/tests/import/k8s)
set_tests_properties(cli.import_without_traces_message PROPERTIES
  PASS_REGULAR_EXPRESSION "error: import needs at least one --traces FILE")
tailsim_cli_test(import_missing_file 2 import --traces ${traces}/no-such-file.json)
tailsim_cli_test(import_folder 2 import --traces ${traces})
tailsim_cli_test(import_sample_rate_zero 2 import --traces ${traces}/checkout.otlp.json --sample-rate 0)
tailsim_cli_test(import_sample_rate_above_one 2 import --traces ${traces}/checkout.otlp.json --sample-rate 1.5)
tailsim_cli_test(import_bad_edge_cut 2 import --traces ${traces}/checkout.otlp.json --edge-cut 5)
tailsim_cli_test(import_bad_own_time 2 import --traces ${traces}/checkout.otlp.json --own-time io)
tailsim_cli_test(import_unwritable_output 2 import --traces ${traces}/checkout.otlp.json -o /nonexistent-folder/m.yaml)
# Malformed JSON: the file and the byte offset where it breaks.
file(WRITE ${import_out}/broken.json "{\"resourceSpans\": [{\"scopeSpans\": [}]}")
add_test(NAME cli.import_broken_json COMMAND $<TARGET_FILE:tailsim> import --traces ${import_out}/broken.json)
set_tests_properties(cli.import_broken_json PROPERTIES
  PASS_REGULAR_EXPRESSION "error: .*broken.json: at byte [0-9]+")
tailsim_cli_test(import_broken_json_exit 2 import --traces ${import_out}/broken.json)
# Spans of no trace with a root that reaches a server span: nothing to model.
file(WRITE ${import_out}/empty.json "{\"resourceSpans\": []}")
add_test(NAME cli.import_no_endpoint COMMAND $<TARGET_FILE:tailsim> import --traces ${import_out}/empty.json)
set_tests_properties(cli.import_no_endpoint PROPERTIES
  PASS_REGULAR_EXPRESSION "error: no trace in the files reaches an endpoint")
# Each of the three formats drafts a model to stdout that validates.
foreach(format otlp jaeger zipkin)
  add_test(NAME cli.import_${format}_validates
    COMMAND sh -c "$<TARGET_FILE:tailsim> import -q --traces '${traces}/checkout.${format}.json' > '${import_out}/${format}.yaml' && $<TARGET_FILE:tailsim> validate '${import_out}/${format}.yaml' && grep -q 'frontend:' '${import_out}/${format}.yaml'")
endforeach()
# -o: the model is written, named after the file, and nothing else is left.
add_test(NAME cli.import_output_file
  COMMAND sh -c "rm -rf '${import_out}/o' && mkdir '${import_out}/o' && $<TARGET_FILE:tailsim> import -q --traces '${traces}/checkout.jaeger.json' -o '${import_out}/o/shop.yaml' && grep -q '^name: shop$' '${import_out}/o/shop.yaml' && [ \"$(ls -A '${import_out}/o')\" = shop.yaml ]")
# --name overrides the file's stem; --own-time delay writes delays.
add_test(NAME cli.import_name_and_delay
  COMMAND sh -c "$<TARGET_FILE:tailsim> import -q --traces '${traces}/checkout.otlp.json' --name 'My Shop' --own-time delay | grep -q '^name: my_shop$' && $<TARGET_FILE:tailsim> import -q --traces '${traces}/checkout.otlp.json' --own-time delay | grep -q -- '- delay:' && ! $<TARGET_FILE:tailsim> import -q --traces '${traces}/checkout.otlp.json' --own-time delay | grep -q -- '- cpu:'")

# calibrate: what it refuses.
tailsim_cli_test(calibrate_without_traces 2 calibrate ${data}/ok.yaml)
tailsim_cli_test(calibrate_broken_model 2 calibrate ${data}/broken.yaml --traces ${traces}/checkout.otlp.json)
tailsim_cli_test(calibrate_bad_tolerance 2 calibrate ${data}/ok.yaml --traces ${traces}/checkout.otlp.json --tolerance -5%)
tailsim_cli_test(calibrate_broken_traces 2 calibrate ${data}/ok.yaml --traces ${import_out}/broken.json)
tailsim_cli_test(calibrate_unwritable_json 2 calibrate ${data}/ok.yaml --traces ${traces}/checkout.otlp.json --json /nonexistent-folder/c.json)

# The round trip: a run's own traces (every request kept: --traces above the
# requests in the window) imported with delays, as the shards wait rather
# than compute, calibrate against those traces; the example itself does
# too; so does the import with CPU own times on the cores the import sizes
# for the traced load, and on one core per shard pod those saturate and
# calibrate says so with exit 1. Outputs: the JSON verdict and the page.
# It runs in the optimised build only: under the sanitizers it takes 20 s,
# and the commands' code it runs is the other import and calibrate tests'
# there too.
if(NOT TAILSIM_SANITIZE)
  set(fanout ${PROJECT_SOURCE_DIR}/examples/fanout-tail.yaml)
  set(rt ${import_out}/round-trip)
  add_test(NAME cli.round_trip_fanout
    COMMAND sh -c "rm -rf '${rt}' && $<TARGET_FILE:tailsim> run '${fanout}' --duration 4s --quiet --traces 100000 --out '${rt}/run' && $<TARGET_FILE:tailsim> import -q --traces '${rt}/run/traces.otlp.json' --own-time delay -o '${rt}/delay.yaml' && $<TARGET_FILE:tailsim> calibrate '${rt}/delay.yaml' --duration 15s --traces '${rt}/run/traces.otlp.json' -q --json '${rt}/delay.json' --out '${rt}/page' && grep -q '\"passes\": true' '${rt}/delay.json' && grep -q '</html>' '${rt}/page/calibration.html' && test -s '${rt}/page/calibration.json' && $<TARGET_FILE:tailsim> calibrate '${fanout}' --duration 15s --traces '${rt}/run/traces.jaeger.json' -q && $<TARGET_FILE:tailsim> import -q --traces '${rt}/run/traces.otlp.json' -o '${rt}/cpu.yaml' && grep -q 'cores: not in the traces' '${rt}/cpu.yaml' && $<TARGET_FILE:tailsim> calibrate '${rt}/cpu.yaml' --duration 15s --traces '${rt}/run/traces.otlp.json' -q && $<TARGET_FILE:tailsim> calibrate '${rt}/cpu.yaml' --duration 15s --traces '${rt}/run/traces.otlp.json' -q --set services.shard.pod.cpu=1; [ $? -eq 1 ]")
endif()

# examples/imported: the drafted model is what import makes of the traces
# and manifests today (run from the folder, as its README does, so that the
# comments name the files alike), and it calibrates against them.
set(imported ${PROJECT_SOURCE_DIR}/examples/imported)
add_test(NAME cli.example_imported_is_current
  COMMAND sh -c "cd '${imported}' && $<TARGET_FILE:tailsim> import -q --traces traces.otlp.json --k8s k8s --name bookshop -o '${import_out}/bookshop.yaml' && cmp model.yaml '${import_out}/bookshop.yaml'")
tailsim_cli_test(example_imported_calibrates 0 calibrate ${imported}/model.yaml
                 --traces ${imported}/traces.otlp.json --quiet)
tailsim_cli_test(example_imported_system_calibrates 0 calibrate ${imported}/system.yaml
                 --traces ${imported}/traces.otlp.json --duration 60s --quiet)
