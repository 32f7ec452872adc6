# A study shared among processes (docs/cluster.md): under mpirun, when the
# build has MPI, and in shards merged by `tailsim merge`. Included from
# tests/cli/CMakeLists.txt.

set(cluster_check ${CMAKE_CURRENT_SOURCE_DIR}/cluster_checks.sh)
set(cluster_models ${PROJECT_SOURCE_DIR}/examples/mm1.yaml
    ${CMAKE_CURRENT_SOURCE_DIR}/study_models/before.yaml
    ${CMAKE_CURRENT_SOURCE_DIR}/study_models/after.yaml)
foreach(mode shards refusals)
  add_test(NAME cli.cluster_${mode}
    COMMAND ${cluster_check} ${mode} $<TARGET_FILE:tailsim>
            ${CMAKE_CURRENT_BINARY_DIR}/cluster-${mode} ${cluster_models})
endforeach()
if(TAILSIM_SANITIZE)
  # The shards' studies a tenth as long: 26 s instead of 2.5 s otherwise.
  set_tests_properties(cli.cluster_shards PROPERTIES ENVIRONMENT "TAILSIM_CHECK_SHORT=1")
endif()
if(TAILSIM_MPI)
  add_test(NAME cli.cluster_mpi
    COMMAND ${cluster_check} mpi $<TARGET_FILE:tailsim> ${CMAKE_CURRENT_BINARY_DIR}/cluster-mpi
            ${cluster_models} ${MPIEXEC_EXECUTABLE})
  # Three ranks on the machine's cores.
  set_tests_properties(cli.cluster_mpi PROPERTIES PROCESSORS 2)
endif()
add_test(NAME cli.merge_help COMMAND $<TARGET_FILE:tailsim> merge --help)
set_tests_properties(cli.merge_help PROPERTIES PASS_REGULAR_EXPRESSION "Usage: tailsim merge PART")
tailsim_cli_test(merge_no_parts 2 merge)
tailsim_cli_test(merge_missing_file 2 merge ${CMAKE_CURRENT_BINARY_DIR}/no-such-part)
