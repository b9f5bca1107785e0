"""Grading one submission: the engine that orchestrates, the pytest plugin and the proxy the checks call, and the check-author helpers."""
