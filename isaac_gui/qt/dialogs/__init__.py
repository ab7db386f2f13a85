"""The app's dialogs: Settings, the first-run Welcome, and Export (each imported on first use)."""
