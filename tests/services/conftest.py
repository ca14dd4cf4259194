"""Fixtures shared by the service tests: ``store`` (the exchange-format files of
tests/cli/test_evaluate.py imported on each backend)."""

from tests.services.test_evaluation_runs import store  # noqa: F401
