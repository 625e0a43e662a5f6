"""Dialogs: errors, crop, resume offer, shortcuts overlay."""
