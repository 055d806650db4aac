"""`perfdsl serve DIR`: a local review site over a folder of declarations.

site.py holds the checked sets (no web framework), pages.py renders the pages, app.py is
the Starlette application (the only module that imports the `perfdsl[serve]` extra).
`perfdsl check` never imports this package.
"""
