// Boost.Asio's awaitable, usable on its own: Boost 1.74's awaitable.hpp uses
// std::exchange without including <utility>, so include this header instead of it.
#pragma once
// clang-format off
#include <utility>
#include <boost/asio/awaitable.hpp>
// clang-format on
