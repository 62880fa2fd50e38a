"""The dashboard's screens: the tabbed main screen, topic detail, message tail, dialogs."""
