"""Screens and modal dialogs of the terminal UI."""
