"""lintas: the command line and the runtime shared by the Lintas services.

idcore stays pure; everything here may use the web framework, Redis and the environment.
"""
