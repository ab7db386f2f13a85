"""The window itself: start-up, the main window and its menus and bars, the commands that open dialogs."""
