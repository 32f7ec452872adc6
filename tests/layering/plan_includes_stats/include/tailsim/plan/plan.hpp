#pragma once
/// A plan header that reaches up into stats: the layering check must refuse it.

#include "tailsim/stats/results.hpp"
