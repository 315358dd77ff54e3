"""Tests of the Python bindings (a package, so that its test modules may share names with the services' tests)."""
