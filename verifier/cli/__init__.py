"""The face: click commands, prompts, printing and exit codes. Nothing imports this package."""
