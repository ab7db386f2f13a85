"""Work off the GUI thread and its way back: the mailbox, background tasks, thread priorities."""
