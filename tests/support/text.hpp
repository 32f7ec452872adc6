#pragma once
// Checks of text that tests make on what writers produce.

#include <string>

namespace tailsim::testing {

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace tailsim::testing
