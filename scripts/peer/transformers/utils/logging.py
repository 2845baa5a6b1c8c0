"""get_logger: Python's standard logging."""
import logging


def get_logger(name=None):
    return logging.getLogger(name)
