"""View-models: the app's state as QObjects with change signals (QtCore only; they call the core)."""
