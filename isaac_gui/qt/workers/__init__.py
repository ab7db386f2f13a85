"""Work off the GUI thread and its way back: the mailbox, background tasks, thread priorities.

One vocabulary: any thread *posts* plain objects into a `Mailbox`; the GUI thread has them
*delivered*, in order and in short slices. A *task* (`BackgroundTasks.run`) is work done off the
GUI thread whose result or error is then delivered to a callback on it.
"""
