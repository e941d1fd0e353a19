//! Workspace-level integration tests live in `tests/tests/`, one file per behaviour.
