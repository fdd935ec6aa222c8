"""Usher: users & access management — invite people, onboard them, control what they may do."""

__version__ = "0.1.0"
