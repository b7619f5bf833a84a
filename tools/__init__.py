"""Developer tools, run from the repo root as `.venv/bin/python -m tools.<name>`."""
