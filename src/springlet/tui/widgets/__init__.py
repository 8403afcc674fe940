"""Widgets of the terminal UI: they display what they are given and post messages up."""
