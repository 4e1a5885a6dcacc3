"""Ornament shape classification: the logic shared by the DVC stages in stages/ and the tests."""
