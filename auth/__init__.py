"""Authentication below the resolvers: password hashing (passwords.py) and bearer tokens (tokens.py).

It sits beside fanout/ (neither imports the other): resolvers need the viewer, the API reads the
Authorization header, and both call into this package.
"""
