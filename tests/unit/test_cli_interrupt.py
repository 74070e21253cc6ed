"""mnr run tells an interrupted run (Ctrl-C) from a failed one, wherever in a step the interrupt landed."""

from dagster._utils.error import SerializableErrorInfo

from pipelines.cli import _interrupted


def _err(cls, message="", cause=None, context=None):
    return SerializableErrorInfo(message, [], cls, cause=cause, context=context)


def test_dagsters_own_interrupt_is_an_interrupt():
    assert _interrupted(_err("DagsterExecutionStepExecutionError", cause=_err("DagsterExecutionInterruptedError")))


def test_a_duckdb_statement_stopped_by_ctrl_c_is_an_interrupt_even_behind_a_later_error():
    # Seen in CI: SIGINT during a COMMIT ends it with "Query interrupted"; the rollback that follows then fails, and
    # the step's error is that second one, with the interrupt as its context.
    error = _err("DagsterExecutionStepExecutionError", cause=_err(
        "TransactionException", "cannot rollback - no transaction is active",
        context=_err("RuntimeError", "Query interrupted\n")))
    assert _interrupted(error)


def test_other_failures_are_failures():
    assert not _interrupted(_err("DagsterExecutionStepExecutionError", cause=_err("RuntimeError", "disk full")))
    assert not _interrupted(None)
