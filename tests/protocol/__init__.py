"""Tests of the protocol model and loader."""
