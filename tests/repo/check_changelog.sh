#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CHANGELOG.md has a section for the version that include/posttrain/core/config.hpp declares, and
# an Unreleased section above it. Usage: check_changelog.sh <project root> <version from CMake>
set -euo pipefail
cd "$1"
version=$2
grep -q "^## ${version//./\\.}\b" CHANGELOG.md || { echo "CHANGELOG.md has no '## $version' section"; exit 1; }
first=$(grep -m1 "^## " CHANGELOG.md)
[[ $first == "## Unreleased" ]] || { echo "CHANGELOG.md's first section is '$first', not '## Unreleased'"; exit 1; }
echo "CHANGELOG.md has sections Unreleased and $version"
