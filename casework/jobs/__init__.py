"""Long work off the web request: a Job row per piece of work, run by the worker process."""
