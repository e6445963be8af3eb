"""Tests of the trial database, audit trail and migrations."""
