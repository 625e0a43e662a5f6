"""Job plumbing shared by every long operation: cancellation, progress, checkpoints."""
