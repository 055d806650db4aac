"""The perfdsl language server (`perfdsl lsp`): editor features built on the checker.

Only `perfdsl.commands.lsp_cmd` imports this package, and only when the server runs, so
pygls and lsprotocol never load during `perfdsl check`. The feature modules
(completion, hover, symbols, actions) are pure functions of document text and checker
results; server.py is the only module that talks JSON-RPC.
"""
