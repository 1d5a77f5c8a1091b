// SPDX-License-Identifier: Apache-2.0
#pragma once
// A comma-decimal locale (de_DE.UTF-8) for the tests of number parsing: values read under it
// must equal those read under "C". CMake compiles the locale from Debian's `locales` sources into
// the build tree and passes its directory as POSTTRAIN_TEST_LOCALE_DIR.

#include <clocale>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

namespace posttrain::testing {

/// Switches LC_ALL to de_DE.UTF-8 for its lifetime; active() says whether that worked.
class comma_decimal_locale {
 public:
  comma_decimal_locale() {
    const char* current = std::setlocale(LC_ALL, nullptr);
    saved_ = current ? current : "C";
#ifdef POSTTRAIN_TEST_LOCALE_DIR
    ::setenv("LOCPATH", POSTTRAIN_TEST_LOCALE_DIR, 1);
    active_ = std::setlocale(LC_ALL, "de_DE.UTF-8") != nullptr;
    // The build made the locale, so failing to switch is a failure, not a skip.
    REQUIRE(active_);
    REQUIRE(std::strtod("0.5", nullptr) == 0.0);  // the C library now stops at '.'
#else
    WARN("no comma-decimal locale in this build (Debian's `locales` package is missing): values are checked "
         "under the C locale only");
#endif
  }
  ~comma_decimal_locale() { std::setlocale(LC_ALL, saved_.c_str()); }
  comma_decimal_locale(const comma_decimal_locale&) = delete;
  comma_decimal_locale& operator=(const comma_decimal_locale&) = delete;
  bool active() const { return active_; }

 private:
  std::string saved_;
  bool active_ = false;
};

}  // namespace posttrain::testing
