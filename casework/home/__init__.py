"""Each role's home: the task list of workers and team leads."""
