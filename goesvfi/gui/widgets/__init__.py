"""Reusable widgets of the app's tabs."""
