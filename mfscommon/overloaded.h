// std::visit over a variant with one lambda per alternative:
// std::visit(Overloaded{[](const A&) {...}, [](const B&) {...}}, value).
#pragma once

namespace mfs {

template <class... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};
template <class... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

}  // namespace mfs
