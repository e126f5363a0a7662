"""Handler runs: the registry of handlers, the dispatcher that creates runs from the log, the
worker and its lanes that execute them, and the admin view of both.
"""
