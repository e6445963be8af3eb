"""Tests of the services: the only write path."""
