#include "tailsim/import/k8s_quantity.hpp"

#include <cstdint>
#include <string>

#include <catch2/catch.hpp>

namespace imp = tailsim::import;

namespace {

std::int64_t millicores(const std::string& text) {
  const auto r = imp::parse_millicores(text);
  INFO(text << ": " << (r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return r.value();
}

std::int64_t bytes(const std::string& text) {
  const auto r = imp::parse_bytes(text);
  INFO(text << ": " << (r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return r.value();
}

/// What an unknown-suffix message ends with.
const std::string suffix_list =
    "; the suffixes are n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or an exponent such as e3";

std::string bytes_error(const std::string& text) {
  const auto r = imp::parse_bytes(text);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

}  // namespace

TEST_CASE("CPU quantities become millicores as apimachinery reads them", "[k8s_quantity]") {
  CHECK(millicores("250m") == 250);
  CHECK(millicores("1.5") == 1500);  // the reference's examples
  CHECK(millicores("1") == 1000);
  CHECK(millicores("2e3") == 2'000'000);
  CHECK(millicores("2E3") == 2'000'000);
  CHECK(millicores("1e-3") == 1);
  CHECK(millicores("0.5") == 500);
  CHECK(millicores(".5") == 500);
  CHECK(millicores("2.") == 2000);
  CHECK(millicores("+2") == 2000);
  CHECK(millicores("0") == 0);
  CHECK(millicores("0m") == 0);
  CHECK(millicores("100k") == 100'000'000);
}

TEST_CASE("below one millicore a quantity rounds up to 1m", "[k8s_quantity]") {
  CHECK(millicores("0.1m") == 1);
  CHECK(millicores("1n") == 1);
  CHECK(millicores("500u") == 1);
  CHECK(millicores("1.0001m") == 2);  // up, not to the nearest
  CHECK(millicores("1e-300") == 1);
  CHECK(millicores("1500000n") == 2);
}

TEST_CASE("memory quantities become bytes: every suffix of the reference", "[k8s_quantity]") {
  CHECK(bytes("128Mi") == 134'217'728);
  CHECK(bytes("1G") == 1'000'000'000);
  CHECK(bytes("500Ki") == 512'000);
  CHECK(bytes("1Ki") == 1024);
  CHECK(bytes("1Mi") == 1 << 20);
  CHECK(bytes("1Gi") == std::int64_t{1} << 30);
  CHECK(bytes("1Ti") == std::int64_t{1} << 40);
  CHECK(bytes("1Pi") == std::int64_t{1} << 50);
  CHECK(bytes("1Ei") == std::int64_t{1} << 60);
  CHECK(bytes("1k") == 1000);
  CHECK(bytes("1M") == 1'000'000);
  CHECK(bytes("1T") == 1'000'000'000'000);
  CHECK(bytes("1P") == 1'000'000'000'000'000);
  CHECK(bytes("1E") == 1'000'000'000'000'000'000);
  CHECK(bytes("1.5Gi") == 1'610'612'736);
  CHECK(bytes("1e9") == 1'000'000'000);
  CHECK(bytes("1073741824") == 1'073'741'824);  // an unquoted YAML number
  CHECK(bytes("1m") == 1);                      // a thousandth of a byte, rounded up
  CHECK(bytes("0.5") == 1);
  CHECK(bytes("1n") == 1);
  CHECK(bytes("1u") == 1);
}

TEST_CASE("bad quantities name the bad token", "[k8s_quantity]") {
  CHECK(bytes_error("12Q") ==
        "'12Q' is not a Kubernetes quantity: unknown suffix 'Q'" + suffix_list);
  CHECK(imp::parse_bytes("12Q").error().offset == 2);
  CHECK(bytes_error("1K") ==
        "'1K' is not a Kubernetes quantity: 'K' is not a suffix; kilo is 'k' (1000) and kibi "
        "'Ki' (1024)");
  CHECK(bytes_error("-1Gi") ==
        "'-1Gi' is not a Kubernetes quantity: a resource quantity is "
        "never negative");
  CHECK(bytes_error("Mi") ==
        "'Mi' is not a Kubernetes quantity: it has no digits; write a "
        "number with an optional suffix, e.g. 250m");
  CHECK(bytes_error("") ==
        "an empty quantity; write a number with an optional suffix, e.g. 250m, 1.5, 128Mi");
  CHECK(bytes_error("1e") == "'1e' is not a Kubernetes quantity: unknown suffix 'e'" + suffix_list);
  CHECK(bytes_error("1ex") ==
        "'1ex' is not a Kubernetes quantity: 'ex' is not an exponent (write e3 or E-2)");
  CHECK(bytes_error("1e5000") ==
        "'1e5000' is not a Kubernetes quantity: the exponent 'e5000' is out of range");
  CHECK(bytes_error("1.2.3") ==
        "'1.2.3' is not a Kubernetes quantity: unknown suffix '.3'" + suffix_list);
  CHECK(bytes_error("1 Gi") ==
        "'1 Gi' is not a Kubernetes quantity: unknown suffix ' Gi'" + suffix_list);
  CHECK(bytes_error("9Ei") ==
        "'9Ei' is not a Kubernetes quantity: it is more than 9223372036854775807 bytes");
  CHECK(imp::parse_millicores("9223372036854775807").error().message ==
        "'9223372036854775807' is not a Kubernetes quantity: it is more than 9223372036854775807 "
        "millicores");
  CHECK(bytes_error("1234567890.1234567891") ==
        "'1234567890.1234567891' is not a Kubernetes quantity: it has more than 19 significant "
        "digits");
  CHECK(bytes("9223372036854775807") == 9'223'372'036'854'775'807);
  CHECK(bytes("000000000000000000000001") == 1);  // leading zeros are not significant
}
