// Result type for API boundaries: std::expected (C++23). Failures are values, never exceptions.
//
// Clang 14 (Debian 12's, used for the libFuzzer builds) cannot use libstdc++ 12's <expected>:
// for it, and only for it, a minimal stand-in with the same spelling of the subset we use.
#pragma once

#if defined(__cpp_lib_expected) || (defined(__GNUC__) && !defined(__clang__))
#include <expected>

namespace tapstack {

template <typename T, typename E>
using Result = std::expected<T, E>;

using std::unexpected;

}  // namespace tapstack

#else
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace tapstack {

template <typename E>
class unexpected {
 public:
  constexpr explicit unexpected(E error) : error_(std::move(error)) {}
  constexpr const E& error() const& { return error_; }
  constexpr E& error() & { return error_; }

 private:
  E error_;
};

template <typename E>
unexpected(E) -> unexpected<E>;

template <typename T, typename E>
class Result {
 public:
  using value_type = T;
  using error_type = E;

  constexpr Result() requires std::is_default_constructible_v<T> : state_(std::in_place_index<0>) {}
  template <typename U = T>
  requires(std::is_constructible_v<T, U&&> &&
           !std::is_same_v<std::remove_cvref_t<U>, Result>) constexpr Result(U&& value)
      : state_(std::in_place_index<0>, std::forward<U>(value)) {}
  template <typename G>
  constexpr Result(const unexpected<G>& error) : state_(std::in_place_index<1>, error.error()) {}

  constexpr bool has_value() const { return state_.index() == 0; }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr T& operator*() & { return std::get<0>(state_); }
  constexpr const T& operator*() const& { return std::get<0>(state_); }
  constexpr T&& operator*() && { return std::get<0>(std::move(state_)); }
  constexpr T* operator->() { return &std::get<0>(state_); }
  constexpr const T* operator->() const { return &std::get<0>(state_); }
  constexpr T& value() & { return std::get<0>(state_); }
  constexpr const T& value() const& { return std::get<0>(state_); }
  constexpr const E& error() const { return std::get<1>(state_); }
  template <typename U>
  constexpr T value_or(U&& fallback) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, E> state_;
};

template <typename E>
class Result<void, E> {
 public:
  constexpr Result() = default;
  template <typename G>
  constexpr Result(const unexpected<G>& error) : error_(error.error()) {}

  constexpr bool has_value() const { return !error_.has_value(); }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr void operator*() const {}
  constexpr void value() const {}
  constexpr const E& error() const { return *error_; }

 private:
  std::optional<E> error_;
};

}  // namespace tapstack
#endif
