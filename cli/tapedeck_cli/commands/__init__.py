"""The commands, one module per area of the API; main.py puts them on the app."""
