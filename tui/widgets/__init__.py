"""Small widgets shared by the dashboard's screens."""
