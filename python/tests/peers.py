# SPDX-License-Identifier: Apache-2.0
"""The optional peers (torch, transformers): a test module that needs one imports it through
require(), which skips the module when the peer is missing, unless POSTTRAIN_REQUIRE names it
(scripts/test sets POSTTRAIN_REQUIRE=torch,transformers in the environment that has them), in
which case a missing peer is an import error, so that nothing is skipped there."""
import importlib
import os

import pytest


def require(name):
    if name in os.environ.get("POSTTRAIN_REQUIRE", "").split(","):
        return importlib.import_module(name)
    return pytest.importorskip(name, reason=f"{name} is not installed (a peer for the comparison only)")


def require_file(path, package):
    """path, or a skip naming the Debian package that installs it (an error when POSTTRAIN_REQUIRE
    names the package)."""
    if not os.path.exists(path):
        if package in os.environ.get("POSTTRAIN_REQUIRE", "").split(","):
            raise FileNotFoundError(f"{path} is missing: install the Debian package {package}")
        pytest.skip(f"{path} is missing (the Debian package {package})")
    return path
