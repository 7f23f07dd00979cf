# The versions of the Go tools the tests use (sourced by e2e/tools/*.sh).
helm_version=v3.22.0
promtool_version=v0.316.0
